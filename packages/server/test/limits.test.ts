import { describe, expect, it } from 'vitest';
import { isOrreryError, route, type TerminateReason, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { echoHandler, startServer, waitFor } from './support.js';

describe('slow consumers and rate limits', () => {
  it('a client that does not read gets 1013 "slow consumer" once more than maxBufferedBytes wait', async () => {
    const reasons: TerminateReason[] = [];
    const big = 'x'.repeat(64 * 1024);
    const handler: WebsocketHandler<null, string> = {
      init: async (conn) => { await conn.registry.group.join('firehose', conn); return [null, []]; },
      handleClientMessage: (s) => [s, []],
      handleServerMessage: (s) => [s, [{ type: 'text', data: big }]],
      terminate: (_s, _c, r) => { reasons.push(r); },
    };
    const server = await startServer(route('/f', handler, { maxBufferedBytes: 256 * 1024 }));
    const client = await connectTestClient(server.url('/f'));
    // Stop reading: the kernel buffers fill, then our outbound buffer does.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const registry = server.registry('/f');
    for (let i = 0; i < 400 && reasons.length === 0; i++) {
      await registry.group.publish('firehose', 'go');
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => reasons.length === 1, 'the slow-consumer close');
    const reason = reasons[0]!;
    expect(reason.type === 'error' && isOrreryError(reason.error, 'ORRERY_SLOW_CONSUMER')).toBe(true);
    expect(reason.type === 'error' && (reason.error as { closeCode?: number }).closeCode).toBe(1013);
    expect(await registry.group.publish('firehose', 'after')).toBe(0);
    client.terminate();
  });

  it('an optional rate limit closes 1008 "rate limit exceeded"', async () => {
    const reasons: TerminateReason[] = [];
    const server = await startServer(route('/r', { ...echoHandler, terminate: (_s: null, _c, r) => { reasons.push(r); } }, { rateLimit: { messages: 5, intervalMs: 10_000 } }));
    const client = await connectTestClient(server.url('/r'));
    for (let i = 0; i < 10; i++) client.send(String(i));
    expect(await client.closed).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    expect(client.frames.map((f) => f.data)).toEqual(['0', '1', '2', '3', '4']);
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(reasons[0]!.type === 'error' && isOrreryError(reasons[0]!.error, 'ORRERY_RATE_LIMITED')).toBe(true);
  });

  it('the rate limit refills over time', async () => {
    const server = await startServer(route('/r', echoHandler, { rateLimit: { messages: 2, intervalMs: 100 } }));
    const client = await connectTestClient(server.url('/r'));
    for (let i = 0; i < 6; i++) {
      client.send(String(i));
      expect(await client.nextText()).toBe(String(i));
      await new Promise((r) => setTimeout(r, 60));
    }
  });
});
