import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { route, type WebsocketHandler } from '@orrery/server';
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { startServer, waitFor } from './support.js';

/** Weak references to every server-side Conn, to prove none is retained after close. */
const conns: WeakRef<object>[] = [];

const handler: WebsocketHandler<{ i: number }> = {
  async init(conn) {
    conns.push(new WeakRef(conn));
    const i = Number(conn.query.get('i'));
    await conn.registry.unique.register(`conn:${i}`, conn);
    await conn.registry.unique.register(`alias:${i}`, conn);
    await conn.registry.group.join(`group:${i % 20}`, conn);
    await conn.registry.group.join('everyone', conn);
    return [{ i }, [{ type: 'text', data: 'ready' }]];
  },
  handleClientMessage: (state, _conn, frame) => [state, [frame]],
  handleServerMessage: (state) => [state, []],
};

/**
 * Heap used by objects after full GCs. Code spaces are left out: V8 keeps compiling and
 * optimising the paths the test exercises, which grows code space without any leak
 * (a heap-snapshot diff of this test shows only code objects growing).
 */
function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
  for (let i = 0; i < 4; i++) gc();
  return getHeapSpaceStatistics()
    .filter((s) => !s.space_name.startsWith('code'))
    .reduce((sum, s) => sum + s.space_used_size, 0);
}

async function churn(url: (p: string) => string, n: number, offset: number): Promise<void> {
  const batch = 200;
  for (let start = 0; start < n; start += batch) {
    const clients: TestClient[] = await Promise.all(
      Array.from({ length: Math.min(batch, n - start) }, (_, k) => connectTestClient(url(`/churn?i=${offset + start + k}`))),
    );
    await Promise.all(clients.map((c) => c.nextText()));
    clients.forEach((c, k) => (k % 2 === 0 ? c.terminate() : c.close(1000)));
    await Promise.all(clients.map((c) => c.closed));
  }
}

describe('churn', () => {
  it('2,000 connections register, join and close (half abruptly): the registry is empty and the heap returns near its baseline', async () => {
    // A silent logger: the default test logger keeps every line, which would read as growth.
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const server = await startServer(route('/churn', handler), { logger: silent });
    // Warm up first: V8 compiles and optimises the paths on the way (bytecode, feedback and
    // deopt data live in old space), which would read as growth.
    await churn(server.url, 1_000, 100_000);
    await waitFor(() => server.connectionCount() === 0 && server.stats().registry.names === 0, 'warm-up cleanup');
    const before = heapUsed();
    conns.length = 0;
    await churn(server.url, 2_000, 0);
    await waitFor(() => server.connectionCount() === 0, 'every connection to close', 20_000);
    await waitFor(() => server.stats().registry.memberships === 0, 'registry cleanup');
    expect(server.stats().registry).toMatchObject({ names: 0, groups: 0, memberships: 0 });
    expect(await server.registry('/churn').group.publish('everyone', 1)).toBe(0);
    const stats = server.stats().routes[0]!;
    expect(stats.connectionsTotal).toBe(3_000);
    expect(stats.connections).toBe(0);
    const after = heapUsed();
    // Every Conn is collectable: the actor, transport, ws socket and registry entries all
    // reference it, so any of them leaking would keep it alive.
    expect(conns).toHaveLength(2_000);
    expect(conns.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    // 2,000 leaked connections would hold ~6 MB (a connection with its registry entries is
    // ~3 KB of heap); JIT warm-up still adds a few hundred KB, so allow 1.5 MB.
    expect(after - before).toBeLessThan(1.5 * 1024 * 1024);
  }, 60_000);
});
