/**
 * Draining a server: every connection gets 1001 "server shutting down; please reconnect",
 * spread evenly over the drain window so clients do not reconnect in one storm.
 */
import type { ResolvedLimits } from './options.js';
import type { SessionHub } from './resume/relay.js';
import type { ResumableConnection } from './resume/session.js';
import type { SessionTable } from './resume/table.js';
import type { WsConnection } from './ws-connection.js';

/** What draining needs of a route. */
export interface DrainableRoute {
  readonly connections: Set<WsConnection>;
  readonly hub: SessionHub | undefined;
  readonly sessions: SessionTable<ResumableConnection> | undefined;
  readonly limits: ResolvedLimits;
}

/**
 * Close every connection of `routes` (sessions without a socket here — parked or relayed — at
 * once, sockets spread over `windowMs`), wait for the close handshakes (destroying what is
 * left after the longest `closeTimeoutMs` + 0.5 s) and for every `terminate`.
 */
export async function closeEveryConnection(routes: readonly DrainableRoute[], windowMs: number, reason: string): Promise<void> {
  const live = routes.flatMap((r) => [...r.connections]);
  const detached = routes.flatMap((r) => (r.sessions?.all() ?? []).filter((s) => !r.connections.has(s)));
  const terminated = [...live, ...detached].map((c) => c.whenTerminated());
  for (const session of detached) session.beginClose(1001, reason, { type: 'stop' });
  // Relayed clients: close them; their sessions' owners park them for a resume elsewhere.
  for (const r of routes) for (const relay of r.hub?.allRelays() ?? []) relay.shutdown(1001, reason);
  await spreadOver(live.length, windowMs, (i) => {
    live[i]!.beginClose(1001, reason, { type: 'stop' });
  });
  const graceMs = Math.max(...routes.map((r) => r.limits.closeTimeoutMs)) + 500;
  const allClosed = Promise.all(routes.map((r) => waitUntil(() => r.connections.size === 0)));
  if (await timedOut(allClosed, graceMs)) for (const r of routes) for (const c of r.connections) c.abort();
  await Promise.all(terminated);
  for (const r of routes) r.hub?.stop();
}

/** Call `fn(i)` for i in 0..n-1, spread evenly over `windowMs` (one timer at a time). */
export async function spreadOver(n: number, windowMs: number, fn: (i: number) => void): Promise<void> {
  if (n === 0) return;
  if (windowMs <= 0) {
    for (let i = 0; i < n; i++) fn(i);
    return;
  }
  const start = Date.now();
  let next = 0;
  while (next < n) {
    const due = Math.min(n, Math.floor(((Date.now() - start) / windowMs) * n) + 1);
    while (next < due) fn(next++);
    if (next < n) await sleep(Math.max(1, Math.min(50, windowMs / n)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

/** Resolves true when `promise` did not settle within `ms`. */
async function timedOut(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), ms); });
  const result = await Promise.race([promise.then(() => false), timeout]);
  clearTimeout(timer);
  return result;
}
