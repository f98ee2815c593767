import { describe, expect, it } from 'vitest';
import { reject, type WebsocketHandler } from '@orrery/server';
import { testHandler } from '@orrery/server/testing';

type State = { name: string; said: number };
const room: WebsocketHandler<State, { text: string }, { name: string }> = {
  connect: (conn) => {
    const name = conn.query.get('name');
    if (name === null) return reject(400, 'name required');
    return conn.assign({ name }).setResponseHeader('X-Name', name);
  },
  init: async (conn) => {
    await conn.registry.group.join('lobby', conn);
    return [{ name: conn.assigns.name, said: 0 }, [{ type: 'text', data: `welcome ${conn.assigns.name}` }]];
  },
  handleClientMessage: async (state, conn, frame) => {
    if (frame.data === 'quit') return [state, [{ type: 'close', code: 1000, reason: 'bye' }]];
    await conn.registry.group.publish('lobby', { text: `${state.name}: ${frame.data as string}` });
    return [{ ...state, said: state.said + 1 }, []];
  },
  handleServerMessage: (state, _conn, message) => [state, [{ type: 'text', data: message.text }]],
};

describe('testHandler (callbacks without a socket)', () => {
  it('runs connect, init, client and server messages and terminate like a real connection', async () => {
    const h = testHandler(room, { query: { name: 'ada' } });
    expect(await h.connect()).toBe('accepted');
    expect(h.responseHeaders()).toEqual({ 'X-Name': 'ada' });
    expect(await h.init()).toEqual([{ type: 'text', data: 'welcome ada' }]);
    expect(await h.clientMessage('hello')).toEqual([{ type: 'text', data: 'ada: hello' }]);
    expect(h.state).toEqual({ name: 'ada', said: 1 });
    expect(await h.registry.group.publish('lobby', { text: 'from outside' })).toBe(1);
    expect(await h.settle(2)).toEqual([{ type: 'text', data: 'from outside' }]);
    expect(await h.serverMessage({ text: 'direct' })).toEqual([{ type: 'text', data: 'direct' }]);
    expect(await h.clientMessage('quit')).toEqual([{ type: 'close', code: 1000, reason: 'bye' }]);
    expect(h.closed).toEqual({ code: 1000, reason: 'bye' });
    expect(await h.terminated).toEqual({ type: 'stop' });
    expect(await h.registry.group.publish('lobby', { text: 'gone' })).toBe(0);
    await h.dispose();
  });

  it('reports a rejection from connect', async () => {
    const h = testHandler(room);
    expect(await h.connect()).toMatchObject({ status: 400, body: 'name required' });
  });

  it('a handler error is a 1011 close in the harness too', async () => {
    const h = testHandler({ ...room, handleClientMessage: () => { throw new Error('nope'); } }, { query: { name: 'x' } });
    await h.connect();
    await h.init();
    expect(await h.clientMessage('x')).toEqual([{ type: 'close', code: 1011, reason: 'internal error' }]);
    expect(await h.terminated).toMatchObject({ type: 'error' });
  });

  it('end() simulates the client going away', async () => {
    const h = testHandler(room, { query: { name: 'y' } });
    await h.connect();
    await h.init();
    expect(await h.end({ type: 'remote', code: 1001 })).toEqual({ type: 'remote', code: 1001 });
  });
});
