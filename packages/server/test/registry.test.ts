import { createServer, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createWebsocketServer, route, type Conn, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { startServer, waitFor } from './support.js';

type ChatMessage = { from: string; text: string } | { kick: true };

/** A chat handler: registers `user:<name>`, joins `room:<room>`; relays client text to the room. */
const chat: WebsocketHandler<{ name: string; room: string }, ChatMessage> = {
  async init(conn) {
    const name = conn.query.get('name') ?? 'anon';
    const room = conn.pathParams.room ?? 'lobby';
    const registered = await conn.registry.unique.register(`user:${name}`, conn);
    if (registered === 'taken') return [{ name, room }, [{ type: 'close', code: 4009, reason: 'name taken' }]];
    await conn.registry.group.join(`room:${room}`, conn);
    await conn.registry.group.join(`room:${room}`, conn); // idempotent
    return [{ name, room }, [{ type: 'text', data: `joined ${room}` }]];
  },
  async handleClientMessage(state, conn, frame) {
    const text = frame.data as string;
    if (text === 'leave') {
      const first = await conn.registry.group.leave(`room:${state.room}`, conn);
      const second = await conn.registry.group.leave(`room:${state.room}`, conn);
      return [state, [{ type: 'text', data: `${first},${second}` }]];
    }
    const count = await conn.registry.group.publish(`room:${state.room}`, { from: state.name, text });
    return [state, [{ type: 'text', data: `sent to ${count}` }]];
  },
  handleServerMessage(state, _conn, message) {
    if ('kick' in message) return [state, [{ type: 'close', code: 4000, reason: 'kicked' }]];
    return [state, [{ type: 'text', data: `${message.from}: ${message.text}` }]];
  },
};

describe('the registry over real connections', () => {
  it('unique names: taken across connections; sendMessage from outside any connection', async () => {
    const server = await startServer(route('/chat/:room', chat, { name: 'chat' }));
    const ada = await connectTestClient(server.url('/chat/lobby?name=ada'));
    expect(await ada.nextText()).toBe('joined lobby');
    const impostor = await connectTestClient(server.url('/chat/lobby?name=ada'));
    expect(await impostor.closed).toEqual({ code: 4009, reason: 'name taken' });
    const registry = server.registry('chat');
    expect(await registry.unique.sendMessage('user:ada', { from: 'system', text: 'hello ada' })).toBe(true);
    expect(await ada.nextText()).toBe('system: hello ada');
    expect(await registry.unique.sendMessage('user:nobody', { from: 'system', text: 'x' })).toBe(false);
    // a timer, outside any request or connection
    await new Promise<void>((resolve) => setTimeout(() => { void registry.unique.sendMessage('user:ada', { kick: true }).then(() => resolve()); }, 5));
    expect(await ada.closed).toEqual({ code: 4000, reason: 'kicked' });
  });

  it('groups: publish counts and reaches every member, FIFO per publisher; leave → ok then not_in_group', async () => {
    const server = await startServer(route('/chat/:room', chat, { name: 'chat' }));
    const clients = await Promise.all(['a', 'b', 'c'].map((n) => connectTestClient(server.url(`/chat/r1?name=${n}`))));
    for (const c of clients) expect(await c.nextText()).toBe('joined r1');
    const other = await connectTestClient(server.url('/chat/r2?name=d'));
    await other.nextText();
    for (let i = 0; i < 50; i++) clients[0]!.send(`m${i}`);
    for (const c of clients) {
      const got: string[] = [];
      while (got.filter((t) => t.startsWith('a:')).length < 50) got.push(await c.nextText());
      expect(got.filter((t) => t.startsWith('a:'))).toEqual(Array.from({ length: 50 }, (_, i) => `a: m${i}`));
    }
    expect(clients[0]!.frames.filter((f) => f.data === 'sent to 3')).toHaveLength(50);
    expect(other.frames).toHaveLength(1);
    clients[2]!.send('leave');
    await waitFor(() => clients[2]!.frames.some((f) => f.data === 'ok,not_in_group'), 'the leave replies');
    expect(await server.registry('chat').group.publish('room:r1', { from: 'x', text: 'y' })).toBe(2);
  });

  it('everything a connection registered is gone after an abrupt TCP drop, a clean close and a handler close', async () => {
    const server = await startServer(route('/chat/:room', chat, { name: 'chat' }));
    const registry = server.registry('chat');
    const a = await connectTestClient(server.url('/chat/x?name=a'));
    const b = await connectTestClient(server.url('/chat/x?name=b'));
    const c = await connectTestClient(server.url('/chat/x?name=c'));
    for (const cl of [a, b, c]) await cl.nextText();
    expect(server.stats().registry).toMatchObject({ names: 3, groups: 1, memberships: 3 });
    a.terminate();
    b.close(1000);
    void registry.unique.sendMessage('user:c', { kick: true });
    await Promise.all([a.closed, b.closed, c.closed]);
    await waitFor(() => server.stats().registry.names === 0, 'registry cleanup');
    expect(server.stats().registry).toMatchObject({ names: 0, groups: 0, memberships: 0 });
    expect(await registry.group.publish('room:x', { from: 'x', text: 'y' })).toBe(0);
    expect(await registry.unique.sendMessage('user:a', { kick: true })).toBe(false);
  });

  it('each route has its own namespace', async () => {
    const server = await startServer([route('/chat/:room', chat, { name: 'chat' }), route('/other/:room', chat, { name: 'other' })]);
    const a = await connectTestClient(server.url('/chat/r?name=same'));
    const b = await connectTestClient(server.url('/other/r?name=same'));
    expect(await a.nextText()).toBe('joined r');
    expect(await b.nextText()).toBe('joined r');
    expect(await server.registry('chat').group.publish('room:r', { from: 's', text: 'chat only' })).toBe(1);
    expect(await a.nextText()).toBe('s: chat only');
    expect(b.frames).toHaveLength(1);
    expect(() => server.registry('missing')).toThrowError(/no route "missing"/);
  });

  it('an HTTP route of the same process reaches connections', async () => {
    const chatRoute = route('/chat/:room', chat, { name: 'chat' });
    const http = createServer((req, res) => {
      const text = decodeURIComponent((req.url ?? '').slice('/announce/'.length));
      void ws.registry(chatRoute).group.publish('room:main', { from: 'http', text }).then((n) => res.end(String(n)));
    });
    const ws = createWebsocketServer({ server: http, routes: [chatRoute], drainWindowMs: 0 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    const client = await connectTestClient(`ws://127.0.0.1:${port}/chat/main?name=z`);
    await client.nextText();
    const body = await new Promise<string>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/announce/hello%20all' }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => { b += c.toString(); });
        res.on('end', () => resolve(b));
      }).end();
    });
    expect(body).toBe('1');
    expect(await client.nextText()).toBe('http: hello all');
    await ws.close();
    await new Promise((r) => http.close(r));
  });

  it('registry calls with a connection that is not live fail with ORRERY_NOT_A_MEMBER', async () => {
    let captured: Conn<object, unknown> | undefined;
    const server = await startServer(route('/x', {
      connect: (conn) => {
        captured = conn;
        expect(() => conn.registry.unique.register('early', conn)).toThrowError(expect.objectContaining({ code: 'ORRERY_NOT_A_MEMBER' }));
        return conn;
      },
      init: () => [null, []],
      handleClientMessage: (s) => [s, [{ type: 'close' }]],
      handleServerMessage: (s) => [s, []],
    }));
    const c = await connectTestClient(server.url('/x'));
    c.send('bye');
    await c.closed;
    await waitFor(() => server.connectionCount() === 0, 'close');
    expect(() => server.registry('/x').group.join('late', captured!)).toThrowError(expect.objectContaining({ code: 'ORRERY_NOT_A_MEMBER' }));
  });
});
