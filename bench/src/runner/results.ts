/**
 * What a run records: one {@link Measurement} per scenario case, server and round, plus the
 * flags that say when a number should not be trusted.
 */
import type { ServerKind } from '../common/protocol.js';
import type { MachineSample } from './machine.js';

/** Scenario ids, as in issue 9. */
export type ScenarioId = 'E1' | 'E2' | 'F1' | 'F2' | 'R1' | 'M1' | 'C1' | 'BUNDLE';

/**
 * Why a measurement may be off.
 * - `load-bound`: the load generator used more than 80% of its core (it, not the server, set the pace).
 * - `machine-busy`: other processes used more than 0.4 cores during the window.
 * - `incomplete`: messages or connections were lost.
 */
export type Flag = 'load-bound' | 'machine-busy' | 'incomplete';

/** One measured window. */
export interface Measurement {
  readonly scenario: ScenarioId;
  /** e.g. `N=1000`, `1k msg/s → 10`. */
  readonly case: string;
  readonly server: ServerKind;
  /** True for the second B0 (or HOP) of a round: the A/A control. */
  readonly control: boolean;
  readonly round: number;
  readonly variant: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly flags: readonly Flag[];
  readonly notes: readonly string[];
  readonly machine?: MachineSample;
}

/** A scenario that could not run (the run goes on). */
export interface Failure {
  readonly scenario: ScenarioId;
  readonly server?: ServerKind;
  readonly error: string;
}

/** The JSON file a run writes. */
export interface RunResult {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  readonly durationS: number;
  readonly node: string;
  readonly machine: { loadavgAtStart: number[]; cpus: number };
  readonly versions: Readonly<Record<string, string>>;
  readonly orreryCommit: string;
  readonly measurements: Measurement[];
  readonly failures: Failure[];
  readonly notes: string[];
}

/** Flags from the load generator's core use and the machine sample. */
export function flagsFor(loadCoreFraction: number, machine: MachineSample | undefined, complete: boolean): Flag[] {
  const flags: Flag[] = [];
  if (loadCoreFraction > 0.8) flags.push('load-bound');
  if (machine !== undefined && machine.othersCores > 0.4) flags.push('machine-busy');
  if (!complete) flags.push('incomplete');
  return flags;
}
