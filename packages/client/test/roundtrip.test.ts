import { describe, expect, it } from 'vitest';
import { createWebsocketClient, isRequestError, type ClientErrorEvent } from '@orrery/client';
import { chat } from './fixtures/protocol.js';
import { startChatServer } from './fixtures/server.js';
import { sleep, track, until, waitForStatus } from './fixtures/helpers.js';

async function setup(options: Partial<Parameters<typeof createWebsocketClient>[1]> = {}) {
  const { server, log, url } = await startChatServer();
  track(server);
  const client = track(createWebsocketClient(chat, { url: `${url}/chat`, ...options }));
  return { server, log, url, client };
}

describe('client: typed round trip against a real server', () => {
  it('connects, sends a typed message and receives the broadcast', async () => {
    const { client, log } = await setup({ token: 'ada' });
    expect(client.state.status).toBe('connecting');
    await waitForStatus(client, 'open');
    const got: unknown[] = [];
    client.on('said', (m) => got.push(m));
    expect(client.send('say', { text: 'hello' })).toBe('sent');
    await until(() => got.length === 1, 'the broadcast');
    expect(got).toEqual([{ from: 'ada', text: 'hello' }]);
    expect(log.said).toEqual(['hello']);
  });

  it('a message with no payload, and a listener that is removed', async () => {
    const { client } = await setup();
    await waitForStatus(client, 'open');
    const notices: unknown[] = [];
    const off = client.on('notice', (n) => notices.push(n));
    client.send('typing');
    await until(() => notices.length === 1, 'a notice');
    off();
    client.send('typing');
    client.send('say', { text: 'sync' }); // ordered after the second notice
    let synced = false;
    client.on('said', () => { synced = true; });
    await until(() => synced, 'the broadcast after the notice');
    expect(notices).toEqual([{ level: 'info', text: 'typing' }]);
  });

  it('requests resolve with the validated output', async () => {
    const { client } = await setup({ params: { room: 'lobby' } });
    expect(await client.request('echo', { text: 'x' })).toEqual({ text: 'x' });
    expect(await client.request('history', { room: 'lobby' })).toEqual([{ from: 'ada', text: 'first' }]);
    expect(await client.request('whoami')).toEqual({ params: { room: 'lobby' } });
  });

  it('a declared failure rejects with a typed RequestError', async () => {
    const { client } = await setup();
    const error = await client.request('history', { room: 'attic' }).catch((e: unknown) => e);
    expect(isRequestError<typeof chat, 'history'>(error, 'history')).toBe(true);
    expect(error).toMatchObject({ code: 'ORRERY_REQUEST_FAILED', reason: 'NOT_FOUND', message: 'no room attic', request: 'history' });
  });

  it('a request without a reply in time rejects with TIMEOUT; the connection stays usable', async () => {
    const { client } = await setup();
    await expect(client.request('slow', { ms: 150 }, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ORRERY_REQUEST_TIMEOUT', reason: 'TIMEOUT' });
    expect(await client.request('echo', { text: 'still here' })).toEqual({ text: 'still here' });
  });

  it('an aborted request rejects with ABORTED', async () => {
    const { client } = await setup();
    const controller = new AbortController();
    const pending = client.request('slow', { ms: 300 }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ORRERY_REQUEST_ABORTED', reason: 'ABORTED' });
  });
});

describe('client: invalid input in both directions', () => {
  it('refuses an invalid message or request input before sending it', async () => {
    const { client, log } = await setup();
    await waitForStatus(client, 'open');
    expect(() => client.send('say', { text: '' })).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_MESSAGE', message: 'invalid message "say": text: Too small: expected string to have >=1 characters' }),
    );
    // @ts-expect-error: wrong payload type, caught at run time too
    expect(() => client.send('say', { text: 5 })).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_MESSAGE' }));
    await expect(client.request('echo', { text: 1 as unknown as string })).rejects.toMatchObject({ code: 'ORRERY_INVALID_MESSAGE', reason: 'INVALID_INPUT' });
    expect(log.said).toEqual([]);
  });

  it('without client-side validation the server refuses: 1007 for a message (terminal), INVALID_INPUT for a request', async () => {
    const { client, log } = await setup({ validateOutgoing: false });
    await expect(client.request('echo', { text: 1 as unknown as string })).rejects.toMatchObject({
      code: 'ORRERY_REQUEST_FAILED',
      reason: 'INVALID_INPUT',
      message: 'invalid input of request "echo": text: Invalid input: expected string, received number',
    });
    client.send('say', { text: '' });
    const closed = await waitForStatus(client, 'closed');
    expect(closed.lastClose).toEqual({ code: 1007, reason: 'invalid message "say": text: Too small: expected string to have >=1 characters', wasClean: true });
    expect(closed.error).toMatchObject({ code: 'ORRERY_CONNECTION_CLOSED', closeCode: 1007 });
    expect(log.said).toEqual([]);
  });

  it('reports invalid server frames as error events and still delivers the valid ones', async () => {
    const { url } = await setup();
    const client = track(createWebsocketClient(chat, { url: `${url}/misbehaving` }));
    const errors: ClientErrorEvent<typeof chat>[] = [];
    client.onError((e) => errors.push(e));
    const got: unknown[] = [];
    client.on('said', (m) => got.push(m));
    await until(() => got.length === 1, 'the valid message');
    expect(errors.map((e) => [e.error.code, e.frame])).toEqual([
      ['ORRERY_DECODE_ERROR', 'not json'],
      ['ORRERY_INVALID_MESSAGE', '{"t":"msg","n":"shout","d":{}}'],
      ['ORRERY_INVALID_MESSAGE', '{"t":"msg","n":"said","d":{"from":1}}'],
      ['ORRERY_DECODE_ERROR', ''],
    ]);
    expect(errors[2]!.error.message).toBe('server message "said" does not match its schema: from: Invalid input: expected string, received number; text: Invalid input: expected string, received undefined');
    expect(got).toEqual([{ from: 'srv', text: 'valid' }]);
    expect(client.state.status).toBe('open');
  });

  it('a server that never sends welcome is abandoned after connectTimeoutMs and retried', async () => {
    const { url } = await setup();
    const client = track(createWebsocketClient(chat, { url: `${url}/silent`, connectTimeoutMs: 150, reconnect: { initialDelayMs: 10_000, maxDelayMs: 10_000 } }));
    client.send('say', { text: 'waiting' });
    const state = await waitForStatus(client, 'reconnecting');
    expect(state.lastClose).toEqual({ code: 1006, reason: 'connect timeout', wasClean: false });
    expect(state.attempt).toBe(1);
    await sleep(20);
    expect(client.close()).toEqual([{ name: 'say', data: { text: 'waiting' } }]);
  });
});
