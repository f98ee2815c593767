/**
 * The chart in docs/benchmarks.md: one row per goal, the measured ratio as a bar on a log
 * scale, the goal as a tick, green when met and red when missed; the A/A noise band is a
 * whisker around the bar's end. Plain SVG, no dependencies.
 */
import type { Verdict } from './analyze.js';

const WIDTH = 1060;
const ROW = 22;
const LEFT = 470;
const RIGHT = 60;
const TOP = 40;
const MIN = 0.05;
const MAX = 20;

function x(value: number): number {
  const v = Math.min(MAX, Math.max(MIN, value));
  return LEFT + ((Math.log10(v) - Math.log10(MIN)) / (Math.log10(MAX) - Math.log10(MIN))) * (WIDTH - LEFT - RIGHT);
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Ratio as plotted: X/baseline, or X/bound (bound/X for "at least") for absolute goals. */
export function plotted(v: Verdict): number {
  if (v.goal.vs !== 'abs') return v.ratio;
  return v.goal.atLeast === true ? v.goal.bound / v.ratio : v.ratio / v.goal.bound;
}

function tickOf(v: Verdict): number {
  return v.goal.vs === 'abs' ? 1 : v.goal.bound;
}

/** The SVG text. */
export function chartSvg(rows: readonly Verdict[], title: string): string {
  const height = TOP + rows.length * ROW + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of [0.1, 0.25, 0.5, 1, 2, 5, 10]) {
    parts.push(`<line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${height - 30}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(t)}" y="${height - 14}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  rows.forEach((v, i) => {
    const y = TOP + i * ROW;
    const label = `${v.goal.scenario} ${v.goal.case} · ${v.goal.subject} ${v.goal.what} ${v.goal.vs === 'abs' ? '(÷ bound)' : `vs ${v.goal.vs}`}`;
    parts.push(`<text x="${LEFT - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`);
    const value = plotted(v);
    if (Number.isFinite(value)) {
      const colour = v.status === 'met' ? '#2e7d32' : v.withinNoise ? '#f9a825' : '#c62828';
      parts.push(`<rect x="${x(MIN)}" y="${y + 4}" width="${Math.max(1, x(value) - x(MIN))}" height="${ROW - 8}" fill="${colour}" opacity="0.8"/>`);
      if (v.noise !== undefined && v.noise > 0) {
        const lo = x(value / (1 + v.noise));
        const hi = x(value * (1 + v.noise));
        parts.push(`<line x1="${lo}" y1="${y + ROW / 2}" x2="${hi}" y2="${y + ROW / 2}" stroke="#000" stroke-width="1"/>`);
      }
      parts.push(`<text x="${Math.min(WIDTH - RIGHT + 4, x(value) + 4)}" y="${y + 14}" fill="#000">${value.toFixed(2)}</text>`);
    } else {
      parts.push(`<text x="${x(MIN) + 4}" y="${y + 14}" fill="#888">not measured</text>`);
    }
    const t = x(tickOf(v));
    parts.push(`<line x1="${t}" y1="${y + 1}" x2="${t}" y2="${y + ROW - 1}" stroke="#000" stroke-width="2"/>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
