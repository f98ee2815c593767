/**
 * @orrery/client against the real server's resumable routes (docs/protocol.md §6): a drop
 * resumes with nothing lost or repeated in either direction; past the window, after a buffer
 * overflow and after the owning node was SIGKILLed the client gets the explicit not-resumed
 * event — and no message is missing without it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWebsocketClient, type WebsocketClientOptions } from '@orrery/client';
import { startNodeProcess } from '../../redis/test/support/node-processes.js';
import { startRedis } from '../../redis/test/support/redis-servers.js';
import { onCleanup, until, waitForStatus } from './fixtures/helpers.js';
import { startStreamServer, streamCall, streamProtocol, type StreamResume } from './support/stream-server.js';

const STREAM_NODE = fileURLToPath(new URL('./support/stream-node.ts', import.meta.url));

/** A URL provider the test can hold shut (the client's next attempt waits) and release. */
function gate(url: () => string) {
  let shut: Promise<void> | undefined;
  let open = (): void => {};
  return {
    url: async () => {
      await shut;
      return url();
    },
    hold: () => {
      shut = new Promise((resolve) => (open = resolve));
    },
    release: () => {
      shut = undefined;
      open();
    },
  };
}

/** A client of user `user` that writes everything it hears into one timeline. */
function observe(user: string, options: Omit<WebsocketClientOptions, 'url'> & { url: WebsocketClientOptions['url'] }) {
  const client = createWebsocketClient(streamProtocol, { reconnect: { initialDelayMs: 5, maxDelayMs: 20 }, heartbeat: false, resume: { ackDelayMs: 20 }, ...options });
  onCleanup(() => client.close());
  const timeline: (string | number)[] = [];
  const heard: number[] = [];
  const errors: string[] = [];
  const resumes: unknown[] = [];
  client.on('tick', ({ n }) => timeline.push(n));
  client.on('heard', ({ n }) => heard.push(n));
  client.onResume((e) => {
    resumes.push(e);
    timeline.push(e.resumed ? 'resumed' : `not resumed: ${e.reason}`);
  });
  client.onError((e) => errors.push(e.error.code));
  let n = 0;
  const say = () => client.send('say', { from: user, n: ++n });
  return { client, timeline, heard, errors, resumes, say };
}

async function oneNode(resume: StreamResume) {
  const stream = await startStreamServer({ resume: { ackDelayMs: 20, ...resume } });
  onCleanup(() => stream.close());
  const publish = (from: number, to = from) => streamCall<{ recipients: number }>(stream.port, `/publish?from=${from}&to=${to}`, 'POST');
  const route = () => stream.server.stats().routes[0]!;
  return { stream, publish, route, url: `ws://127.0.0.1:${stream.port}/stream?user=u` };
}

describe('resume against the server (one node)', () => {
  it('after a drop, what was published while away arrives once, in order; sends made offline are processed once; init ran once', async () => {
    const { stream, publish, route, url } = await oneNode({ windowMs: 10_000 });
    const g = gate(() => url);
    const o = observe('u', { url: g.url });
    await waitForStatus(o.client, 'open');
    await publish(1, 3);
    o.say();
    o.say();
    await until(() => o.timeline.length === 3 && o.heard.length === 2, 'ticks 1–3 and two replies');
    g.hold();
    o.client.reconnect(); // a TCP drop in Node: the server parks the session
    await until(() => route().sessionsParked === 1, 'the session parked');
    expect(await publish(4, 6)).toEqual({ recipients: 1 }); // the parked session is still a member
    expect(o.say()).toBe('queued');
    g.release();
    await until(() => o.timeline.length === 7 && o.heard.length === 3, 'the replay and the queued say');
    expect(o.timeline).toEqual([1, 2, 3, 'resumed', 4, 5, 6]);
    expect(o.resumes).toEqual([{ resumed: true, missed: 3, resent: 0 }]);
    expect(o.heard).toEqual([1, 2, 3]);
    expect(stream.log).toEqual({ said: { u: [1, 2, 3] }, inits: { u: 1 }, terminated: {} });
    expect(o.errors).toEqual([]);
  });

  it('messages sent just before a drop are processed once, whether or not they got through', async () => {
    const { stream, route, url } = await oneNode({ windowMs: 10_000 });
    const g = gate(() => url);
    const o = observe('u', { url: g.url });
    await waitForStatus(o.client, 'open');
    g.hold();
    for (let i = 0; i < 20; i++) o.say();
    o.client.reconnect(); // in the same tick: some of the 20 may not have left
    await until(() => route().sessionsParked === 1, 'the session parked');
    g.release();
    await until(() => o.heard.length === 20, 'twenty replies');
    expect(o.resumes).toEqual([{ resumed: true, missed: expect.any(Number), resent: expect.any(Number) }]);
    expect(stream.log.said.u).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(o.heard).toEqual(stream.log.said.u);
  });

  it('past the window: an explicit not-resumed event (expired), init runs afresh, the old session got terminate timeout', async () => {
    const { stream, publish, url } = await oneNode({ windowMs: 150 });
    const g = gate(() => url);
    const o = observe('u', { url: g.url });
    await waitForStatus(o.client, 'open');
    await publish(1, 2);
    o.say();
    await until(() => o.timeline.length === 2 && o.heard.length === 1, 'ticks 1–2 and a reply');
    g.hold();
    o.client.reconnect();
    expect(o.say()).toBe('queued');
    await until(() => stream.log.terminated.u?.length === 1, 'the window to pass');
    expect(stream.log.terminated).toEqual({ u: ['timeout'] });
    expect(await publish(3, 4)).toEqual({ recipients: 0 }); // lost: nobody waits for them any more
    g.release();
    await until(() => o.resumes.length === 1 && o.heard.length === 2, 'the outcome and the reply to the queued say');
    await publish(5);
    await until(() => o.timeline.length === 4, 'tick 5');
    expect(o.timeline).toEqual([1, 2, 'not resumed: expired', 5]);
    expect(o.resumes).toEqual([{ resumed: false, reason: 'expired', unconfirmed: [], error: expect.objectContaining({ code: 'ORRERY_NOT_RESUMED' }) }]);
    expect(o.errors).toEqual(['ORRERY_NOT_RESUMED']);
    expect(stream.log).toEqual({ said: { u: [1, 2] }, inits: { u: 2 }, terminated: { u: ['timeout'] } });
  });

  it('a parked session whose buffer overflowed ends at once; its client is told "overflow"', async () => {
    const { stream, publish, route, url } = await oneNode({ windowMs: 10_000, maxMessages: 3 });
    const g = gate(() => url);
    const o = observe('u', { url: g.url });
    await waitForStatus(o.client, 'open');
    await publish(1);
    await until(() => o.timeline.length === 1, 'tick 1');
    g.hold();
    o.client.reconnect();
    await until(() => route().sessionsParked === 1, 'the session parked');
    await publish(2, 5);
    await until(() => stream.log.terminated.u !== undefined, 'the overflow to end the session');
    g.release();
    await until(() => o.resumes.length === 1, 'the outcome');
    expect(o.timeline).toEqual([1, 'not resumed: overflow']);
    expect(stream.log.terminated).toEqual({ u: ['timeout'] });
  });

  // The server keeps the previous token valid until the client's first frame on the resumed
  // connection: when the welcome that carries the next token is lost, the retry with the old
  // token still resumes.
  it('a resume whose welcome was lost can be retried with the same token', async () => {
    const { url } = await oneNode({ windowMs: 10_000 });
    const first = (ws: WebSocket) => new Promise<{ session: string; resumed: boolean; reason?: string }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    const a = new WebSocket(url, ['orrery.v1']);
    const { session } = await first(a);
    a.terminate();
    const b = new WebSocket(url, ['orrery.v1', `orrery.resume.${session}.0`]);
    await new Promise((resolve) => b.once('open', resolve));
    b.terminate(); // the resumed welcome is never read
    const c = new WebSocket(url, ['orrery.v1', `orrery.resume.${session}.0`]);
    onCleanup(() => c.terminate());
    expect(await first(c)).toMatchObject({ resumed: true });
  });

  // Found by the two-node chaos test: the client got a welcome (token T2) but the frames it sent
  // after it were lost in the cut. It resumes with T2; that welcome (T3) is lost too; the retry
  // with T2 must still resume: the server keeps the token a resume was granted with.
  it('a resume whose welcome was lost can be retried even when the client never proved the token before', async () => {
    const { url } = await oneNode({ windowMs: 10_000 });
    const first = (ws: WebSocket) => new Promise<{ session: string; resumed: boolean }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    const a = new WebSocket(url, ['orrery.v1']);
    const t1 = (await first(a)).session;
    a.terminate();
    const b = new WebSocket(url, ['orrery.v1', `orrery.resume.${t1}.0`]);
    const t2 = (await first(b)).session; // the client has T2, but says nothing on this connection
    b.terminate();
    const c = new WebSocket(url, ['orrery.v1', `orrery.resume.${t2}.0`]);
    await new Promise((resolve) => c.once('open', resolve));
    c.terminate(); // granted with T2; the welcome with T3 is never read
    const d = new WebSocket(url, ['orrery.v1', `orrery.resume.${t2}.0`]);
    onCleanup(() => d.terminate());
    expect(await first(d)).toMatchObject({ resumed: true });
  });
});

describe('resume against the server (two nodes on Redis)', () => {
  it('after SIGKILL of the owning node the client is told "unavailable" and starts fresh on the other node; nothing is missing without that signal', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.stop());
    const env = { ORRERY_TEST_RESUME: JSON.stringify({ windowMs: 10_000, ackDelayMs: 20, relayTimeoutMs: 500 }) };
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNodeProcess({ redis: redis.url, leaseMs: 3_000, nodeId: `kill-${id}`, fixture: STREAM_NODE, env })));
    onCleanup(() => Promise.all([a!.kill('SIGKILL'), b!.kill('SIGKILL')]));
    let target = a!;
    const o = observe('u', { url: () => `ws://127.0.0.1:${target.port}/stream?user=u` });
    await waitForStatus(o.client, 'open');
    const publish = (from: number, to = from) => streamCall(b!.port, `/publish?from=${from}&to=${to}`, 'POST');
    await publish(1, 3);
    o.say();
    await until(() => o.timeline.length === 3 && o.heard.length === 1, 'ticks 1–3 (published on b) and a reply');
    target = b!;
    await a!.kill('SIGKILL');
    await until(() => o.resumes.length === 1, 'the outcome', 15_000);
    await waitForStatus(o.client, 'open');
    await publish(4);
    await until(() => o.timeline.length === 5, 'tick 4 on the fresh session');
    expect(o.timeline).toEqual([1, 2, 3, 'not resumed: unavailable', 4]);
    expect(o.errors).toEqual(['ORRERY_NOT_RESUMED']);
    expect(await streamCall(b!.port, '/log')).toEqual({ said: {}, inits: { u: 1 }, terminated: {} });
  });
});
