import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProtocol } from '@orrery/protocol';
import { defineTypedHandler, route, type TerminateReason } from '@orrery/server';
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { startServer, waitFor } from './support.js';

const stream = defineProtocol({
  client: { say: z.object({ text: z.string() }) },
  server: { tick: z.object({ n: z.number() }), heard: z.object({ text: z.string(), count: z.number() }) },
});

type Envelope = { t: string; n?: string; d?: { n?: number; text?: string; count?: number }; seq?: number; a?: number; session?: string; resumed?: boolean; reason?: string; cseq?: number };

function handler(log: { terminated: TerminateReason[]; inits: number }) {
  return defineTypedHandler(stream, {
    connect: (conn) => conn.assign({ user: conn.query.get('user') ?? 'anon' }),
    init: async (conn) => {
      log.inits++;
      await conn.registry.group.join('ticks', conn);
      return [{ heard: 0 }, []];
    },
    messages: {
      say: (state, _conn, { text }) => [{ heard: state.heard + 1 }, [{ name: 'heard', data: { text, count: state.heard + 1 } }]],
    },
    terminate: (_s, _c, reason) => { log.terminated.push(reason); },
  });
}

async function next(client: TestClient): Promise<Envelope> {
  return client.nextJson<Envelope>();
}

async function setup(resume: object = {}) {
  const log = { terminated: [] as TerminateReason[], inits: 0 };
  const server = await startServer(route('/s', handler(log), { resume: { windowMs: 2_000, ackDelayMs: 20, ...resume } }));
  const publish = (n: number) => server.registry('/s').group.publish('ticks', { name: 'tick', data: { n } });
  return { server, log, publish };
}

describe('resumable sessions (one node)', () => {
  it('a dropped client resumes with every missed message once, in order, and the same state; init does not run again', async () => {
    const { server, log, publish } = await setup();
    const a = await connectTestClient(server.url('/s?user=ada'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    expect(welcome).toMatchObject({ t: 'welcome', resumed: false, session: expect.any(String) });
    expect(welcome.reason).toBeUndefined();
    for (let n = 1; n <= 5; n++) await publish(n);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await next(a));
    expect(got.map((e) => [e.d?.n, e.seq])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
    a.send('{"t":"msg","n":"say","d":{"text":"one"},"cs":1}');
    expect(await next(a)).toMatchObject({ n: 'heard', d: { count: 1 }, seq: 6, a: 1 });
    a.send('{"t":"ack","seq":3}');
    a.terminate();
    await waitFor(() => server.stats().routes[0]!.connections === 0, 'the drop');
    for (let n = 6; n <= 8; n++) expect(await publish(n)).toBe(1); // the parked session is still a member
    const b = await connectTestClient(server.url('/s?user=ada'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.4`] });
    const resumed = await next(b);
    expect(resumed).toMatchObject({ t: 'welcome', resumed: true, seq: 9, cseq: 1 });
    expect(resumed.session).not.toBe(welcome.session);
    const replay = [];
    for (let i = 0; i < 5; i++) replay.push(await next(b));
    expect(replay.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(replay.map((e) => e.d?.n ?? e.d?.count)).toEqual([5, 1, 6, 7, 8]);
    // a resend of processed client message 1 is dropped; message 2 is new and sees the same state
    b.send('{"t":"msg","n":"say","d":{"text":"one"},"cs":1}');
    b.send('{"t":"msg","n":"say","d":{"text":"two"},"cs":2}');
    expect(await next(b)).toMatchObject({ n: 'heard', d: { text: 'two', count: 2 }, seq: 10 });
    expect(log.inits).toBe(1);
    expect(log.terminated).toEqual([]);
    expect(server.stats().routes[0]).toMatchObject({ sessionsResumed: 1, duplicatesDropped: 1, connections: 1 });
    // the old token is spent
    const c = await connectTestClient(server.url('/s?user=ada'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.9`] });
    expect(await next(c)).toMatchObject({ t: 'welcome', resumed: false, reason: 'unknown' });
    expect(log.inits).toBe(2);
  });

  it('a token stays good until the client sends a frame on the resumed connection (a lost welcome can be retried)', async () => {
    const { server, publish } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    a.terminate();
    await waitFor(() => server.stats().routes[0]!.sessionsParked === 1, 'parking');
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(b)).toMatchObject({ resumed: true });
    b.terminate(); // as if the resumed welcome never arrived
    await waitFor(() => server.stats().routes[0]!.sessionsParked === 1, 'parking again');
    await publish(1);
    const c = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(c)).toMatchObject({ resumed: true, seq: 1 });
    expect(await next(c)).toMatchObject({ d: { n: 1 }, seq: 1 });
    c.send('{"t":"msg","n":"say","d":{"text":"got it"},"cs":1,"a":1}');
    expect(await next(c)).toMatchObject({ n: 'heard' }); // the server has read the frame
    c.terminate();
    await waitFor(() => server.stats().routes[0]!.sessionsParked === 1, 'parking a third time');
    const d = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.2`] });
    expect(await next(d)).toMatchObject({ resumed: false, reason: 'unknown' });
  });

  it('acknowledges client messages on its own after ackDelayMs when no server message carried it', async () => {
    const { server } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    await next(a);
    a.send('{"t":"msg","n":"say","d":{"text":"x"},"cs":1}');
    expect(await next(a)).toMatchObject({ n: 'heard', a: 1 });
    a.send('{"t":"msg","n":"say","d":{"text":"y"},"cs":7}');
    expect(await next(a)).toMatchObject({ n: 'heard', a: 7 });
  });

  it('past the window the session ends with terminate timeout and a late client is told "expired"', async () => {
    const { server, log } = await setup({ windowMs: 150 });
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    a.terminate();
    await waitFor(() => log.terminated.length === 1, 'the window to pass');
    expect(log.terminated).toEqual([{ type: 'timeout' }]);
    expect(await server.registry('/s').group.publish('ticks', { name: 'tick', data: { n: 1 } })).toBe(0);
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(b)).toMatchObject({ t: 'welcome', resumed: false, reason: 'expired' });
  });

  it('a client that closes with 4001 (resume later: browsers cannot drop TCP) is parked, not ended', async () => {
    const { server, log, publish } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    a.close(4001, 'reconnect');
    await waitFor(() => server.stats().routes[0]!.sessionsParked === 1, 'parking');
    await publish(1);
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(b)).toMatchObject({ resumed: true, seq: 1 });
    expect(await next(b)).toMatchObject({ d: { n: 1 } });
    expect(log.terminated).toEqual([]);
  });

  it('a clean client close ends the session at once (no parking)', async () => {
    const { server, log } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    a.close(1000);
    await waitFor(() => log.terminated.length === 1, 'terminate');
    expect(log.terminated).toEqual([{ type: 'remote', code: 1000, reason: '' }]);
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(b)).toMatchObject({ resumed: false, reason: 'expired' });
  });

  it('a resume from another identity is refused ("identity") and leaves the session to its owner', async () => {
    const { server, publish } = await setup();
    const a = await connectTestClient(server.url('/s?user=ada'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    a.terminate();
    await waitFor(() => server.stats().routes[0]!.connections === 0, 'the drop');
    await publish(1);
    const thief = await connectTestClient(server.url('/s?user=mallory'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(thief)).toMatchObject({ resumed: false, reason: 'identity' });
    const owner = await connectTestClient(server.url('/s?user=ada'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(owner)).toMatchObject({ resumed: true, seq: 1 });
    expect(await next(owner)).toMatchObject({ n: 'tick', d: { n: 1 }, seq: 1 });
  });

  it('a session whose buffer overflowed while parked ends at once ("overflow"); an unacknowledged gap answers "gap"', async () => {
    const { server, log, publish } = await setup({ maxMessages: 3 });
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const first = await next(a);
    a.terminate();
    await waitFor(() => server.stats().routes[0]!.connections === 0, 'the drop');
    for (let n = 1; n <= 4; n++) await publish(n);
    await waitFor(() => log.terminated.length === 1, 'the overflow');
    expect(log.terminated).toEqual([{ type: 'timeout' }]);
    const late = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${first.session}.0`] });
    expect(await next(late)).toMatchObject({ resumed: false, reason: 'overflow' });
    // live, without acknowledgements, the buffer drops the oldest: a resume from 0 is a gap
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(b);
    for (let n = 1; n <= 5; n++) await publish(n);
    for (let i = 0; i < 5; i++) await next(b);
    b.terminate();
    await waitFor(() => log.terminated.length === 2, 'the lossy session to end when it parks');
    const c = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.0`] });
    expect(await next(c)).toMatchObject({ resumed: false, reason: 'overflow' });
  });

  it('a resume of a session still held by a half-open socket takes it over', async () => {
    const { server, publish } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1'] });
    const welcome = await next(a);
    await publish(1);
    expect(await next(a)).toMatchObject({ seq: 1 });
    const b = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', `orrery.resume.${welcome.session}.1`] });
    expect(await next(b)).toMatchObject({ resumed: true, seq: 1 });
    expect((await a.closed).code).toBe(1006);
    await publish(2);
    expect(await next(b)).toMatchObject({ d: { n: 2 }, seq: 2 });
    expect(server.stats().routes[0]!.connections).toBe(1);
  });

  it('a malformed resume request gets a fresh session ("unknown"); resume needs a typed handler', async () => {
    const { server } = await setup();
    const a = await connectTestClient(server.url('/s'), { protocols: ['orrery.v1', 'orrery.resume.garbage'] });
    expect(await next(a)).toMatchObject({ resumed: false, reason: 'unknown' });
    await expect(startServer(route('/raw', { init: () => [null, []], handleClientMessage: (s: null) => [s, []], handleServerMessage: (s: null) => [s, []] }, { resume: true })))
      .rejects.toThrowError(/resume needs a typed handler/);
  });
});
