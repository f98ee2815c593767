/**
 * tRPC + websocket server processes for the multi-process tests: each runs
 * `test/fixtures/trpc-node.ts` as a child on TypeScript sources and is stopped by its PID
 * (SIGTERM, then SIGKILL if it does not exit). Children still alive when the test process
 * exits are SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/trpc-node.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** A running process. */
export interface TrpcNode {
  readonly pid: number;
  readonly nodeId: string;
  /** `http://127.0.0.1:PORT/trpc` */
  readonly trpcUrl: string;
  /** `ws://127.0.0.1:PORT/chat` */
  readonly chatUrl: string;
  /** What it wrote to stderr (log lines). */
  readonly stderr: () => string;
  /** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>;
}

/** Start one process on the Redis at `redisUrl` and wait for its ready line. */
export async function startTrpcNode(redisUrl: string): Promise<TrpcNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@orrery/source', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ORRERY_TEST_REDIS: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { children.delete(child); resolve(); }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const signal = (name: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, name);
  };
  let info: { port: number; nodeId: string };
  try {
    info = await readyLine(child, exited);
  } catch (error) {
    signal('SIGKILL');
    await exited;
    throw new Error(`trpc-node did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    pid: child.pid!,
    nodeId: info.nodeId,
    trpcUrl: `http://127.0.0.1:${info.port}/trpc`,
    chatUrl: `ws://127.0.0.1:${info.port}/chat`,
    stderr: () => stderr,
    stop: async () => {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function readyLine(child: ChildProcess, exited: Promise<void>): Promise<{ port: number; nodeId: string }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error('no ready line within 20 s')), 20_000);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`exited with ${String(child.exitCode ?? child.signalCode)}`)); });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(stdout.slice(0, newline)) as { port: number; nodeId: string });
    });
  });
}
