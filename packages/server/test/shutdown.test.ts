import { describe, expect, it, vi } from 'vitest';
import { spreadOver } from '../src/shutdown.js';
import { route, type TerminateReason, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { echoHandler, sleep, startServer } from './support.js';

describe('graceful shutdown', () => {
  it('closes every connection with 1001 spread over the drain window; terminate gets stop; new upgrades are refused', async () => {
    const reasons: TerminateReason[] = [];
    const handler: WebsocketHandler<null> = { ...echoHandler, terminate: (_s, _c, r) => { reasons.push(r); } };
    const server = await startServer(route('/s', handler));
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectTestClient(server.url('/s'))));
    const closedAt: number[] = [];
    for (const c of clients) void c.closed.then(() => closedAt.push(Date.now()));
    const started = Date.now();
    const closing = server.close({ drainWindowMs: 600 });
    await sleep(50);
    await expect(connectTestClient(server.url('/s'))).rejects.toThrow();
    await closing;
    const results = await Promise.all(clients.map((c) => c.closed));
    expect(results.every((r) => r.code === 1001 && r.reason === 'server shutting down; please reconnect')).toBe(true);
    expect(reasons).toHaveLength(20);
    expect(reasons.every((r) => r.type === 'stop')).toBe(true);
    closedAt.sort((a, b) => a - b);
    // Spread over the window (the even schedule itself is checked with fake timers below).
    expect(closedAt.at(-1)! - closedAt[0]!).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('schedules the closes evenly over the window, never in one burst', async () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      const start = Date.now();
      const done = spreadOver(20, 1_000, () => { calls.push(Date.now() - start); });
      await vi.runAllTimersAsync();
      await done;
      expect(calls).toHaveLength(20);
      expect(calls[0]).toBe(0);
      expect(calls.at(-1)!).toBeGreaterThanOrEqual(900);
      expect(calls.at(-1)!).toBeLessThanOrEqual(1_000);
      for (const t of calls) expect(calls.filter((u) => u >= t && u < t + 100).length).toBeLessThanOrEqual(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits for async terminate callbacks; close() is idempotent', async () => {
    let finished = 0;
    const handler: WebsocketHandler<null> = { ...echoHandler, terminate: async () => { await sleep(100); finished++; } };
    const server = await startServer(route('/s', handler));
    await Promise.all([connectTestClient(server.url('/s')), connectTestClient(server.url('/s'))]);
    const first = server.close({ drainWindowMs: 0 });
    const second = server.close();
    expect(second).toBe(first);
    await first;
    expect(finished).toBe(2);
    expect(server.httpServer.listening).toBe(false);
  });

  it('an orrery.v1 client arriving during the drain is told 4503', async () => {
    const server = await startServer(route('/s', echoHandler));
    const holder = await connectTestClient(server.url('/s'));
    const closing = server.close({ drainWindowMs: 300 });
    const late = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] }).catch((e: unknown) => e);
    // The listening socket may already be closed (connection refused) or the upgrade refused.
    if (late instanceof Error) expect(late.message).toMatch(/ECONNREFUSED|503/);
    else expect(await (late as Awaited<ReturnType<typeof connectTestClient>>).closed).toMatchObject({ code: 4503 });
    await closing;
    expect((await holder.closed).code).toBe(1001);
  });
});
