/**
 * The client's side of resumable connections (docs/protocol.md §6) against a scripted server
 * that speaks the wire by hand: sequencing, duplicates, gaps, acknowledgements (piggy-backed,
 * timed, every 64), `cs` numbering, resending after a resume, refused resumes, the window bound.
 */
import { describe, expect, it } from 'vitest';
import { createWebsocketClient, type ClientErrorEvent, type ResumeEvent, type WebsocketClientOptions } from '@orrery/client';
import { chat } from './fixtures/protocol.js';
import { sleep, track, until, waitForStatus } from './fixtures/helpers.js';
import { startFakeServer, type FakeConnection } from './support/fake-server.js';

const fast = { initialDelayMs: 5, maxDelayMs: 20 };
const said = (text: string, seq: number, extra: object = {}) => ({ t: 'msg', n: 'said', d: { from: 'srv', text }, ...extra, seq });
const welcome = (session: string, extra: object = {}) => ({ t: 'welcome', session, resumed: false, ...extra });
const say = (text: string, cs: number, extra: object = {}) => ({ t: 'msg', n: 'say', d: { text }, cs, ...extra });

async function setup(options: Partial<WebsocketClientOptions> = {}) {
  const server = await startFakeServer();
  const client = track(createWebsocketClient(chat, { url: server.url, heartbeat: false, reconnect: fast, ...options }));
  const got: string[] = [];
  client.on('said', (m) => got.push(m.text));
  const errors: ClientErrorEvent<typeof chat>[] = [];
  client.onError((e) => errors.push(e));
  const resumes: ResumeEvent<typeof chat>[] = [];
  client.onResume((e) => resumes.push(e));
  /** Accept connection `n` with `frame` as its welcome. */
  const open = async (n: number, frame: object): Promise<FakeConnection> => {
    const conn = await server.connection(n);
    conn.send(frame);
    await waitForStatus(client, 'open');
    return conn;
  };
  /** Drop connection `conn` and wait until the client noticed. */
  const drop = async (conn: FakeConnection): Promise<void> => {
    conn.drop();
    await until(() => client.state.status === 'reconnecting', 'the client to notice the drop');
  };
  return { server, client, got, errors, resumes, open, drop };
}

describe('resume: sequencing and acknowledgements', () => {
  it('delivers sequenced messages in order, drops duplicates, and acknowledges on a timer', async () => {
    const { client, got, errors, open } = await setup({ resume: { ackDelayMs: 30 } });
    const c0 = await open(0, welcome('T1'));
    for (const [text, seq] of [['a', 1], ['b', 2], ['b', 2], ['a', 1], ['c', 3]] as const) c0.send(said(text, seq));
    await until(() => got.length === 3, 'three messages');
    const acks = await c0.waitFrames(1, 'ack');
    await sleep(60);
    expect(got).toEqual(['a', 'b', 'c']);
    expect(c0.frames.filter((f) => f.t === 'ack').at(-1)).toEqual({ t: 'ack', seq: 3 });
    expect(acks.every((f) => f.seq! <= 3)).toBe(true);
    expect(errors).toEqual([]);
    expect(client.state.status).toBe('open');
  });

  it('acknowledges at once every 64 messages, without waiting for the timer', async () => {
    const { got, open } = await setup({ resume: { ackDelayMs: 60_000 } });
    const c0 = await open(0, welcome('T1'));
    for (let seq = 1; seq <= 130; seq++) c0.send(said(`m${seq}`, seq));
    await until(() => got.length === 130, '130 messages');
    await c0.waitFrames(2, 'ack');
    await sleep(30);
    expect(c0.frames).toEqual([{ t: 'ack', seq: 64 }, { t: 'ack', seq: 128 }]);
  });

  it('piggy-backs the acknowledgement on msg, req and ping, only when it moved', async () => {
    const { client, got, open } = await setup({ resume: { ackDelayMs: 60_000 }, heartbeat: { intervalMs: 40, timeoutMs: 5_000 } });
    const c0 = await open(0, welcome('T1'));
    c0.send(said('a', 1));
    c0.send(said('b', 2));
    await until(() => got.length === 2, 'two messages');
    client.send('say', { text: 'x' });
    client.send('say', { text: 'y' });
    c0.send(said('c', 3));
    await until(() => got.length === 3, 'the third message');
    const echoed = client.request('echo', { text: 'e' });
    const [req] = await c0.waitFrames(1, 'req');
    c0.send({ t: 'res', id: req!.id, d: { text: 'e' } });
    expect(await echoed).toEqual({ text: 'e' });
    c0.send(said('d', 4));
    const [ping] = await c0.waitFrames(1, 'ping');
    expect(c0.frames.slice(0, 3)).toEqual([say('x', 1, { a: 2 }), say('y', 2), { t: 'req', id: req!.id, n: 'echo', d: { text: 'e' }, a: 3 }]);
    expect(ping).toEqual({ t: 'ping', a: 4 });
    expect(c0.frames.filter((f) => f.t === 'ack')).toEqual([]);
  });

  it('a plain v1 welcome (no session): no cs, no a, no acks, and seq is not checked', async () => {
    const { client, got, errors, open } = await setup({ resume: { ackDelayMs: 10 } });
    const c0 = await open(0, { t: 'welcome' });
    c0.send(said('a', 5));
    c0.send(said('b', 2));
    await until(() => got.length === 2, 'two messages');
    client.send('say', { text: 'x' });
    await c0.waitFrames(1);
    await sleep(30);
    expect(c0.frames).toEqual([{ t: 'msg', n: 'say', d: { text: 'x' } }]);
    expect(errors).toEqual([]);
  });
});

describe('resume: gaps', () => {
  it('a gap is reported, the socket dropped, and the resume from the last good seq fills it', async () => {
    const { client, got, errors, resumes, server, open } = await setup();
    const c0 = await open(0, welcome('T1'));
    c0.send(said('a', 1));
    const skipped = JSON.stringify(said('c', 3));
    c0.send(skipped);
    await c0.closed;
    expect(errors).toEqual([{ error: expect.objectContaining({ code: 'ORRERY_PROTOCOL_ERROR', message: 'server message seq 3 after 1: 1 message(s) missing; reconnecting to resume from 1' }), frame: skipped }]);
    expect(client.state.lastClose).toEqual({ code: 1006, reason: 'sequence gap', wasClean: false });
    const c1 = await server.connection(1);
    expect(c1.offered).toEqual(['orrery.v1', 'orrery.resume.T1.1']);
    c1.send(welcome('T2', { resumed: true, seq: 3, cseq: 0 }));
    c1.send(said('b', 2));
    c1.send(said('c', 3));
    await until(() => got.length === 3, 'the replayed messages');
    expect(got).toEqual(['a', 'b', 'c']);
    expect(resumes).toEqual([{ resumed: true, missed: 2, resent: 0 }]);
  });
});

describe('resume: client seq (cs) and resending', () => {
  it('numbers messages, forgets confirmed ones, and after a resume resends the rest before the offline queue', async () => {
    const { client, server, resumes, open, drop } = await setup({ token: 'tok' });
    const c0 = await open(0, welcome('T1'));
    for (const text of ['x1', 'x2', 'x3', 'x4']) expect(client.send('say', { text })).toBe('sent');
    await c0.waitFrames(4, 'msg');
    expect(c0.frames).toEqual([say('x1', 1), say('x2', 2), say('x3', 3), say('x4', 4)]);
    c0.send({ t: 'ack', seq: 1 });
    c0.send(said('s1', 1, { a: 2 }));
    await until(() => client.state.status === 'open' && c0.frames.some((f) => f.t === 'ack'), 'the timed ack');
    await drop(c0);
    expect(client.send('say', { text: 'q1' })).toBe('queued');
    expect(client.send('say', { text: 'q2' })).toBe('queued');
    const c1 = await server.connection(1);
    expect(c1.offered).toEqual(['orrery.v1', `orrery.bearer.${Buffer.from('tok').toString('base64url')}`, 'orrery.resume.T1.1']);
    c1.send(welcome('T2', { resumed: true, seq: 1, cseq: 3 }));
    await c1.waitFrames(3, 'msg');
    expect(c1.frames).toEqual([say('x4', 4), say('q1', 5), say('q2', 6)]);
    expect(resumes).toEqual([{ resumed: true, missed: 0, resent: 1 }]);
    expect(client.send('say', { text: 'n1' })).toBe('sent');
    await c1.waitFrames(4, 'msg');
    expect(c1.frames[3]).toEqual(say('n1', 7));
  });

  it('offers the latest token, and the same one again when an attempt dies before its welcome', async () => {
    const { got, server, open, drop } = await setup();
    const c0 = await open(0, welcome('T1'));
    c0.send(said('a', 1));
    await until(() => got.length === 1, 'a');
    await drop(c0);
    const c1 = await server.connection(1);
    expect(c1.resume).toEqual({ token: 'T1', lastSeq: 1 });
    c1.drop();
    const c2 = await server.connection(2);
    expect(c2.resume).toEqual({ token: 'T1', lastSeq: 1 });
    c2.send(welcome('T2', { resumed: true, seq: 2, cseq: 0 }));
    c2.send(said('a', 1)); // a replay from too far back: dropped as a duplicate
    c2.send(said('b', 2));
    await until(() => got.length === 2, 'b');
    await drop(c2);
    expect((await server.connection(3)).resume).toEqual({ token: 'T2', lastSeq: 2 });
    expect(got).toEqual(['a', 'b']);
  });

  it('holds messages in the offline queue while maxUnconfirmed are outstanding; past the queue, send throws', async () => {
    const { client, open } = await setup({ resume: { maxUnconfirmed: 2 }, queue: { maxMessages: 2 } });
    const c0 = await open(0, welcome('T1'));
    expect(['w1', 'w2', 'w3', 'w4'].map((text) => client.send('say', { text }))).toEqual(['sent', 'sent', 'queued', 'queued']);
    expect(() => client.send('say', { text: 'w5' })).toThrow(expect.objectContaining({ code: 'ORRERY_QUEUE_OVERFLOW', message: 'the offline queue is full (queue.maxMessages = 2); not queued' }));
    await c0.waitFrames(2, 'msg');
    c0.send({ t: 'ack', seq: 1 });
    await c0.waitFrames(3, 'msg');
    const echoed = client.request('echo', { text: 'behind w4' }); // a request keeps its place behind queued messages
    await sleep(20);
    expect(c0.frames.length).toBe(3);
    c0.send({ t: 'ack', seq: 3 });
    const [req] = await c0.waitFrames(1, 'req');
    c0.send({ t: 'res', id: req!.id, d: { text: 'behind w4' } });
    await echoed;
    expect(c0.frames).toEqual([say('w1', 1), say('w2', 2), say('w3', 3), say('w4', 4), { t: 'req', id: req!.id, n: 'echo', d: { text: 'behind w4' } }]);
  });
});

describe('resume: refused and not offered', () => {
  it('a refusal is an explicit event with the unconfirmed messages; they are not resent, the offline queue is', async () => {
    const { client, got, errors, resumes, server, open, drop } = await setup({ resume: { ackDelayMs: 60_000 } });
    const c0 = await open(0, welcome('T1'));
    c0.send(said('a', 1));
    c0.send(said('b', 2));
    await until(() => got.length === 2, 'two messages');
    client.send('say', { text: 'u1' });
    client.send('say', { text: 'u2' });
    await c0.waitFrames(2, 'msg');
    await drop(c0);
    client.send('say', { text: 'q1' });
    const c1 = await server.connection(1);
    expect(c1.resume).toEqual({ token: 'T1', lastSeq: 2 });
    c1.send(welcome('T2', { reason: 'expired' }));
    await c1.waitFrames(1, 'msg');
    expect(resumes).toEqual([
      {
        resumed: false,
        reason: 'expired',
        unconfirmed: [{ name: 'say', data: { text: 'u1' } }, { name: 'say', data: { text: 'u2' } }],
        error: expect.objectContaining({ code: 'ORRERY_NOT_RESUMED' }),
      },
    ]);
    expect(resumes[0]!.resumed === false && resumes[0]!.error.message).toBe(
      'the connection was not resumed (expired): a fresh session began, server messages sent while away are lost — reload what you show; 2 sent message(s) may or may not have been processed',
    );
    expect(errors.map((e) => e.error.code)).toEqual(['ORRERY_NOT_RESUMED']);
    c1.send(said('fresh', 1));
    await until(() => got.length === 3, 'the new session’s first message');
    await sleep(20);
    expect(c1.frames).toEqual([say('q1', 1)]);
    await drop(c1);
    expect((await server.connection(2)).resume).toEqual({ token: 'T2', lastSeq: 1 });
  });

  it('a refusal without a reason reads "unknown"; a welcome without a session reads "unsupported" and ends resuming', async () => {
    const { resumes, server, open, drop } = await setup();
    await drop(await open(0, welcome('T1')));
    const c1 = await server.connection(1);
    c1.send(welcome('T2'));
    await until(() => resumes.length === 1, 'the first outcome');
    await drop(c1);
    const c2 = await server.connection(2);
    expect(c2.resume).toEqual({ token: 'T2', lastSeq: 0 });
    c2.send({ t: 'welcome' });
    await until(() => resumes.length === 2, 'the second outcome');
    expect(resumes.map((e) => !e.resumed && e.reason)).toEqual(['unknown', 'unsupported']);
    await drop(c2);
    expect((await server.connection(3)).offered).toEqual(['orrery.v1']);
  });

  it('reconnect() keeps a resumable session: it drops the TCP connection (the server parks) and offers the resume', async () => {
    const { client, server, open } = await setup();
    const plain = await open(0, { t: 'welcome' });
    client.reconnect();
    expect(await plain.closed).toBe(1000); // not resumable: a clean close
    const c1 = await server.connection(1);
    c1.send(welcome('T1'));
    await waitForStatus(client, 'open');
    client.reconnect();
    expect(await c1.closed).toBe(1006);
    expect((await server.connection(2)).resume).toEqual({ token: 'T1', lastSeq: 0 });
  });

  it('close() forgets the session: connect() offers no resume', async () => {
    const { client, server, open } = await setup();
    const c0 = await open(0, welcome('T1'));
    c0.send(said('a', 1));
    client.send('say', { text: 'u1' });
    await c0.waitFrames(1, 'msg');
    expect(client.close()).toEqual([]);
    await c0.closed;
    client.connect();
    expect((await server.connection(1)).offered).toEqual(['orrery.v1']);
  });

  it('a terminal close reports each unconfirmed message as possibly not processed', async () => {
    const { client, errors, open } = await setup();
    const c0 = await open(0, welcome('T1'));
    client.send('say', { text: 'u1' });
    client.send('say', { text: 'u2' });
    await c0.waitFrames(2, 'msg');
    c0.send({ t: 'ack', seq: 1 });
    await sleep(20);
    const closed = waitForStatus(client, 'closed');
    c0.close(1008, 'policy');
    await closed;
    const why = 'the server closed the connection (1008 "policy"); not reconnecting after this close code';
    expect(errors.map((e) => [e.error.code, e.message, e.error.message])).toEqual([
      ['ORRERY_CONNECTION_CLOSED', { name: 'say', data: { text: 'u2' } }, `message "say" was sent but not confirmed; it may or may not have been processed: ${why}`],
      ['ORRERY_CONNECTION_CLOSED', undefined, why],
    ]);
  });
});
