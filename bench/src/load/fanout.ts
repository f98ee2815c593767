/**
 * Fan-out load: a publisher triggers a broadcast (a burst of messages in one write) and the
 * subscribers count deliveries until the last one arrives; for cross-node runs the
 * subscribers record each delivery's latency from the timestamp the publishing node wrote.
 */
import { CpuWindow, LatencyHistogram } from '../common/hist.js';
import type { BurstStats, CollectStats } from '../common/protocol.js';
import { findPrefix, monoUs, readTs } from '../wire/payload.js';
import type { LoadClient } from './client.js';
import type { MessageFn } from './echo.js';
import type { Envelope } from './envelope.js';

let burstSeq = 0;
/** An event-loop iteration with nothing to do, while spinning (measured: ~0.7 µs). */
const IDLE_SPIN_MS = 0.001;

/**
 * Write `messages` frames from `publisher` in one TCP write and wait until every subscriber
 * received all of them (or `timeoutMs`). The process spins meanwhile (see below), so its CPU
 * reads ~100%; `workFraction` is the share of the window its loop iterations spent on I/O.
 */
export function burst(
  publisher: LoadClient,
  subscribers: readonly LoadClient[],
  envelope: Envelope,
  install: (fn: MessageFn) => void,
  messages: number,
  timeoutMs: number,
): Promise<BurstStats> {
  const live = subscribers.filter((s) => s.open).length;
  const expected = live * messages;
  const latency = new LatencyHistogram();
  const cpu = new CpuWindow();
  let received = 0;
  let last = 0;
  let busyMs = 0;
  return new Promise((resolve) => {
    let t0 = 0;
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      install(() => {});
      const sample = cpu.stop();
      const workFraction = sample.wallMs > 0 ? busyMs / sample.wallMs : 0;
      resolve({ expected, received, lastDeliveryMs: received === 0 ? 0 : (last - t0) / 1000, latency: latency.summary(), workFraction, cpu: sample });
    };
    install((_client, buf, start, end) => {
      if (findPrefix(buf, start, end) < 0) return; // not a benchmark message (welcome, pong…)
      last = monoUs();
      latency.record(last - t0);
      if (++received === expected) finish();
    });
    const timer = setTimeout(finish, timeoutMs);
    // Stay awake while the broadcast is in flight: on loopback a write to a sleeping reader makes
    // the *server* pay for waking the reader's CPU (an IPI, costly in a VM) — a cost no real
    // network puts on the server, and one that flips between runs.
    // Busy time: what each loop iteration took beyond an idle spin (≈ 0.7 µs here).
    let lastSpin = performance.now();
    const spin = (): void => {
      const now = performance.now();
      const gap = now - lastSpin;
      if (gap > IDLE_SPIN_MS * 3) busyMs += gap - IDLE_SPIN_MS;
      lastSpin = now;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    cpu.start();
    const frames = envelope.frames(messages, burstSeq, monoUs());
    burstSeq += messages;
    t0 = monoUs();
    publisher.write(frames);
    if (expected === 0) finish();
  });
}

/** Collects delivery latency (from the publisher's timestamp) until stopped. */
export class Collector {
  private readonly latency = new LatencyHistogram();
  private readonly cpu = new CpuWindow();
  private received = 0;

  readonly onMessage: MessageFn = (_client, buf, start, end) => {
    const at = findPrefix(buf, start, end);
    if (at < 0) return;
    this.latency.record(monoUs() - readTs(buf, at));
    this.received++;
  };

  start(): void {
    this.latency.reset();
    this.received = 0;
    this.cpu.start();
  }

  stop(): CollectStats {
    return { received: this.received, latency: this.latency.summary(), cpu: this.cpu.stop() };
  }
}
