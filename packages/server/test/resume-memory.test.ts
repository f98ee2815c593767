/**
 * Memory stays bounded while many dropped sessions wait (issue 7): a thousand parked sessions
 * that keep receiving messages hold no more than the route's `maxParkedBytes`, and at most
 * `maxParked` sessions wait; the longest-parked ones end (their `terminate` gets `timeout`, a
 * late client is told `overflow`), and past the window nothing is left.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { defineProtocol } from '@orrery/protocol';
import { defineTypedHandler, route, type TerminateReason } from '@orrery/server';
import { startServer, waitFor } from './support.js';

const feed = defineProtocol({ server: { blob: z.object({ pad: z.string() }) } });

function feedRoute(resume: object, terminated: TerminateReason[]) {
  const handler = defineTypedHandler(feed, {
    init: async (conn) => {
      await conn.registry.group.join('all', conn);
      return [null, []];
    },
    terminate: (_state, _conn, reason) => {
      terminated.push(reason);
    },
  });
  return route('/feed', handler, { resume });
}

/**
 * Open `count` sessions and drop them without a close frame; the last one only once `parked()`
 * says the others are parked, so it is the youngest. Returns the tokens in that order.
 */
async function dropSessions(url: string, count: number, parked: () => number): Promise<string[]> {
  const tokens: string[] = [];
  let last: WebSocket | undefined;
  for (let start = 0; start < count; start += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, count - start) }, () => new Promise<{ ws: WebSocket; session: string }>((resolve, reject) => {
      const ws = new WebSocket(url, ['orrery.v1']);
      ws.once('error', reject);
      ws.once('message', (data) => resolve({ ws, session: (JSON.parse(String(data)) as { session: string }).session }));
    })));
    for (const { ws, session } of batch) {
      tokens.push(session);
      if (tokens.length === count) last = ws;
      else ws.terminate();
    }
  }
  await waitFor(() => parked() === count - 1, `${count - 1} parked sessions`);
  last!.terminate();
  return tokens;
}

/** The welcome a resume with `token` gets. */
function resumeWith(url: string, token: string): Promise<{ resumed: boolean; reason?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['orrery.v1', `orrery.resume.${token}.0`]);
    ws.once('error', reject);
    ws.once('message', (data) => {
      ws.terminate();
      resolve(JSON.parse(String(data)) as { resumed: boolean; reason?: string });
    });
  });
}

function heldBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = 1024 * 1024;

describe('resumable sessions: bounded memory while many wait', () => {
  it('1,000 parked sessions receiving 100 messages of 1 KB each hold at most maxParkedBytes; the longest-parked end first', async () => {
    const terminated: TerminateReason[] = [];
    const maxParkedBytes = 4 * MiB;
    const server = await startServer(feedRoute({ windowMs: 60_000, maxMessages: 10_000, maxBytes: 8 * MiB, maxParkedBytes }, terminated));
    const url = server.url('/feed');
    const parkedNow = () => server.stats().routes[0]!.sessionsParked;
    const tokens = await dropSessions(url, 1_000, parkedNow);
    await waitFor(() => parkedNow() === 1_000, '1,000 parked sessions');
    const before = heldBytes();
    const registry = server.registry('/feed');
    const pad = 'x'.repeat(1_000);
    for (let i = 0; i < 100; i++) await registry.group.publish('all', { name: 'blob', data: { pad } });
    const grown = heldBytes() - before;
    const parked = server.stats().routes[0]!.sessionsParked;
    // unbounded, the buffers alone would be 1,000 × 100 × ~1 KB ≈ 100 MB
    expect(grown).toBeLessThan(maxParkedBytes + 16 * MiB);
    expect(parked).toBeLessThanOrEqual(Math.ceil(maxParkedBytes / (100 * 1_000)));
    expect(parked).toBeGreaterThan(0);
    expect(terminated.length).toBe(1_000 - parked);
    expect(terminated.every((r) => r.type === 'timeout')).toBe(true);
    expect(await resumeWith(url, tokens[0]!)).toMatchObject({ resumed: false, reason: 'overflow' });
    expect(await resumeWith(url, tokens.at(-1)!)).toMatchObject({ resumed: true });
  });

  it('at most maxParked sessions wait; past the window none is left and the registry is empty', async () => {
    const terminated: TerminateReason[] = [];
    const server = await startServer(feedRoute({ windowMs: 400, maxParked: 100 }, terminated));
    const url = server.url('/feed');
    const tokens = await dropSessions(url, 500, () => server.stats().routes[0]!.sessionsParked + terminated.length);
    await waitFor(() => terminated.length === 400, 'the 400 longest-parked sessions to end');
    expect(server.stats().routes[0]!.sessionsParked).toBe(100);
    expect(await resumeWith(url, tokens[0]!)).toMatchObject({ resumed: false, reason: 'overflow' });
    await waitFor(() => terminated.length >= 500 && server.stats().routes[0]!.sessionsParked === 0, 'the window to pass');
    expect(terminated.every((r) => r.type === 'timeout')).toBe(true);
    expect(await resumeWith(url, tokens.at(-1)!)).toMatchObject({ resumed: false, reason: 'expired' });
    await waitFor(() => server.stats().registry.memberships === 0, 'the fresh sessions of the two resumes to end');
  });
});
