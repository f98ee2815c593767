import { describe, expect, it } from 'vitest';
import { reject, route, type Frame, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { echoHandler, startEcho, startServer } from './support.js';

describe('echo and returned frames', () => {
  it('echoes text and binary frames', async () => {
    const server = await startEcho();
    const client = await connectTestClient(server.url('/echo'));
    client.send('héllo ✓');
    client.send(Buffer.from([0, 1, 2, 255]));
    client.send('');
    expect(await client.nextFrame()).toEqual({ type: 'text', data: 'héllo ✓' });
    expect(await client.nextFrame()).toEqual({ type: 'binary', data: Buffer.from([0, 1, 2, 255]) });
    expect(await client.nextFrame()).toEqual({ type: 'text', data: '' });
    client.close(1000, 'bye');
    expect(await client.closed).toEqual({ code: 1000, reason: 'bye' });
  });

  it('echoes messages of every header size (125, 126, 65535, 65536 bytes) intact', async () => {
    const server = await startEcho();
    const client = await connectTestClient(server.url('/echo'));
    for (const size of [125, 126, 65_535, 65_536, 300_000]) {
      const text = 'x'.repeat(size - 3) + 'é!';
      client.send(text);
      expect(await client.nextText()).toBe(text);
    }
  });

  it('sends the frames of one result in order, and init frames before anything else', async () => {
    const handler: WebsocketHandler<number> = {
      init: () => [0, [{ type: 'text', data: 'welcome' }]],
      handleClientMessage: (n, _conn, frame) => [n + 1, [{ type: 'text', data: `${n}a:${frame.data as string}` }, { type: 'text', data: `${n}b` }]],
      handleServerMessage: (n) => [n, []],
    };
    const server = await startServer(route('/seq', handler));
    const client = await connectTestClient(server.url('/seq'));
    client.send('x');
    client.send('y');
    const texts = [];
    for (let i = 0; i < 5; i++) texts.push(await client.nextText());
    expect(texts).toEqual(['welcome', '0a:x', '0b', '1a:y', '1b']);
  });

  it('a close frame in the middle of a returned list drops the rest', async () => {
    const frames: Frame[] = [
      { type: 'text', data: 'before' },
      { type: 'close', code: 4000, reason: 'done here' },
      { type: 'text', data: 'after' },
    ];
    const terminations: string[] = [];
    const handler: WebsocketHandler<null> = {
      init: () => [null, []],
      handleClientMessage: (state) => [state, frames],
      handleServerMessage: (state) => [state, []],
      terminate: (_s, _c, reason) => { terminations.push(reason.type); },
    };
    const server = await startServer(route('/close', handler));
    const client = await connectTestClient(server.url('/close'));
    client.send('go');
    expect(await client.closed).toEqual({ code: 4000, reason: 'done here' });
    expect(client.frames).toEqual([{ type: 'text', data: 'before' }]);
    expect(terminations).toEqual(['stop']);
  });

  it('a bare close frame sends 1000', async () => {
    const server = await startServer(route('/bare', { ...echoHandler, handleClientMessage: (s: null) => [s, [{ type: 'close' }]] }));
    const client = await connectTestClient(server.url('/bare'));
    client.send('x');
    expect(await client.closed).toEqual({ code: 1000, reason: '' });
  });

  it('init may close at once', async () => {
    const server = await startServer(route('/no', { ...echoHandler, init: () => [null, [{ type: 'text', data: 'sorry' }, { type: 'close', code: 4001, reason: 'full' }]] }));
    const client = await connectTestClient(server.url('/no'));
    expect(await client.closed).toEqual({ code: 4001, reason: 'full' });
    expect(client.frames).toEqual([{ type: 'text', data: 'sorry' }]);
  });

  it('connect sees path params, query, headers and cookies; its assigns reach later callbacks; its headers arrive on the 101', async () => {
    const seen: unknown[] = [];
    const handler: WebsocketHandler<string, unknown, { user: string }> = {
      connect(conn) {
        seen.push({ params: conn.pathParams, q: conn.query.get('q'), h: conn.headers['x-test'], c: conn.cookies.sid, method: conn.method });
        return conn.assign({ user: 'ada' }).setResponseHeader('X-Orrery-Test', 'yes').setResponseHeader('Set-Cookie', 'seen=1');
      },
      init: (conn) => [conn.assigns.user, [{ type: 'text', data: `hi ${conn.assigns.user} in ${conn.pathParams.room}` }]],
      handleClientMessage: (state, conn) => {
        expect(() => conn.headers).toThrowError(/only readable in connect and init/);
        return [state, [{ type: 'text', data: `${state}:${conn.query.get('q')}` }]];
      },
      handleServerMessage: (state) => [state, []],
    };
    const server = await startServer(route('/rooms/:room', handler));
    const client = await connectTestClient(server.url('/rooms/l%C3%B6bby?q=1'), { headers: { 'X-Test': 'abc', Cookie: 'sid=s%201; other=2' } });
    expect(client.upgradeHeaders['x-orrery-test']).toBe('yes');
    expect(client.upgradeHeaders['set-cookie']).toEqual(['seen=1']);
    expect(await client.nextText()).toBe('hi ada in löbby');
    client.send('?');
    expect(await client.nextText()).toBe('ada:1');
    expect(seen).toEqual([{ params: { room: 'löbby' }, q: '1', h: 'abc', c: 's 1', method: 'GET' }]);
  });

  it('selects orrery.v1 when offered, otherwise the first offered subprotocol', async () => {
    const server = await startEcho();
    const a = await connectTestClient(server.url('/echo'), { protocols: ['chat', 'orrery.v1'] });
    const b = await connectTestClient(server.url('/echo'), { protocols: ['chat', 'other'] });
    const c = await connectTestClient(server.url('/echo'));
    expect([a.protocol, b.protocol, c.protocol]).toEqual(['orrery.v1', 'chat', '']);
  });

  it('a route can choose the subprotocol itself', async () => {
    const server = await startServer(route('/p', echoHandler, { handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) }));
    const a = await connectTestClient(server.url('/p'), { protocols: ['v1', 'v2'] });
    expect(a.protocol).toBe('v2');
  });

  it('connect can reject with any HTTP status and headers', async () => {
    const server = await startServer(route('/auth', { ...echoHandler, connect: () => reject(401, 'token expired', { 'WWW-Authenticate': 'Bearer' }) }));
    await expect(connectTestClient(server.url('/auth'))).rejects.toMatchObject({ status: 401, body: 'token expired', headers: { 'www-authenticate': 'Bearer' } });
  });
});
