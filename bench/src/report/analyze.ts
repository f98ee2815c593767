/**
 * From measurements to verdicts: the median of each server's rounds, ratios of X to each
 * baseline, the A/A noise band (the control run of the first kind against its main run, in
 * the same round) and each goal met or missed.
 */
import type { ServerKind } from '../common/protocol.js';
import { median } from '../runner/context.js';
import type { Flag, Measurement, RunResult, ScenarioId } from '../runner/results.js';
import { goalsFor, type Goal } from './goals.js';

/** Median of a metric over a server's (non-control) rounds, and the flags they carried. */
export interface Cell {
  readonly value: number;
  readonly values: readonly number[];
  readonly flags: readonly Flag[];
}

/** A goal with its outcome. */
export interface Verdict {
  readonly goal: Goal;
  readonly x: Cell | undefined;
  readonly base: Cell | undefined;
  /** X / baseline, or X itself for absolute goals. */
  readonly ratio: number;
  /** A/A band of the baseline's metric (fraction, e.g. 0.08), when measured. */
  readonly noise: number | undefined;
  readonly status: 'met' | 'missed' | 'not measured';
  /** The miss is smaller than the noise band. */
  readonly withinNoise: boolean;
}

function matching(ms: readonly Measurement[], scenario: ScenarioId, kase: string, server: ServerKind, control: boolean): Measurement[] {
  return ms.filter((m) => m.scenario === scenario && m.case === kase && m.server === server && m.control === control);
}

/** The median cell of `metric` for a server (main runs only). */
export function cell(ms: readonly Measurement[], scenario: ScenarioId, kase: string, server: ServerKind, metric: string): Cell | undefined {
  const runs = matching(ms, scenario, kase, server, false).filter((m) => Number.isFinite(m.metrics[metric]));
  if (runs.length === 0) return undefined;
  const values = runs.map((m) => m.metrics[metric]!);
  return { value: median(values), values, flags: [...new Set(runs.flatMap((m) => m.flags))] };
}

/** Largest |control/main − 1| over the rounds for the control kind (B0, or HOP in R1). */
export function noiseBand(ms: readonly Measurement[], scenario: ScenarioId, kase: string, metric: string): number | undefined {
  const kind: ServerKind = scenario === 'R1' ? 'HOP' : 'B0';
  const controls = matching(ms, scenario, kase, kind, true);
  let band: number | undefined;
  for (const c of controls) {
    const main = matching(ms, scenario, kase, kind, false).find((m) => m.round === c.round);
    const a = main?.metrics[metric];
    const b = c.metrics[metric];
    if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) continue;
    const d = Math.abs(b / a - 1);
    band = band === undefined ? d : Math.max(band, d);
  }
  return band;
}

/** The case names a run used, for the goals. */
export function casesOf(result: RunResult): Parameters<typeof goalsFor>[0] {
  const first = (s: ScenarioId, pattern?: RegExp): string => result.measurements.find((m) => m.scenario === s && (pattern === undefined || pattern.test(m.case)))?.case ?? '';
  const all = (s: ScenarioId): string[] => [...new Set(result.measurements.filter((m) => m.scenario === s).map((m) => m.case))];
  return {
    e1: first('E1'),
    e2: first('E2'),
    f: all('F1'),
    r1: all('R1'),
    m1: first('M1'),
    c1: first('C1', /1 process/),
    c2: first('C1', /2 processes/),
  };
}

/** Every goal's verdict. */
export function verdicts(result: RunResult): Verdict[] {
  const ms = result.measurements;
  return goalsFor(casesOf(result)).map((goal) => {
    const x = cell(ms, goal.scenario, goal.case, goal.subject, goal.metric);
    const base = goal.vs === 'abs' ? undefined : cell(ms, goal.scenario, goal.case, goal.vs, goal.metric);
    const ratio = x === undefined ? NaN : goal.vs === 'abs' ? x.value : base === undefined || base.value === 0 ? NaN : x.value / base.value;
    const noise = goal.vs === 'abs' ? undefined : noiseBand(ms, goal.scenario, goal.case, goal.metric);
    if (!Number.isFinite(ratio)) return { goal, x, base, ratio, noise, status: 'not measured', withinNoise: false };
    const met = goal.atLeast === true ? ratio >= goal.bound : ratio <= goal.bound;
    const withinNoise = !met && noise !== undefined && Math.abs(ratio / goal.bound - 1) <= noise;
    return { goal, x, base, ratio, noise, status: met ? 'met' : 'missed', withinNoise };
  });
}
