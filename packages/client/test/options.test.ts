import { describe, expect, it } from 'vitest';
import { backoffCeiling, clientDefaults, createWebsocketClient, fullJitterDelay } from '@orrery/client';
import { resolveEndpoint, websocketUrl } from '../src/endpoint.js';
import { OfflineQueue } from '../src/offline-queue.js';
import { chat } from './fixtures/protocol.js';

describe('backoff', () => {
  const options = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
  it('doubles the ceiling per failure up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffCeiling(n, options))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(fullJitterDelay(3, options, () => 0)).toBe(0);
    expect(fullJitterDelay(3, options, () => 0.5)).toBe(2_000);
    expect(fullJitterDelay(3, options, () => 0.999_999)).toBe(3_999);
    expect(fullJitterDelay(50, options, () => 0.999_999)).toBe(29_999);
  });
});

describe('endpoint', () => {
  it('maps http(s) to ws(s), adds params, drops the fragment, and offers the token as a subprotocol', async () => {
    expect(websocketUrl('https://example.com/chat#x').href).toBe('wss://example.com/chat');
    expect(websocketUrl(new URL('http://example.com/')).href).toBe('ws://example.com/');
    const endpoint = await resolveEndpoint({ url: 'ws://h/chat?a=1', params: { b: '2 3', c: undefined }, token: 'tök/+' });
    expect(endpoint.url).toBe('ws://h/chat?a=1&b=2+3');
    expect(endpoint.protocols).toEqual(['orrery.v1', `orrery.bearer.${Buffer.from('tök/+').toString('base64url')}`]);
    expect((await resolveEndpoint({ url: 'ws://h', token: '' })).protocols).toEqual(['orrery.v1']);
  });

  it('refuses what is not a websocket URL', async () => {
    expect(() => websocketUrl('ftp://h')).toThrow(expect.objectContaining({ code: 'ORRERY_ENDPOINT_FAILED' }));
    await expect(resolveEndpoint({ url: () => 42 as unknown as string })).rejects.toMatchObject({ code: 'ORRERY_ENDPOINT_FAILED' });
  });
});

describe('options', () => {
  it('are checked at construction', () => {
    const bad = (options: object, message: string) =>
      expect(() => createWebsocketClient(chat, { url: 'ws://h/chat', autoConnect: false, ...options })).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS', message }));
    bad({ url: 'not a url' }, 'createWebsocketClient: "not a url" is not a URL; give ws://host/path, wss://…, or a path in a browser');
    bad({ requestTimeoutMs: 0 }, 'createWebsocketClient: requestTimeoutMs must be a positive number, got 0');
    bad({ reconnect: { initialDelayMs: 100, maxDelayMs: 10 } }, 'createWebsocketClient: reconnect.maxDelayMs (10) must not be below reconnect.initialDelayMs (100)');
    bad({ heartbeat: { timeoutMs: -1 } }, 'createWebsocketClient: heartbeat.timeoutMs must be a positive number, got -1');
    bad({ resume: { maxUnconfirmed: 0 } }, 'createWebsocketClient: resume.maxUnconfirmed must be a positive number, got 0');
    bad({ resume: { ackDelayMs: Number.NaN } }, 'createWebsocketClient: resume.ackDelayMs must be a positive number, got NaN');
    bad({ queue: { overflow: 'drop-newest' } }, `createWebsocketClient: queue.overflow must be 'reject' or 'drop-oldest', got "drop-newest"`);
    expect(() => createWebsocketClient({} as typeof chat, { url: 'ws://h' })).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }));
  });

  it('documents its defaults', () => {
    expect(clientDefaults).toEqual({
      connectTimeoutMs: 10_000,
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000, stableAfterMs: 5_000, maxAttempts: Infinity },
      heartbeat: { intervalMs: 15_000, timeoutMs: 10_000, offlineTimeoutMs: 2_000 },
      queue: { maxMessages: 100, ttlMs: 30_000, overflow: 'reject' },
      requestTimeoutMs: 10_000,
      validateOutgoing: true,
      resume: { maxUnconfirmed: 256, ackDelayMs: 200 },
    });
  });

  it('autoConnect: false stays closed until connect(); close(code) takes 1000 or 3000–4999', () => {
    const client = createWebsocketClient(chat, { url: 'ws://127.0.0.1:9/chat', autoConnect: false });
    expect(client.state).toEqual({ status: 'closed', attempt: 0 });
    expect(() => client.close(1001)).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }));
    expect(client.close()).toEqual([]);
  });
});

describe('OfflineQueue', () => {
  it('is FIFO, removes requests from the middle, expires only messages', () => {
    const q = new OfflineQueue();
    q.push({ text: 'a', at: 0, message: { name: 'm', data: 'a' } });
    q.push({ text: 'r', at: 1, requestId: 7 });
    q.push({ text: 'b', at: 2, message: { name: 'm', data: 'b' } });
    q.push({ text: 'c', at: 50, message: { name: 'm', data: 'c' } });
    expect(q.size).toBe(4);
    expect(q.takeExpired(30, 10).map((f) => f.text)).toEqual(['a', 'b']);
    expect(q.removeRequest(7)).toBe(true);
    expect(q.removeRequest(7)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.shift()?.text).toBe('c');
    expect(q.shift()).toBeUndefined();
    for (let i = 0; i < 500; i++) q.push({ text: String(i), at: i });
    for (let i = 0; i < 400; i++) q.shift();
    expect(q.drain().map((f) => f.text)).toEqual(Array.from({ length: 100 }, (_, i) => String(400 + i)));
  });
});

describe('subscribe', () => {
  it('is bound to the client (for useSyncExternalStore)', () => {
    const client = createWebsocketClient(chat, { url: 'ws://127.0.0.1:9/chat', autoConnect: false });
    const { subscribe } = client;
    const seen: string[] = [];
    const off = subscribe((s) => seen.push(s.status));
    client.connect();
    client.close();
    off();
    expect(seen).toEqual(['connecting', 'closed']);
  });
});
