/**
 * Latency histograms (HdrHistogram, 3 significant digits, µs) and the summaries the runner
 * stores. Values are recorded as measured from the intended send time, so a stalled server
 * shows up in the tail instead of being omitted (no coordinated omission).
 */
import * as hdr from 'hdr-histogram-js';

/** A latency distribution, in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** A histogram of microsecond values from 1 µs to 60 s. */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /** Record one value (µs); values below 1 µs count as 1, above 60 s as 60 s. */
  record(us: number): void {
    this.h.recordValue(us < 1 ? 1 : us > 60_000_000 ? 60_000_000 : Math.round(us));
  }

  get count(): number {
    return this.h.totalCount;
  }

  reset(): void {
    this.h.reset();
  }

  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      count: h.totalCount,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
      mean: Math.round(h.mean),
    };
  }
}

/** CPU time used by this process between two points, and the wall time between them. */
export interface CpuSample {
  /** User CPU, µs. */
  readonly userUs: number;
  /** System (kernel) CPU, µs. */
  readonly systemUs: number;
  /** Wall time, ms. */
  readonly wallMs: number;
}

/** Measures `process.cpuUsage()` over a window. */
export class CpuWindow {
  private startCpu = process.cpuUsage();
  private startWall = performance.now();

  start(): void {
    this.startCpu = process.cpuUsage();
    this.startWall = performance.now();
  }

  stop(): CpuSample {
    const d = process.cpuUsage(this.startCpu);
    return { userUs: d.user, systemUs: d.system, wallMs: performance.now() - this.startWall };
  }
}

/** CPU as a fraction of one core over a sample. */
export function coreFraction(s: CpuSample): number {
  return s.wallMs > 0 ? (s.userUs + s.systemUs) / 1000 / s.wallMs : 0;
}
