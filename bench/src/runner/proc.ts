/**
 * Child processes of a benchmark run: spawned pinned to a CPU with `taskset`, driven over
 * the typed control channel, and always reaped — every child is tracked, and the runner
 * kills what is left on any exit (normal end, failure, SIGINT/SIGTERM, uncaught error).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandMap, IpcReply } from '../common/ipc.js';

/** Node flags for TypeScript children: sources of the workspace packages, through tsx. */
export const TS_NODE_FLAGS = ['--conditions=@orrery/source', '--import', 'tsx'];

const live = new Set<ChildProcess>();
const livePids = new Set<number>();

let tasksetChecked: boolean | undefined;

/** Whether `taskset` can pin processes here (checked once; without it children run unpinned). */
export function canPin(): boolean {
  if (tasksetChecked === undefined) {
    tasksetChecked = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
    if (!tasksetChecked) process.stdout.write('  NOTE: taskset is not available: servers and load generators run unpinned\n');
  }
  return tasksetChecked;
}

/** Kill every child still running (synchronous: safe in an `exit` handler). */
export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
}

/** Children still running. */
export function liveChildren(): number {
  return live.size + livePids.size;
}

/** Track a process that is not our direct child (redis-server under its guard) by pid. */
export function trackPid(pid: number): void {
  livePids.add(pid);
}

/** Forget a pid tracked with {@link trackPid} (it has exited). */
export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

/** Track a child spawned elsewhere (e.g. redis-server) so that it is reaped too. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** How to start one child. */
export interface ChildSpec {
  /** For messages: "server B0", "load 1". */
  readonly name: string;
  /** Script path relative to bench/src. */
  readonly script: string;
  /** CPU to pin to (taskset -c), or undefined for no pinning. */
  readonly cpu: number | undefined;
  /** Extra node flags (e.g. --expose-gc, --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Passed as BENCH_CHILD_CONFIG. */
  readonly config: unknown;
  /** How long to wait for `ready`. @default 30_000 */
  readonly readyTimeoutMs?: number;
}

/** A running child with a typed control channel. */
export class Child<M extends CommandMap<M>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Resolves with the exit code (or signal) when the process has ended. */
  readonly exited: Promise<number | string>;

  constructor(readonly name: string, readonly process: ChildProcess) {
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        const why = new Error(`${name} exited (${signal ?? code})`);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        resolve(signal ?? code ?? 0);
      });
    });
    process.on('message', (raw: unknown) => {
      const reply = raw as IpcReply;
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(`${name}: ${reply.error ?? 'failed'}`));
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Run `cmd` in the child; rejects after `timeoutMs`. */
  call<K extends keyof M & string>(cmd: K, args: M[K]['args'], timeoutMs = 60_000): Promise<M[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as M[K]['result']); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      if (!this.process.connected) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`${this.name} is not running`));
        return;
      }
      this.process.send({ id, cmd, args });
    });
  }

  /** Ask the child to exit; SIGKILL it if it has not within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const id = this.nextId++;
    if (this.process.connected) this.process.send({ id, cmd: 'exit', args: undefined });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Spawn a child and wait for its `ready`; returns the child and what it announced. */
export async function spawnChild<M extends CommandMap<M>, R>(spec: ChildSpec): Promise<{ child: Child<M>; ready: R }> {
  const script = fileURLToPath(new URL(`../${spec.script}`, import.meta.url));
  const nodeArgs = [...TS_NODE_FLAGS, ...(spec.nodeFlags ?? []), script];
  const [command, args] = spec.cpu === undefined || !canPin()
    ? [process.execPath, nodeArgs]
    : ['taskset', ['-c', String(spec.cpu), process.execPath, ...nodeArgs]];
  const proc = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(spec.config) },
  });
  track(proc);
  const child = new Child<M>(spec.name, proc);
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.name} did not start within ${spec.readyTimeoutMs ?? 30_000} ms`)), spec.readyTimeoutMs ?? 30_000);
    const onMessage = (raw: unknown): void => {
      const reply = raw as IpcReply;
      if (reply.id !== 0) return;
      clearTimeout(timer);
      proc.off('message', onMessage);
      if (reply.ok) resolve(reply.result as R);
      else reject(new Error(`${spec.name}: ${reply.error ?? 'failed to start'}`));
    };
    proc.on('message', onMessage);
    proc.once('error', (error) => { clearTimeout(timer); reject(error); });
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${spec.name} exited while starting (${signal ?? code})`)); });
  }).catch((error: unknown) => {
    proc.kill('SIGKILL');
    throw error;
  });
  return { child, ready };
}
