/**
 * A private `redis-server` for the cross-node scenario, on a free port, without
 * persistence. It runs under a tiny `sh` guard that kills it when the runner's end of the
 * guard's stdin closes — so Redis goes away even if the runner is killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { canPin, trackPid, untrackPid } from './proc.js';

/** A running redis-server. */
export interface RedisProcess {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        resolve(text.slice(0, nl).trim());
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error('the redis guard ended before naming its pid')));
  });
}

/** Start redis-server on a free port (pinned to `cpu` when given) and wait until it answers. */
export async function startRedis(cpu: number | undefined): Promise<RedisProcess> {
  const port = await freePort();
  const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  const pin = cpu === undefined || !canPin() ? '' : `taskset -c ${cpu} `;
  const script = `${pin}redis-server "$@" >/dev/null & p=$!; echo $p; read _; kill $p 2>/dev/null; wait $p`;
  const guard = spawn('sh', ['-c', script, 'sh', ...redisArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Not tracked as a child to SIGKILL: killing the guard would orphan Redis. Redis itself is
  // tracked by pid; the guard ends when its stdin closes (runner exit, or stop()).
  const pid = Number(await firstLine(guard.stdout!));
  trackPid(pid);
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (Date.now() > deadline || guard.exitCode !== null) {
      guard.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exited = new Promise<void>((resolve) => guard.once('exit', () => resolve()));
  return {
    port,
    pid,
    stop: async () => {
      guard.stdin?.end();
      const timer = setTimeout(() => guard.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      untrackPid(pid);
    },
  };
}
