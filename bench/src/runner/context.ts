/**
 * What every scenario gets: the run's profile (quick or full), a logger, the place to put
 * measurements, and helpers that start a server and a load generator and always stop them.
 */
import type { LoadCommands, ServerCommands, ServerConfig, ServerKind, ServerReady } from '../common/protocol.js';
import { Child, spawnChild } from './proc.js';
import type { Profile } from './profile.js';
import type { Failure, Measurement, ScenarioId } from './results.js';

/** CPU placement: the server on CPU0, load (and Redis, and R1's publishing node) on CPU1. */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

/** A started server process. */
export interface ServerHandle {
  readonly child: Child<ServerCommands>;
  readonly ready: ServerReady;
}

/** A started load generator process. */
export type LoadHandle = Child<LoadCommands>;

/** The scenario's view of the run. */
export interface RunContext {
  readonly profile: Profile;
  readonly measurements: Measurement[];
  readonly failures: Failure[];
  readonly notes: string[];
  /** Server kind whose processes run under `--cpu-prof` (none when undefined). */
  readonly profileServer: ServerKind | undefined;
  readonly profileDir: string;
  /** Only these server kinds (`--servers=`), or all. */
  readonly kinds: ReadonlySet<ServerKind> | undefined;
  log(line: string): void;
}

let loadCounter = 0;

/** Start a server process. */
export async function startServer(ctx: RunContext, config: ServerConfig, cpu: number | undefined = SERVER_CPU): Promise<ServerHandle> {
  // BENCH_SERVER_NODE_FLAGS: extra node/V8 flags for every server process (experiments).
  const flags = ['--expose-gc', ...(process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')];
  // One file per thread (CPU.<date>.<pid>.<tid>…); the main thread is the largest.
  if (ctx.profileServer === config.kind) flags.push('--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}/${config.kind}-${config.app}`);
  const { child, ready } = await spawnChild<ServerCommands, ServerReady>({
    name: `server ${config.kind}/${config.app}`,
    script: 'servers/main.ts',
    cpu,
    nodeFlags: flags,
    config,
  });
  return { child, ready };
}

/** Start a load generator process. */
export async function startLoad(cpu: number | undefined = LOAD_CPU): Promise<LoadHandle> {
  const name = `load${++loadCounter}`;
  const { child } = await spawnChild<LoadCommands, unknown>({ name, script: 'load/main.ts', cpu, nodeFlags: ['--expose-gc'], config: { name } });
  return child;
}

/**
 * Run `fn` with the given processes, and stop them all afterwards, whatever happens — one by
 * one in the order given (servers before load generators: the side that closes a TCP
 * connection first keeps its TIME_WAIT, and it must not be the load generator's source ports).
 */
export async function using<T>(
  start: () => Promise<{ stop(): Promise<void> }[]>,
  fn: () => Promise<T>,
): Promise<T> {
  let started: { stop(): Promise<void> }[] = [];
  try {
    started = await start();
    return await fn();
  } finally {
    for (const p of started) await p.stop().catch(() => {});
  }
}

/** Sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * The servers of one round, rotated so that over rounds each runs in every position (A B A B),
 * with the control (a second run of the first kind, for the A/A noise band) last.
 */
export function roundOrder(ctx: RunContext, all: readonly ServerKind[], round: number, control: boolean): { kind: ServerKind; control: boolean }[] {
  const kinds = ctx.kinds === undefined ? all : all.filter((k) => ctx.kinds!.has(k));
  if (kinds.length === 0) return [];
  const rest = kinds.slice(1);
  const shift = rest.length === 0 ? 0 : round % rest.length;
  const rotated = [...rest.slice(shift), ...rest.slice(0, shift)];
  const order = [{ kind: kinds[0]!, control: false }, ...rotated.map((kind) => ({ kind, control: false }))];
  if (control && kinds[0] === all[0]) order.push({ kind: kinds[0]!, control: true });
  return order;
}

/**
 * Run `fn` for every round and every server kind of the round (see {@link roundOrder}); a
 * failure is recorded under `scenario` and the run goes on (after `recover`).
 */
export async function eachServer(
  ctx: RunContext,
  kinds: readonly ServerKind[],
  scenario: ScenarioId,
  control: boolean,
  fn: (kind: ServerKind, control: boolean, round: number) => Promise<void>,
  recover: () => Promise<void> = async () => {},
): Promise<void> {
  for (let r = 0; r < ctx.profile.rounds; r++) {
    for (const run of roundOrder(ctx, kinds, r, control)) {
      try {
        await fn(run.kind, run.control, r);
      } catch (error) {
        ctx.failures.push({ scenario, server: run.kind, error: error instanceof Error ? error.message : String(error) });
        ctx.log(`  ${scenario} ${run.kind}: FAILED ${error instanceof Error ? error.message : String(error)}`);
        await recover().catch(() => {});
      }
    }
  }
}

/**
 * Keep a measurement and print it, with a clear warning when the load generator or the
 * machine (other processes) set the pace.
 */
export function record(ctx: RunContext, m: Measurement, summary: string): void {
  ctx.measurements.push(m);
  const who = m.control ? `${m.server} (A/A)` : m.server;
  const warnings: string[] = [];
  if (m.flags.includes('load-bound')) warnings.push('LOAD GENERATOR WAS THE BOTTLENECK');
  if (m.flags.includes('machine-busy')) warnings.push(`MACHINE BUSY: other processes used ${(m.machine?.othersCores ?? 0).toFixed(2)} cores`);
  if (m.flags.includes('incomplete')) warnings.push('INCOMPLETE');
  ctx.log(`  ${m.scenario} ${m.case} ${who}: ${summary}${warnings.length === 0 ? '' : `  !! ${warnings.join('; ')}`}`);
}
