/**
 * Orrery server processes for multi-node tests: each runs `test/fixtures/node-server.ts`
 * (createWebsocketServer + redisRegistry) as a child on TypeScript sources, and is stopped
 * by its PID — SIGTERM for a clean shutdown, SIGKILL to play a crashed node. Children still
 * alive when the test process exits are SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/node-server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** A running server process. */
export interface NodeProcess {
  readonly pid: number;
  readonly port: number;
  readonly nodeId: string;
  /** `ws://127.0.0.1:PORT/chat` */
  readonly url: string;
  /** Everything the process wrote to stderr (its log lines). */
  readonly stderr: () => string;
  /** Send a signal and wait for the exit (SIGKILL: a crash; SIGTERM: a clean shutdown). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Options of {@link startNodeProcess}: where Redis is, and the lease. */
export interface NodeProcessOptions {
  redis?: string;
  cluster?: { host: string; port: number }[];
  leaseMs?: number;
  nodeId?: string;
  /** Another server script with the same contract (env in, `{ port, nodeId }` line out). @default test/fixtures/node-server.ts */
  fixture?: string;
  /** More environment variables for the script. */
  env?: Record<string, string>;
}

/** Start one server process and wait for its `{ port, nodeId }` line. */
export function startNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.redis !== undefined) env.ORRERY_TEST_REDIS = options.redis;
  if (options.cluster !== undefined) env.ORRERY_TEST_CLUSTER = JSON.stringify(options.cluster);
  if (options.leaseMs !== undefined) env.ORRERY_TEST_LEASE_MS = String(options.leaseMs);
  if (options.nodeId !== undefined) env.ORRERY_TEST_NODE_ID = options.nodeId;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@orrery/source', options.fixture ?? FIXTURE], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { live.delete(child); resolve(); }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let started = false;
    const timer = setTimeout(() => fail(new Error('no ready line within 15 s')), 15_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`node-server did not start: ${err.message}\n${stderr}`));
    };
    child.once('exit', (code) => { if (!started) fail(new Error(`exited with ${code}`)); });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      if (started) return;
      started = true;
      clearTimeout(timer);
      const info = JSON.parse(stdout.slice(0, newline)) as { port: number; nodeId: string };
      resolve({
        pid: child.pid!,
        port: info.port,
        nodeId: info.nodeId,
        url: `ws://127.0.0.1:${info.port}/chat`,
        stderr: () => stderr,
        kill: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
          await exited;
        },
      });
    });
  });
}
