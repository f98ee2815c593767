/**
 * Measurements a server process takes of itself: memory after forced GC, and event-loop
 * stalls (monitorEventLoopDelay plus a 10 ms timer-drift probe, which also catches a stall
 * that the delay histogram's sampling would round), with the longest GC pause in the window
 * so that a stall can be told apart from garbage collection.
 */
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { CpuWindow } from '../common/hist.js';
import type { MemorySample, StallSample } from '../common/protocol.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Heap and RSS after three full collections (needs --expose-gc). */
export async function memoryAfterGc(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the server runs without --expose-gc; memory figures need it');
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

const DRIFT_INTERVAL_MS = 10;
const DELAY_RESOLUTION_MS = 10;

/** perf_hooks GC kinds (NODE_PERFORMANCE_GC_*). */
function gcKind(kind: number | undefined): string {
  switch (kind) {
    case 1: return 'minor';
    case 4: return 'major';
    case 8: return 'incremental';
    case 16: return 'weakcb';
    default: return String(kind ?? '?');
  }
}

/** Event-loop stall measurement over a window. */
export class StallProbe {
  private histogram: IntervalHistogram | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private maxDrift = 0;
  private maxDriftAt = 0;
  private maxGc = 0;
  private maxGcKind = '';
  private gcObserver: PerformanceObserver | undefined;
  private readonly cpu = new CpuWindow();

  start(): void {
    this.stop();
    this.histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.histogram.enable();
    this.maxDrift = 0;
    this.maxGc = 0;
    this.maxGcKind = '';
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.duration <= this.maxGc) continue;
        this.maxGc = entry.duration;
        this.maxGcKind = gcKind((entry as unknown as { detail?: { kind?: number } }).detail?.kind);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    let last = performance.now();
    const started = last;
    this.timer = setInterval(() => {
      const now = performance.now();
      const drift = now - last - DRIFT_INTERVAL_MS;
      if (drift > this.maxDrift) {
        this.maxDrift = drift;
        this.maxDriftAt = now - started;
      }
      last = now;
    }, DRIFT_INTERVAL_MS);
    this.cpu.start();
  }

  stop(): StallSample {
    const h = this.histogram;
    // The histogram records the interval between its timer's runs (≈ resolution + delay):
    // subtract the resolution to get the delay, as the drift probe measures it.
    const sample: StallSample = {
      maxDelayMs: h === undefined ? 0 : Math.max(0, h.max / 1e6 - DELAY_RESOLUTION_MS),
      p99DelayMs: h === undefined ? 0 : Math.max(0, h.percentile(99) / 1e6 - DELAY_RESOLUTION_MS),
      maxDriftMs: Math.max(0, this.maxDrift),
      maxDriftAtMs: this.maxDriftAt,
      maxGcMs: this.maxGc,
      maxGcKind: this.maxGcKind,
      cpu: this.cpu.stop(),
    };
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
    h?.disable();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.histogram = undefined;
    this.timer = undefined;
    return sample;
  }
}
