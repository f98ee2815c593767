/**
 * The client side of a chaos run: clients of the stream route (stream-server.ts) that record
 * what they receive and send `say` at a steady pace, a publisher of ticks, and the checks at
 * the end — every tick and every `heard` exactly once and in order, every `say` processed
 * exactly once (by whichever node owned the session), no refused resume, no error event.
 */
import { expect } from 'vitest';
import { createWebsocketClient, type ClientErrorEvent, type ResumeEvent, type WebsocketClient, type WebsocketClientOptions } from '@orrery/client';
import { onCleanup, sleep, until } from '../fixtures/helpers.js';
import type { ChaosProxy } from './chaos-proxy.js';
import { streamProtocol, type StreamLog } from './stream-server.js';

/** One client of a run and what it saw. */
export interface Observer {
  readonly id: string;
  readonly client: WebsocketClient<typeof streamProtocol>;
  readonly ticks: number[];
  readonly heard: number[];
  readonly resumes: ResumeEvent<typeof streamProtocol>[];
  readonly errors: ClientErrorEvent<typeof streamProtocol>[];
  /** `say` messages sent so far (n = 1 … sent). */
  sent: number;
}

/** Open `count` clients through the proxy on `port` (with `options` added); closed after the test. */
export async function openObservers(port: number, count: number, options: Partial<WebsocketClientOptions> = {}): Promise<Observer[]> {
  const observers: Observer[] = [];
  for (let i = 0; i < count; i++) {
    const id = `c${i}`;
    const client = createWebsocketClient(streamProtocol, {
      url: `ws://127.0.0.1:${port}/stream?user=${id}`,
      reconnect: { initialDelayMs: 5, maxDelayMs: 40 },
      heartbeat: { intervalMs: 1_000, timeoutMs: 1_000 },
      connectTimeoutMs: 2_000,
      resume: { ackDelayMs: 20 },
      ...options,
    });
    onCleanup(() => client.close());
    const o: Observer = { id, client, ticks: [], heard: [], resumes: [], errors: [], sent: 0 };
    client.on('tick', ({ n }) => o.ticks.push(n));
    client.on('heard', ({ n }) => o.heard.push(n));
    client.onResume((e) => o.resumes.push(e));
    client.onError((e) => o.errors.push(e));
    observers.push(o);
  }
  await until(() => observers.every((o) => o.client.state.status === 'open'), 'every client open', 15_000);
  return observers;
}

/** What drives a run. */
export interface ChaosRun {
  readonly proxy: ChaosProxy;
  readonly observers: Observer[];
  /** Publish ticks `from` … `to` (resolves when published). */
  readonly publish: (from: number, to: number) => Promise<unknown>;
  /** Cut at least this many connections before stopping. */
  readonly cuts: number;
  /** Ticks per publish call, and the pause between calls. @default 5, 5 ms */
  readonly batch?: number;
  readonly pauseMs?: number;
  /** Pause between two `say` of a client. @default 10 */
  readonly sayEveryMs?: number;
}

/** Run until `cuts` connections were cut; returns the number of ticks published. */
export async function runChaos(run: ChaosRun): Promise<number> {
  const batch = run.batch ?? 5;
  let published = 0;
  let running = true;
  run.proxy.cutting(true);
  const senders = run.observers.map((o) => setInterval(() => {
    if (!running) return;
    o.client.send('say', { from: o.id, n: o.sent + 1 });
    o.sent++;
  }, run.sayEveryMs ?? 10));
  const publisher = (async () => {
    while (running) {
      await run.publish(published + 1, published + batch);
      published += batch;
      await sleep(run.pauseMs ?? 5);
    }
  })();
  try {
    await until(() => run.proxy.cuts.total >= run.cuts, `${run.cuts} cuts (${run.proxy.cuts.total} so far)`, 60_000);
  } finally {
    running = false;
    for (const timer of senders) clearInterval(timer);
    await publisher;
    run.proxy.cutting(false);
  }
  return published;
}

/** Wait until everything arrived, then check exactly-once in order, both ways. */
export async function expectExactlyOnce(observers: Observer[], ticks: number, logs: () => Promise<StreamLog[]>): Promise<void> {
  const complete = () => observers.every((o) => o.ticks.length >= ticks && o.heard.length >= o.sent);
  await until(complete, 'every tick and every heard at every client', 30_000).catch((error: Error) => {
    const where = observers.map((o) => ({
      id: o.id, status: o.client.state.status, lastClose: o.client.state.lastClose, ticks: o.ticks.length, lastTick: o.ticks.at(-1), heard: o.heard.length, sent: o.sent,
      refusals: o.resumes.filter((e) => !e.resumed).length, errors: o.errors.map((e) => e.error.message),
    }));
    throw new Error(`${error.message} (${ticks} ticks): ${JSON.stringify(where)}`);
  });
  let merged = merge(await logs());
  for (let i = 0; i < 100 && !observers.every((o) => (merged.said[o.id]?.length ?? 0) >= o.sent); i++) {
    await sleep(50);
    merged = merge(await logs());
  }
  await sleep(100); // anything duplicated would arrive now
  merged = merge(await logs());
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  for (const o of observers) {
    const summary = { id: o.id, refusals: o.resumes.filter((e) => !e.resumed).map((e) => !e.resumed && e.reason), errors: o.errors.map((e) => e.error.message) };
    expect(summary).toEqual({ id: o.id, refusals: [], errors: [] });
    expect(o.ticks).toEqual(upTo(ticks));
    expect(o.heard).toEqual(upTo(o.sent));
    expect(merged.said[o.id]).toEqual(upTo(o.sent));
    expect({ id: o.id, inits: merged.inits[o.id], terminated: merged.terminated[o.id] ?? [] }).toEqual({ id: o.id, inits: 1, terminated: [] });
  }
}

/** The logs of several nodes as one (sessions are processed by one node at a time). */
function merge(logs: StreamLog[]): StreamLog {
  const merged: StreamLog = { said: {}, inits: {}, terminated: {} };
  for (const log of logs) {
    for (const [id, said] of Object.entries(log.said)) (merged.said[id] ??= []).push(...said);
    for (const [id, n] of Object.entries(log.inits)) merged.inits[id] = (merged.inits[id] ?? 0) + n;
    for (const [id, t] of Object.entries(log.terminated)) (merged.terminated[id] ??= []).push(...t);
  }
  return merged;
}
