import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffCeiling, createWebsocketClient, type ClientErrorEvent, type ConnectionState } from '@orrery/client';
import { chat } from './fixtures/protocol.js';
import { startChatServer } from './fixtures/server.js';
import { sleep, track, until, waitForState, waitForStatus } from './fixtures/helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A port nothing listens on (a server was there a moment ago). */
async function deadPort(): Promise<number> {
  const { server } = await startChatServer();
  const port = server.port;
  await server.close({ drainWindowMs: 0 });
  return port;
}

const fast = { initialDelayMs: 20, maxDelayMs: 100 };

describe('client: reconnect', () => {
  it('after a server restart, queued messages are delivered once and in order', async () => {
    const first = await startChatServer();
    const port = first.server.port;
    const client = track(createWebsocketClient(chat, { url: `${first.url}/chat`, reconnect: fast }));
    await waitForStatus(client, 'open');
    client.send('say', { text: 'm1' });
    client.send('say', { text: 'm2' });
    await until(() => first.log.said.length === 2, 'm1 and m2 at the first server');
    const down = waitForStatus(client, 'reconnecting'); // the first reconnecting state, not a later one
    await first.server.close({ drainWindowMs: 0 });
    expect((await down).lastClose).toEqual({ code: 1001, reason: 'server shutting down; please reconnect', wasClean: true });
    const texts = ['m3', 'm4', 'm5', 'm6'];
    for (const text of texts) expect(client.send('say', { text })).toBe('queued');
    const echoed = client.request('echo', { text: 'queued request' });

    const second = await startChatServer(port);
    track(second.server);
    await waitForStatus(client, 'open');
    expect(await echoed).toEqual({ text: 'queued request' });
    await until(() => second.log.said.length === 4, 'the queued messages at the second server');
    await sleep(50);
    expect(second.log.said).toEqual(texts);
    expect(first.log.said).toEqual(['m1', 'm2']);
  });

  it('a request in flight when the connection drops rejects with DISCONNECTED', async () => {
    const { server, url } = await startChatServer();
    const client = track(createWebsocketClient(chat, { url: `${url}/chat`, reconnect: fast }));
    await waitForStatus(client, 'open');
    const outcome = client.request('slow', { ms: 300 }).catch((e: unknown) => e);
    await sleep(30);
    await server.close({ drainWindowMs: 0 });
    expect(await outcome).toMatchObject({ code: 'ORRERY_REQUEST_ABORTED', reason: 'DISCONNECTED' });
  });

  it('does not reconnect after 4401; the state says why', async () => {
    const { server, log, url } = await startChatServer();
    track(server);
    const client = track(createWebsocketClient(chat, { url: `${url}/chat`, token: 'bad', reconnect: { initialDelayMs: 5, maxDelayMs: 5 } }));
    const errors: ClientErrorEvent<typeof chat>[] = [];
    client.onError((e) => errors.push(e));
    client.send('say', { text: 'never sent' });
    const pending = client.request('echo', { text: 'never answered' });
    const closed = await waitForStatus(client, 'closed');
    expect(closed.lastClose).toEqual({ code: 4401, reason: 'bad token', wasClean: true });
    expect(closed.error).toMatchObject({ code: 'ORRERY_REJECTED', closeCode: 4401 });
    await expect(pending).rejects.toMatchObject({ code: 'ORRERY_REJECTED', reason: 'CLOSED' });
    expect(errors.map((e) => e.error.code)).toEqual(['ORRERY_REJECTED', 'ORRERY_REJECTED']);
    expect(errors[0]!.message).toEqual({ name: 'say', data: { text: 'never sent' } });
    await sleep(100);
    expect(log.connects).toEqual(['bad']);
    expect(log.said).toEqual([]);
    expect(() => client.send('say', { text: 'late' })).toThrow(expect.objectContaining({ code: 'ORRERY_REJECTED' }));
  });

  it('stops after 4403 and after a handler close with 1008, but retries after 4503', async () => {
    const { server, log, url } = await startChatServer();
    track(server);
    const forbidden = track(createWebsocketClient(chat, { url: `${url}/chat`, token: 'forbidden', reconnect: fast }));
    expect((await waitForStatus(forbidden, 'closed')).lastClose?.code).toBe(4403);

    const policy = track(createWebsocketClient(chat, { url: `${url}/chat`, reconnect: fast }));
    await waitForStatus(policy, 'open');
    policy.send('say', { text: 'close-me' });
    expect((await waitForStatus(policy, 'closed')).lastClose).toEqual({ code: 1008, reason: 'policy', wasClean: true });

    const busy = track(createWebsocketClient(chat, { url: `${url}/chat`, token: 'busy', reconnect: { initialDelayMs: 5, maxDelayMs: 10 } }));
    await until(() => log.connects.filter((t) => t === 'busy').length >= 3, 'three attempts after 4503');
    expect(busy.state.status).toBe('reconnecting');
    expect(busy.state.lastClose).toEqual({ code: 4503, reason: 'try later', wasClean: true });
  });

  it('waits full-jitter backoff delays within the documented bounds, then gives up after maxAttempts', async () => {
    const port = await deadPort();
    const reconnect = { initialDelayMs: 10, maxDelayMs: 80, maxAttempts: 8 };
    const states: ConnectionState[] = [];
    const client = track(createWebsocketClient(chat, { url: `ws://127.0.0.1:${port}/chat`, reconnect, autoConnect: false }));
    client.subscribe((s) => states.push(s));
    client.connect();
    const closed = await waitForStatus(client, 'closed');
    const waits = states.filter((s) => s.retryDelayMs !== undefined);
    expect(waits.map((s) => s.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const s of waits) {
      expect(s.retryDelayMs).toBeGreaterThanOrEqual(0);
      expect(s.retryDelayMs).toBeLessThan(backoffCeiling(s.attempt, reconnect));
    }
    expect(waits.map((s) => backoffCeiling(s.attempt, reconnect))).toEqual([10, 20, 40, 80, 80, 80, 80]);
    expect(closed.error).toMatchObject({ code: 'ORRERY_CONNECTION_CLOSED', message: expect.stringContaining('gave up after 8 failed attempts') });
    expect(closed.lastClose?.code).toBe(1006);
  });

  it('delays follow floor(random · min(max, initial · 2^(n−1)))', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const port = await deadPort();
    const delays: number[] = [];
    const client = track(createWebsocketClient(chat, { url: `ws://127.0.0.1:${port}/chat`, reconnect: { initialDelayMs: 10, maxDelayMs: 60, maxAttempts: 6 } }));
    client.subscribe((s) => { if (s.retryDelayMs !== undefined) delays.push(s.retryDelayMs); });
    await waitForStatus(client, 'closed');
    expect(delays).toEqual([9, 19, 39, 59, 59]);
  });

  it('re-reads the url, params and token providers on every attempt', async () => {
    const { server, log, url } = await startChatServer();
    track(server);
    let tokens = 0;
    let params = 0;
    const client = track(createWebsocketClient(chat, {
      url: async () => `${url}/chat`,
      params: () => ({ attempt: String(++params), skipped: undefined }),
      token: async () => `t${++tokens}`,
    }));
    await waitForStatus(client, 'open');
    expect(await client.request('whoami')).toEqual({ token: 't1', params: { attempt: '1' } });
    client.reconnect();
    await waitForStatus(client, 'open');
    expect(await client.request('whoami')).toEqual({ token: 't2', params: { attempt: '2' } });
    expect(log.connects).toEqual(['t1', 't2']);
  });

  it('a provider that fails is reported and retried', async () => {
    const { server, url } = await startChatServer();
    track(server);
    let calls = 0;
    const client = track(createWebsocketClient(chat, {
      url: `${url}/chat`,
      token: () => (++calls === 1 ? Promise.reject(new Error('token service down')) : 'ok'),
      reconnect: fast,
    }));
    const errors: string[] = [];
    client.onError((e) => errors.push(`${e.error.code}: ${e.error.message}`));
    await waitForStatus(client, 'open');
    expect(errors).toEqual(['ORRERY_ENDPOINT_FAILED: the url, params or token provider failed: Error: token service down']);
  });

  it('reconnects at once on online and on visibilitychange to visible, whatever the backoff says', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999); // a ~60 s backoff delay
    const port = await deadPort();
    const window = new EventTarget();
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const client = track(createWebsocketClient(chat, {
      url: `ws://127.0.0.1:${port}/chat`,
      reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      environment: { window, document },
    }));
    const waiting = await waitForState(client, (s) => s.retryDelayMs !== undefined, 'a backoff wait');
    expect(waiting.retryDelayMs).toBe(59_940);
    const { server } = await startChatServer(port);
    track(server);
    window.dispatchEvent(new Event('online'));
    await waitForStatus(client, 'open', 5_000);

    await server.close({ drainWindowMs: 0 });
    await waitForState(client, (s) => s.retryDelayMs !== undefined, 'a backoff wait');
    const again = await startChatServer(port);
    track(again.server);
    document.dispatchEvent(new Event('visibilitychange')); // still hidden: nothing happens
    await sleep(100);
    expect(client.state.status).toBe('reconnecting');
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    await waitForStatus(client, 'open', 5_000);
  });
});

describe('client: the offline queue', () => {
  async function offlineClient(queue: Parameters<typeof createWebsocketClient>[1]['queue']) {
    const port = await deadPort();
    const client = track(createWebsocketClient(chat, { url: `ws://127.0.0.1:${port}/chat`, queue, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } }));
    const errors: ClientErrorEvent<typeof chat>[] = [];
    client.onError((e) => errors.push(e));
    return { client, errors };
  }

  it("'reject': a send beyond maxMessages throws, a request rejects; nothing queued is lost", async () => {
    const { client, errors } = await offlineClient({ maxMessages: 2 });
    expect(client.send('say', { text: 'a' })).toBe('queued');
    expect(client.send('say', { text: 'b' })).toBe('queued');
    expect(() => client.send('say', { text: 'c' })).toThrow(expect.objectContaining({ code: 'ORRERY_QUEUE_OVERFLOW' }));
    await expect(client.request('echo', { text: 'r' })).rejects.toMatchObject({ code: 'ORRERY_QUEUE_OVERFLOW', reason: 'QUEUE_OVERFLOW' });
    expect(errors).toEqual([]);
    expect(client.close()).toEqual([
      { name: 'say', data: { text: 'a' } },
      { name: 'say', data: { text: 'b' } },
    ]);
  });

  it("'drop-oldest': the oldest entry is dropped and reported", async () => {
    const { client, errors } = await offlineClient({ maxMessages: 2, overflow: 'drop-oldest' });
    const first = client.request('echo', { text: 'first' });
    client.send('say', { text: 'a' });
    client.send('say', { text: 'b' });
    await expect(first).rejects.toMatchObject({ code: 'ORRERY_QUEUE_OVERFLOW', reason: 'QUEUE_OVERFLOW' });
    client.send('say', { text: 'c' });
    expect(errors.map((e) => [e.error.code, e.message])).toEqual([['ORRERY_QUEUE_OVERFLOW', { name: 'say', data: { text: 'a' } }]]);
    expect(client.close().map((m) => m.data)).toEqual([{ text: 'b' }, { text: 'c' }]);
  });

  it('a message older than ttlMs is reported as expired, not sent', async () => {
    const { client, errors } = await offlineClient({ ttlMs: 40 });
    client.send('say', { text: 'old' });
    await sleep(60);
    client.send('say', { text: 'new' });
    expect(errors.map((e) => [e.error.code, e.message])).toEqual([['ORRERY_QUEUE_EXPIRED', { name: 'say', data: { text: 'old' } }]]);
    expect(client.close().map((m) => m.data)).toEqual([{ text: 'new' }]);
  });

  it('maxMessages 0 disables queueing', async () => {
    const { client } = await offlineClient({ maxMessages: 0 });
    expect(() => client.send('say', { text: 'a' })).toThrow(expect.objectContaining({ code: 'ORRERY_QUEUE_OVERFLOW' }));
  });
});

describe('client: close()', () => {
  /** Count the timers the client's own code has pending (wrapping the global setTimeout). */
  function clientTimers(): () => number {
    const active = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    // the client's own timers, not those of ws's close handshake (which the server's answer clears)
    const fromClient = (): boolean => {
      const stack = new Error().stack ?? '';
      return stack.includes('/packages/client/src/') && !stack.includes('/node_modules/ws/');
    };
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const mine = fromClient();
      const handle: unknown = realSet(() => {
        active.delete(handle);
        fn();
      }, ms);
      if (mine) active.add(handle);
      return handle;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: Parameters<typeof clearTimeout>[0]) => {
      active.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
    return () => active.size;
  }

  it('leaves no timer and no platform listener behind, in every state', async () => {
    const { server, url } = await startChatServer();
    track(server);
    const listeners = new Map<string, number>();
    const target = (): EventTarget & { visibilityState: string } => {
      const t = Object.assign(new EventTarget(), { visibilityState: 'visible' });
      const add = t.addEventListener.bind(t);
      const remove = t.removeEventListener.bind(t);
      t.addEventListener = (type: string, l: EventListenerOrEventListenerObject | null) => { listeners.set(type, (listeners.get(type) ?? 0) + 1); add(type, l); };
      t.removeEventListener = (type: string, l: EventListenerOrEventListenerObject | null) => { listeners.set(type, (listeners.get(type) ?? 0) - 1); remove(type, l); };
      return t;
    };
    const environment = { window: target(), document: target() };
    const timers = clientTimers();
    // open, with a request in flight and the heartbeat running
    const open = createWebsocketClient(chat, { url: `${url}/chat`, environment });
    await waitForStatus(open, 'open');
    expect([...listeners.values()]).toEqual([1, 1, 1]); // online, offline, visibilitychange
    expect(timers()).toBe(1); // the heartbeat
    const pending = open.request('slow', { ms: 50 });
    expect(timers()).toBe(2); // and the request's timeout
    open.close();
    await expect(pending).rejects.toMatchObject({ code: 'ORRERY_CLIENT_CLOSED', reason: 'CLOSED' });
    // waiting to retry
    const port = await deadPort();
    const waiting = createWebsocketClient(chat, { url: `ws://127.0.0.1:${port}/chat`, environment, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    await waitForState(waiting, (s) => s.retryDelayMs !== undefined, 'a backoff wait');
    waiting.close();
    // still connecting
    const connecting = createWebsocketClient(chat, { url: `${url}/chat`, environment });
    connecting.close();
    expect(open.state.status).toBe('closed');
    expect(connecting.state).toEqual({ status: 'closed', attempt: 0, lastClose: { code: 1000, reason: 'client closed', wasClean: true } });
    expect([...listeners.values()]).toEqual([0, 0, 0]);
    expect(timers()).toBe(0);
    expect(() => open.send('say', { text: 'x' })).toThrow(expect.objectContaining({ code: 'ORRERY_CLIENT_CLOSED' }));
  });

  it('can connect again after close()', async () => {
    const { server, url } = await startChatServer();
    track(server);
    const client = track(createWebsocketClient(chat, { url: `${url}/chat` }));
    await waitForStatus(client, 'open');
    client.close();
    client.connect();
    await waitForStatus(client, 'open');
    expect(await client.request('echo', { text: 'back' })).toEqual({ text: 'back' });
  });
});

