/**
 * docs/benchmarks.md and docs/benchmarks.svg, written by every full run (or quick run):
 * the method, the goals with verdicts, every ratio, the bundle sizes, and the hand-written
 * findings kept in bench/findings.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerKind } from '../common/protocol.js';
import type { RunResult, ScenarioId } from '../runner/results.js';
import { cell, noiseBand, verdicts, type Verdict } from './analyze.js';
import { chartSvg } from './chart.js';
import { methodText } from './method.js';

const PRIMARY: Record<Exclude<ScenarioId, 'BUNDLE'>, readonly string[]> = {
  E1: ['cpuUsPerEcho', 'systemUsPerEcho', 'echoesPerSec'],
  E2: ['p50Us', 'p99Us'],
  F1: ['cpuUsPerDelivery', 'systemUsPerDelivery', 'lastDeliveryMs'],
  F2: ['cpuUsPerDelivery', 'systemUsPerDelivery', 'lastDeliveryMs'],
  R1: ['p50Us', 'p99Us'],
  M1: ['heapPerConnKiB', 'rssPerConnKiB'],
  C1: ['connections', 'maxStallMs', 'connectMsPer1k', 'heapPerConnKiB'],
};
const COLUMNS: readonly ServerKind[] = ['X', 'Xt', 'B0', 'B0c', 'B1', 'S', 'HOP'];

function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) ? '–' : `${(a / b).toFixed(2)}×`;
}

function verdictRow(v: Verdict): string {
  const g = v.goal;
  const bound = g.vs === 'abs' ? `${g.atLeast === true ? '≥' : '≤'} ${fmt(g.bound)}${g.unit === undefined ? '' : ` ${g.unit}`}` : `≤ ${g.bound}× ${g.vs}`;
  const measured = g.vs === 'abs' ? fmt(v.ratio) : Number.isFinite(v.ratio) ? `${v.ratio.toFixed(2)}×` : '–';
  const status = v.status === 'met' ? '**met**' : v.status === 'missed' ? (v.withinNoise ? 'missed (within noise)' : '**missed**') : 'not measured';
  const flags = [...new Set([...(v.x?.flags ?? []), ...(v.base?.flags ?? [])])].join(', ');
  const noise = v.noise === undefined ? '–' : `±${(v.noise * 100).toFixed(0)}%`;
  return `| ${g.scenario} | ${g.case} | ${g.what} | ${g.subject} | ${fmt(v.x?.value)} | ${g.vs === 'abs' ? '–' : fmt(v.base?.value)} | ${measured} | ${noise} | ${bound} | ${status} | ${flags} |`;
}

function ratioTables(result: RunResult): string[] {
  const ms = result.measurements;
  const lines: string[] = [];
  for (const [scenario, metrics] of Object.entries(PRIMARY) as [Exclude<ScenarioId, 'BUNDLE'>, readonly string[]][]) {
    const cases = [...new Set(ms.filter((m) => m.scenario === scenario).map((m) => m.case))];
    for (const kase of cases) {
      for (const metric of metrics) {
        const cells = Object.fromEntries(COLUMNS.map((k) => [k, cell(ms, scenario, kase, k, metric)?.value]));
        if (Object.values(cells).every((v) => v === undefined)) continue;
        const noise = noiseBand(ms, scenario, kase, metric);
        const base = scenario === 'R1' ? ratio(cells.X, cells.HOP) : ratio(cells.X, cells.B0);
        lines.push(`| ${scenario} | ${kase} | ${metric} | ${COLUMNS.map((k) => fmt(cells[k])).join(' | ')} | ${base} | ${ratio(cells.X, cells.B1)} | ${ratio(cells.X, cells.S)} | ${ratio(cells.Xt, cells.X)} | ${noise === undefined ? '–' : `±${(noise * 100).toFixed(0)}%`} |`);
      }
    }
  }
  return lines;
}

function bundleTable(result: RunResult): string[] {
  return result.measurements
    .filter((m) => m.scenario === 'BUNDLE')
    .map((m) => `| ${m.variant} | ${fmt((m.metrics.minBytes ?? NaN) / 1024)} | ${fmt((m.metrics.gzipBytes ?? NaN) / 1024)} | ${m.notes.join('; ')} |`);
}

/** Write the docs; returns the files written. */
export function writeDocs(root: string, result: RunResult): string[] {
  const v = verdicts(result);
  const svgPath = `${root}docs/benchmarks.svg`;
  writeFileSync(svgPath, chartSvg(v, `Orrery vs baselines, ${result.mode} run ${result.startedAt.slice(0, 10)} (bar = measured, tick = goal; log scale)`));
  const findingsPath = `${root}bench/findings.md`;
  const findings = existsSync(findingsPath) ? readFileSync(findingsPath, 'utf8').trim() : '';
  const busy = result.measurements.filter((m) => m.flags.includes('machine-busy')).length;
  const loadBound = result.measurements.filter((m) => m.flags.includes('load-bound')).length;
  const count = (who: 'X' | 'Xt'): string => {
    const mine = v.filter((x) => x.goal.subject === who && x.status !== 'not measured');
    return mine.length === 0 ? 'not measured' : `${mine.filter((x) => x.status === 'met').length} of ${mine.length}`;
  };
  const out = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/src/report/docs.ts); edit bench/findings.md or the generator, not this file. -->',
    '',
    `Latest run: **${result.mode}**, ${result.rounds} round(s), ${result.startedAt} (${result.durationS} s), Node ${result.node}, Orrery at \`${result.orreryCommit}\`, load average at start ${result.machine.loadavgAtStart.join(' ')}.`,
    `Goals met: raw handlers (X) **${count('X')}**, typed layer (Xt) **${count('Xt')}**. Windows with other processes active (\`machine-busy\`): ${busy}; with the load generator as the bottleneck (\`load-bound\`): ${loadBound}.`,
    ...(result.notes.length > 0 ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
    ...(result.failures.length > 0 ? ['', '**Failures in this run:**', ...result.failures.map((f) => `- ${f.scenario}${f.server === undefined ? '' : ` ${f.server}`}: ${f.error.split('\n')[0]}`)] : []),
    '',
    '![Ratios against goals](benchmarks.svg)',
    '',
    '## Goals (issue 9)',
    '',
    '| Scenario | Case | Metric | who | value | baseline | measured | A/A noise | goal | verdict | flags |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...v.filter((x) => x.goal.subject === 'X' || x.status !== 'not measured').map(verdictRow),
    '',
    '## Every measured figure (medians over rounds)',
    '',
    `| Scenario | Case | Metric | ${COLUMNS.join(' | ')} | X/B0 (R1: X/HOP) | X/B1 | X/S | Xt/X | A/A noise |`,
    `|---|---|---|${COLUMNS.map(() => '---').join('|')}|---|---|---|---|---|`,
    ...ratioTables(result),
    '',
    'Units: `cpuUs…` µs of server CPU (user + system), `systemUs…` its kernel part; `…Us` µs; `…Ms` ms; `…KiB` KiB per connection; `echoesPerSec` echoes per second.',
    '',
    '## Client bundle sizes (esbuild, ESM, browser, minified; gzip -9)',
    '',
    '| Bundle | min KiB | min+gzip KiB | notes |',
    '|---|---|---|---|',
    ...bundleTable(result),
    '',
    ...(findings === '' ? [] : [findings, '']),
    methodText(),
  ];
  writeFileSync(`${root}docs/benchmarks.md`, `${out.join('\n')}\n`);
  return ['docs/benchmarks.md', 'docs/benchmarks.svg'];
}
