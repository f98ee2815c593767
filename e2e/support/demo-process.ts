/**
 * The demo server as the e2e suite runs it: the built `apps/demo/dist/node/server/main.js`
 * in a child process of its own (as `npm start` runs it), on a port the OS picked, stopped
 * by its PID — and killed with SIGKILL when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../packages/redis/test/support/redis-servers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built server (`npm run build` makes it). */
export const DEMO_MAIN = join(ROOT, 'apps', 'demo', 'dist', 'node', 'server', 'main.js');
/** The built pages. */
export const DEMO_PAGES = join(ROOT, 'apps', 'demo', 'dist', 'public', 'index.html');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  /** @default a free port (kept across restarts) */
  port?: number;
  /** Share rooms through this Redis. @default in-memory */
  redisUrl?: string;
}

/** A demo server process. */
export interface DemoProcess {
  /** `http://localhost:<port>` */
  readonly url: string;
  readonly port: number;
  /** SIGKILL: the process dies without closing its sockets (clients see 1006). */
  kill(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  /** SIGTERM (the server drains: 1001 to every client), then wait for the exit. */
  stop(): Promise<void>;
}

/** Start the built demo server and wait until it listens. */
export async function startDemo(options: StartDemoOptions = {}): Promise<DemoProcess> {
  if (!existsSync(DEMO_MAIN) || !existsSync(DEMO_PAGES)) throw new Error('the demo is not built: run `npm run build` first');
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: options.redisUrl ?? '' };
    const proc = spawn(process.execPath, [DEMO_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    await listening(proc, port);
  };
  const end = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    process.kill(proc.pid as number, signal);
    const timer = setTimeout(() => { if (proc.exitCode === null) process.kill(proc.pid as number, 'SIGKILL'); }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { url: `http://localhost:${port}`, port, start, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Resolve when the process prints its URL; reject with its output when it exits first. */
function listening(proc: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`the demo did not start on ${port} within 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes(`Orrery demo on http://localhost:${port}`)) done();
    };
    const onExit = (code: number | null): void => fail(new Error(`the demo exited (${code}) before listening:\n${output}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.off('exit', onExit);
    };
    function done(): void {
      cleanup();
      // Keep draining the pipes so the child never blocks on a full one.
      proc.stdout?.resume();
      resolve();
    }
    function fail(error: Error): void {
      cleanup();
      reject(error);
    }
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-8_000); });
    proc.once('exit', onExit);
  });
}
