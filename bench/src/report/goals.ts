/**
 * The goals of issue 9, as data: Orrery (X) against a baseline in the same run, or an
 * absolute bound. Every goal is "at most" except where `atLeast` is set.
 */
import type { ServerKind } from '../common/protocol.js';
import type { ScenarioId } from '../runner/results.js';

/** One goal. */
export interface Goal {
  /** Whose figure: Orrery's raw handlers (X) or its typed layer (Xt). */
  readonly subject: 'X' | 'Xt';
  readonly scenario: ScenarioId;
  /** The measurement case (exact match). */
  readonly case: string;
  readonly metric: string;
  /** What is measured, in words. */
  readonly what: string;
  /** The baseline of the ratio X / vs, or `abs` for a bound on X itself. */
  readonly vs: ServerKind | 'abs';
  readonly bound: number;
  readonly atLeast?: boolean;
  /** Unit of an absolute bound. */
  readonly unit?: string;
}

/** Goals without their subject, as the issue lists them. */
type Spec = Omit<Goal, 'subject'>;

/**
 * The goals, given the run's case names: each for X, and the echo and broadcast goals again for
 * the typed layer (Xt), which pays for the envelope and validation.
 */
export function goalsFor(cases: { e1: string; e2: string; f: readonly string[]; r1: readonly string[]; m1: string; c1: string; c2: string }): Goal[] {
  const g: Spec[] = [
    { scenario: 'E1', case: cases.e1, metric: 'cpuUsPerEcho', what: 'server CPU per echo', vs: 'B0', bound: 1.05 },
    { scenario: 'E1', case: cases.e1, metric: 'cpuUsPerEcho', what: 'server CPU per echo', vs: 'S', bound: 0.6 },
    { scenario: 'E2', case: cases.e2, metric: 'p50Us', what: 'echo latency p50', vs: 'B0', bound: 1.05 },
    { scenario: 'E2', case: cases.e2, metric: 'p99Us', what: 'echo latency p99', vs: 'B0', bound: 1.2 },
    { scenario: 'E2', case: cases.e2, metric: 'p99Us', what: 'echo latency p99', vs: 'S', bound: 0.7 },
  ];
  for (const c of cases.f) {
    g.push(
      { scenario: 'F1', case: c, metric: 'cpuUsPerDelivery', what: 'server CPU per delivery', vs: 'B0', bound: 0.25 },
      { scenario: 'F1', case: c, metric: 'cpuUsPerDelivery', what: 'server CPU per delivery', vs: 'S', bound: 0.2 },
      { scenario: 'F1', case: c, metric: 'lastDeliveryMs', what: 'time to last delivery', vs: 'B0', bound: 0.25 },
      { scenario: 'F1', case: c, metric: 'lastDeliveryMs', what: 'time to last delivery', vs: 'S', bound: 0.2 },
    );
  }
  for (const c of cases.f) {
    g.push(
      { scenario: 'F2', case: c, metric: 'cpuUsPerDelivery', what: 'server CPU per delivery', vs: 'B0', bound: 1.1 },
      { scenario: 'F2', case: c, metric: 'cpuUsPerDelivery', what: 'server CPU per delivery', vs: 'S', bound: 0.7 },
    );
  }
  const [fast, wide] = cases.r1;
  if (fast !== undefined) {
    g.push(
      { scenario: 'R1', case: fast, metric: 'p50Us', what: 'cross-node latency p50', vs: 'HOP', bound: 1.3 },
      { scenario: 'R1', case: fast, metric: 'p99Us', what: 'cross-node latency p99', vs: 'HOP', bound: 2 },
    );
  }
  if (wide !== undefined) g.push({ scenario: 'R1', case: wide, metric: 'p50Us', what: 'cross-node latency p50', vs: 'HOP', bound: 4 });
  g.push(
    { scenario: 'M1', case: cases.m1, metric: 'heapPerConnKiB', what: 'heap per idle connection', vs: 'B0', bound: 1.15 },
    { scenario: 'M1', case: cases.m1, metric: 'heapPerConnKiB', what: 'heap per idle connection', vs: 'S', bound: 0.3 },
    { scenario: 'C1', case: cases.c1, metric: 'maxStallMs', what: 'longest event-loop stall', vs: 'abs', bound: 25, unit: 'ms' },
    { scenario: 'C1', case: cases.c1, metric: 'connectMsPer1k', what: 'connect time per 1k', vs: 'B0', bound: 1.2 },
    { scenario: 'C1', case: cases.c2, metric: 'connections', what: 'connections held by two processes', vs: 'abs', bound: 38_000, atLeast: true },
  );
  const typed = g.filter((x) => x.scenario === 'E1' || x.scenario === 'E2' || x.scenario === 'F1' || x.scenario === 'F2');
  return [...g.map((x): Goal => ({ ...x, subject: 'X' })), ...typed.map((x): Goal => ({ ...x, subject: 'Xt' }))];
}
