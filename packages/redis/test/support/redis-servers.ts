/**
 * Real `redis-server` processes for tests: a single Redis, or a Redis Cluster of N masters,
 * on free ports in a temp dir, never persisted (`--save "" --appendonly no`), never the
 * machine's 6379. Every process started here is killed by its PID on `stop()`, and — as a
 * last resort, if a test run dies first — when the test process exits.
 *
 * Reusable by any suite in the tree (tRPC, demo, bench):
 *
 * @example
 * import { startRedis, startRedisCluster } from '../../redis/test/support/redis-servers.js';
 * const redis = await startRedis();          // redis.url = 'redis://127.0.0.1:PORT'
 * await redis.restart();                     // same port, every key lost
 * await redis.stop();
 * const cluster = await startRedisCluster({ masters: 3 }); // cluster.nodes = [{ host, port }, ...]
 * await cluster.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every redis-server this process started and has not yet seen exit. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a small race until it is bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Send one inline command and return the raw reply text (enough for PING and CLUSTER INFO). */
export function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no reply to ${command} on ${port}`)); }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('data', (chunk: string) => {
      reply += chunk;
      // A simple, bulk or error reply is complete once its last line has arrived.
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (bulk === null ? reply.endsWith('\r\n') : reply.length >= bulk[0].length + Number(bulk[1]) + 2) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.write(`${command}\r\n`);
  });
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** One redis-server process. */
export interface RedisProcess {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** PID of the running process (changes on restart). */
  readonly pid: number;
  /** SIGKILL the process (every key is lost: nothing is persisted). */
  kill(): Promise<void>;
  /** Start it again on the same port (after `kill`, or kills it first). */
  start(): Promise<void>;
  /** `kill()` then `start()`: a restart that lost every key. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Kill it for good and remove its temp dir. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** @default a free port */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
  /** @default a fresh temp dir, removed on stop */
  dir?: string;
}

/** Start one `redis-server` and wait until it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'orrery-redis-'));
  let child: ChildProcess | undefined;
  const exited = new Map<ChildProcess, Promise<void>>();

  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--loglevel', 'warning', ...(options.args ?? [])];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    live.add(proc);
    exited.set(proc, new Promise((resolve) => proc.once('exit', () => { live.delete(proc); resolve(); })));
    child = proc;
    await waitUntil(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${stderr}`);
      return (await rawCommand(port, 'PING')).startsWith('+PONG');
    }, `redis-server on port ${port}`, 10_000);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
    await exited.get(proc);
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid(): number { return child?.pid ?? 0; },
    kill,
    start,
    restart: async () => { await kill(); await start(); },
    pause: () => { if (child?.pid !== undefined) process.kill(child.pid, 'SIGSTOP'); },
    resume: () => { if (child?.pid !== undefined) process.kill(child.pid, 'SIGCONT'); },
    stop: async () => {
      await kill();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running Redis Cluster. */
export interface RedisClusterProcess {
  /** Startup nodes for ioredis `new Cluster(nodes)`. */
  readonly nodes: { host: string; port: number }[];
  readonly servers: RedisProcess[];
  stop(): Promise<void>;
}

/** Start `masters` cluster-enabled servers, join them with `redis-cli --cluster create`, wait for `cluster_state:ok`. */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisClusterProcess> {
  const masters = options.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'orrery-cluster-'));
  const servers: RedisProcess[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      servers.push(await startRedis({
        port,
        dir,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-port', String(busPort), '--cluster-node-timeout', '3000'],
      }));
    }
    await runRedisCli(['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas', '0', '--cluster-yes']);
    for (const s of servers) {
      await waitUntil(async () => (await rawCommand(s.port, 'CLUSTER INFO')).includes('cluster_state:ok'), `cluster_state:ok on ${s.port}`, 15_000);
    }
  } catch (err) {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    servers,
    stop: async () => {
      for (const s of servers) await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runRedisCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    proc.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli ${args.join(' ')} failed (${code}): ${output}`))));
  });
}
