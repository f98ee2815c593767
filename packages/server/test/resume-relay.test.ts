import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProtocol } from '@orrery/protocol';
import { createMemoryHub, defineTypedHandler, memoryRegistry, route, type TerminateReason } from '@orrery/server';
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { startServer, waitFor } from './support.js';

const stream = defineProtocol({
  client: { say: z.object({ text: z.string() }) },
  server: { tick: z.object({ n: z.number() }), heard: z.object({ text: z.string(), count: z.number(), node: z.string() }) },
});

type Envelope = { t: string; n?: string; d?: { n?: number; text?: string; count?: number; node?: string }; seq?: number; session?: string; resumed?: boolean; reason?: string };
const next = (c: TestClient) => c.nextJson<Envelope>();

/** Two nodes sharing one in-memory registry hub (a cluster in one process). */
async function cluster() {
  const hub = createMemoryHub();
  const terminated: { node: string; reason: TerminateReason }[] = [];
  const make = (node: string) => defineTypedHandler(stream, {
    init: async (conn) => {
      await conn.registry.group.join('ticks', conn);
      return [{ heard: 0 }, []];
    },
    messages: {
      say: (state, _conn, { text }) => [{ heard: state.heard + 1 }, [{ name: 'heard', data: { text, count: state.heard + 1, node } }]],
    },
    terminate: (_s, _c, reason) => { terminated.push({ node, reason }); },
  });
  const options = { resume: { windowMs: 5_000, relayTimeoutMs: 600, ackDelayMs: 20 } };
  const a = await startServer(route('/s', make('A'), options), { registry: memoryRegistry({ hub, nodeId: 'node-a' }) });
  const b = await startServer(route('/s', make('B'), options), { registry: memoryRegistry({ hub, nodeId: 'node-b' }) });
  const publish = (n: number) => a.registry('/s').group.publish('ticks', { name: 'tick', data: { n } });
  return { a, b, publish, terminated };
}

describe('resumable sessions across nodes (relay through the registry)', () => {
  it('a client that comes back on another node resumes its session where it lives, both ways', async () => {
    const { a, b, publish, terminated } = await cluster();
    const first = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(first);
    await publish(1);
    expect(await next(first)).toMatchObject({ d: { n: 1 }, seq: 1 });
    first.terminate();
    await waitFor(() => a.stats().routes[0]!.sessionsParked === 1, 'the session to park on A');
    await publish(2);
    await publish(3);
    const viaB = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.1`] });
    const resumed = await next(viaB);
    expect(resumed).toMatchObject({ t: 'welcome', resumed: true, seq: 3 });
    expect((await next(viaB)).d).toEqual({ n: 2 });
    expect((await next(viaB)).d).toEqual({ n: 3 });
    viaB.send('{"t":"msg","n":"say","d":{"text":"hi"},"cs":1}');
    expect(await next(viaB)).toMatchObject({ n: 'heard', d: { text: 'hi', count: 1, node: 'A' }, seq: 4 });
    await publish(4);
    expect(await next(viaB)).toMatchObject({ d: { n: 4 }, seq: 5 });
    expect(a.stats().routes[0]!.sessionsResumed).toBe(1);
    expect(b.connectionCount()).toBe(1);
    // dropped again from B: A parks it; the client comes back to A directly
    viaB.terminate();
    await waitFor(() => a.stats().routes[0]!.sessionsParked === 1, 'the session to park again');
    await publish(5);
    const back = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${resumed.session}.5`] });
    expect(await next(back)).toMatchObject({ resumed: true, seq: 6 });
    expect(await next(back)).toMatchObject({ d: { n: 5 }, seq: 6 });
    back.send('{"t":"msg","n":"say","d":{"text":"again"},"cs":2}');
    expect(await next(back)).toMatchObject({ d: { count: 2, node: 'A' } });
    expect(terminated).toEqual([]);
    await waitFor(() => b.connectionCount() === 0, 'the relay slot on B to be released');
  });

  it('a clean close through the relay ends the session on its owner', async () => {
    const { a, b, terminated } = await cluster();
    const first = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(first);
    first.terminate();
    await waitFor(() => a.stats().routes[0]!.sessionsParked === 1, 'parking');
    const viaB = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(viaB)).toMatchObject({ resumed: true });
    viaB.close(1000, 'bye');
    await waitFor(() => terminated.length === 1, 'terminate on A');
    expect(terminated).toEqual([{ node: 'A', reason: { type: 'remote', code: 1000, reason: 'bye' } }]);
  });

  it('when the owning node is gone, the client is told "unavailable" and gets a fresh session on the node it reached', async () => {
    const { a, b } = await cluster();
    const first = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(first);
    first.terminate();
    await a.close({ drainWindowMs: 0 });
    const viaB = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(viaB)).toMatchObject({ t: 'welcome', resumed: false, reason: 'unavailable' });
    viaB.send('{"t":"msg","n":"say","d":{"text":"fresh"},"cs":1}');
    expect(await next(viaB)).toMatchObject({ d: { count: 1, node: 'B' } });
    expect(b.stats().routes[0]!.resumeRefusals).toEqual({ unavailable: 1 });
  });

  it('a wrong secret or identity is refused by the owner and the client starts fresh where it is', async () => {
    const { a, b } = await cluster();
    const first = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(first);
    first.terminate();
    const forged = welcome.session!.replace(/.{4}$/, 'AAAA');
    const viaB = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${forged}.0`] });
    expect(await next(viaB)).toMatchObject({ resumed: false, reason: 'unknown' });
    const real = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(real)).toMatchObject({ resumed: true });
  });

  it('when the relaying node shuts down, the owner parks the session again and it can resume there', async () => {
    const { a, b } = await cluster();
    const first = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(first);
    first.terminate();
    const viaB = await connectTestClient(b.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    const resumed = await next(viaB);
    expect(resumed).toMatchObject({ resumed: true });
    // draining B closes its relayed client; A parks the session for the client's next attempt
    await b.close({ drainWindowMs: 0 });
    await waitFor(() => a.stats().routes[0]!.sessionsParked === 1, 'the owner to notice and park', 5_000);
    const back = await connectTestClient(a.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${resumed.session}.0`] });
    expect(await next(back)).toMatchObject({ resumed: true });
  });
});
