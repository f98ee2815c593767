/**
 * Echo load: a closed loop (every client keeps one message in flight — E1, throughput and
 * server CPU per echo) and an open loop at a fixed offered rate (E2, latency from the
 * intended send time).
 */
import { CpuWindow, LatencyHistogram } from '../common/hist.js';
import { startPacer } from '../common/pacer.js';
import type { ClosedLoopStats, OpenLoopStats } from '../common/protocol.js';
import { findPrefix, monoUs, readSeq, readTs } from '../wire/payload.js';
import type { LoadClient } from './client.js';
import type { Envelope } from './envelope.js';

/** Receives a data frame for a role. */
export type MessageFn = (client: LoadClient, buf: Buffer, start: number, end: number) => void;

/** The closed echo loop over `clients`. */
export class ClosedLoop {
  private echoes = 0;
  private measuring = false;
  private running = false;
  private readonly rtt = new LatencyHistogram();
  private readonly cpu = new CpuWindow();
  private seq = 0;

  constructor(private readonly clients: readonly LoadClient[], private readonly envelope: Envelope) {}

  /** The handler to install for the echo role. */
  readonly onMessage: MessageFn = (client, buf, start, end) => {
    if (!this.running) return;
    const now = monoUs();
    if (this.measuring) {
      this.echoes++;
      const at = findPrefix(buf, start, end);
      if (at >= 0) this.rtt.record(now - readTs(buf, at));
    }
    client.write(this.envelope.frame(this.seq++, now));
  };

  start(): void {
    this.running = true;
    const now = monoUs();
    for (const c of this.clients) c.write(this.envelope.frame(this.seq++, now));
  }

  mark(): void {
    this.echoes = 0;
    this.rtt.reset();
    this.cpu.start();
    this.measuring = true;
  }

  measure(): ClosedLoopStats {
    this.measuring = false;
    return { echoes: this.echoes, rtt: this.rtt.summary(), cpu: this.cpu.stop() };
  }

  stop(): void {
    this.running = false;
    this.measuring = false;
  }
}

/** Options of {@link openLoop}. */
export interface OpenLoopOptions {
  readonly rate: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Wait this long after the last send for outstanding echoes. */
  readonly drainMs: number;
}

/**
 * Offer `rate` messages/s round-robin over `clients` for warmup + duration; every echo of a
 * message sent after the warm-up is recorded from its intended send time.
 */
export async function openLoop(
  clients: readonly LoadClient[],
  envelope: Envelope,
  install: (fn: MessageFn) => void,
  o: OpenLoopOptions,
): Promise<OpenLoopStats> {
  const latency = new LatencyHistogram();
  const lag = new LatencyHistogram();
  const cpu = new CpuWindow();
  const firstMeasured = Math.floor((o.warmupMs / 1000) * o.rate);
  let received = 0;
  let workMs = 0;
  let sentMeasured = 0;
  let allReceived: (() => void) | undefined;
  install((_client, buf, start, end) => {
    const t = performance.now();
    const at = findPrefix(buf, start, end);
    if (at >= 0 && readSeq(buf, at) >= firstMeasured) {
      latency.record(monoUs() - readTs(buf, at));
      received++;
      if (allReceived !== undefined && received >= sentMeasured) allReceived();
    }
    workMs += performance.now() - t;
  });
  const n = clients.length;
  let windowStart = 0;
  // Start with a clean heap, so that a major GC of earlier garbage does not land in the window.
  (globalThis as { gc?: () => void }).gc?.();
  const pacer = startPacer(o.rate, o.warmupMs + o.durationMs, true, (seq, intendedUs) => {
    const t = performance.now();
    if (seq === firstMeasured) {
      cpu.start();
      windowStart = t;
      workMs = 0;
    }
    if (seq >= firstMeasured) {
      sentMeasured++;
      lag.record(monoUs() - intendedUs);
    }
    clients[seq % n]!.write(envelope.frame(seq, intendedUs));
    workMs += performance.now() - t;
  });
  await pacer.done;
  const sendEnd = performance.now();
  if (received < sentMeasured) {
    await new Promise<void>((resolve) => {
      allReceived = resolve;
      setTimeout(resolve, o.drainMs);
    });
  }
  const cpuSample = cpu.stop();
  install(() => {});
  return {
    sent: sentMeasured,
    received,
    latency: latency.summary(),
    schedulingLag: lag.summary(),
    workFraction: windowStart > 0 ? workMs / (performance.now() - windowStart) : 0,
    cpu: { ...cpuSample, wallMs: Math.max(cpuSample.wallMs, sendEnd - windowStart) },
  };
}
