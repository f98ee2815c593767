import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProtocol, type ServerMessage } from '@orrery/protocol';
import { bearerToken, defineTypedHandler, reject, route, typedRegistry, type Conn, type TypedHandler } from '@orrery/server';
import { testHandler } from '@orrery/server/testing';
import { chat, chatHandler, chatRoute, connect, ErrorLog, joinChat, seen, start } from './typed-fixtures.js';

const WELCOME = { t: 'welcome' };

describe('typed handler: messages and requests over a real socket', () => {
  it('sends welcome first, then the messages init returned', async () => {
    const server = await start([chatRoute]);
    const c = await connect(server, '/chat?name=ada');
    expect(await c.nextJson()).toEqual(WELCOME);
    expect(await c.nextJson()).toEqual({ t: 'msg', n: 'joined', d: { room: 'lobby', members: 1 } });
  });

  it('dispatches a validated client message; a publish reaches every member', async () => {
    const server = await start([chatRoute]);
    const a = await joinChat(server, '/chat?name=ada');
    const b = await joinChat(server, '/chat?name=bob');
    a.send('{"t":"msg","n":"say","d":{"text":"hello"}}');
    const said = { t: 'msg', n: 'said', d: { from: 'ada', text: 'hello', at: 1 } };
    expect(await a.nextJson()).toEqual(said);
    expect(await b.nextJson()).toEqual(said);
    expect(seen.messages).toEqual(['hello']);
  });

  it('answers requests: a reply, a declared failure, INVALID_INPUT naming the path, UNKNOWN_REQUEST', async () => {
    const server = await start([chatRoute]);
    const c = await joinChat(server, '/chat');
    c.send('{"t":"req","id":1,"n":"history","d":{"room":"lobby"}}');
    expect(await c.nextJson()).toEqual({ t: 'res', id: 1, d: [{ from: 'ada', text: 'hi', at: 1 }] });
    c.send('{"t":"req","id":2,"n":"history","d":{"room":"attic"}}');
    expect(await c.nextJson()).toEqual({ t: 'err', id: 2, e: { code: 'NOT_FOUND', message: 'no room attic' } });
    c.send('{"t":"req","id":3,"n":"history","d":{"room":7}}');
    expect(await c.nextJson()).toEqual({
      t: 'err',
      id: 3,
      e: { code: 'INVALID_INPUT', message: 'invalid input of request "history": room: Invalid input: expected string, received number' },
    });
    c.send('{"t":"req","id":4,"n":"nope"}');
    expect(await c.nextJson()).toEqual({ t: 'err', id: 4, e: { code: 'UNKNOWN_REQUEST', message: 'unknown request "nope"' } });
    // the connection is still open and the reply comes before the extra messages
    c.send('{"t":"req","id":5,"n":"count"}');
    expect(await c.nextJson()).toEqual({ t: 'res', id: 5, d: 0 });
    expect(await c.nextJson()).toEqual({ t: 'msg', n: 'joined', d: { room: 'count', members: 0 } });
  });

  it('answers ping with pong and ignores the reserved ack', async () => {
    const server = await start([chatRoute]);
    const c = await joinChat(server, '/chat');
    c.send('{"t":"ack","seq":3}');
    c.send('{"t":"ping"}');
    expect(await c.nextJson()).toEqual({ t: 'pong' });
  });

  it('keeps arrival order when a schema is async', async () => {
    const server = await start([chatRoute]);
    const c = await joinChat(server, '/chat');
    c.send('{"t":"msg","n":"slow","d":{"n":1}}');
    c.send('{"t":"msg","n":"join","d":{"room":"after"}}');
    expect((await c.nextJson<{ d: { room: string } }>()).d.room).toBe('slow-1');
    expect((await c.nextJson<{ d: { room: string } }>()).d.room).toBe('after');
  });
});

describe('typed handler: invalid client input never reaches the handler', () => {
  async function closedBy(frame: string | Uint8Array): Promise<{ code: number; reason: string }> {
    const server = await start([chatRoute]);
    const c = await joinChat(server, '/chat');
    c.send(frame);
    return c.closed;
  }

  it('a message failing its schema: close 1007 naming the failed path', async () => {
    expect(await closedBy('{"t":"msg","n":"say","d":{"text":""}}')).toEqual({
      code: 1007,
      reason: 'invalid message "say": text: Too small: expected string to have >=1 characters',
    });
    expect(seen.messages).toEqual([]);
    expect(seen.terminated).toEqual([{ type: 'stop' }]);
  });

  it('a long reason is cut to 123 bytes', async () => {
    const { code, reason } = await closedBy('{"t":"msg","n":"say","d":{"text":"' + 'x'.repeat(300) + '"}}');
    expect(code).toBe(1007);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason.startsWith('invalid message "say": text: Too big')).toBe(true);
  });

  it('an unknown message, a frame that is not an envelope, a binary frame', async () => {
    expect(await closedBy('{"t":"msg","n":"shout","d":{}}')).toEqual({ code: 1007, reason: 'unknown message "shout"' });
    expect((await closedBy('hello')).code).toBe(1007);
    expect(await closedBy('{"t":"join"}')).toEqual({ code: 1007, reason: 'unknown client frame kind "join" (expected "msg", "req", "ping" or "ack")' });
    expect(await closedBy(new Uint8Array([1, 2]))).toEqual({ code: 1003, reason: 'orrery.v1 frames are JSON text; binary frames are not accepted' });
    expect(seen.messages).toEqual([]);
  });
});

describe('typed handler: handler errors', () => {
  async function errorClose(frame: string): Promise<{ close: { code: number; reason: string }; log: ErrorLog }> {
    const log = new ErrorLog();
    const server = await start([chatRoute], log);
    const c = await joinChat(server, '/chat');
    c.send(frame);
    return { close: await c.closed, log };
  }

  it('a request callback that throws closes 1011 and is logged', async () => {
    const { close, log } = await errorClose('{"t":"req","id":1,"n":"boom"}');
    expect(close).toEqual({ code: 1011, reason: 'internal error' });
    expect((log.errors[0]?.fields.error as Error).message).toBe('request exploded');
  });

  it('outgoing data that breaks its schema is a handler error', async () => {
    const { close, log } = await errorClose('{"t":"msg","n":"bad","d":{}}');
    expect(close.code).toBe(1011);
    expect(log.errors[0]?.fields.error).toMatchObject({
      code: 'ORRERY_INVALID_MESSAGE',
      message: '"joined" (from messages.bad) does not match its schema: members: Invalid input: expected number, received string',
    });
  });

  it('failing with a code the request does not declare is a handler error', async () => {
    const { close, log } = await errorClose('{"t":"req","id":1,"n":"undeclared"}');
    expect(close.code).toBe(1011);
    expect(log.errors[0]?.fields.error).toMatchObject({ code: 'ORRERY_INVALID_RESULT' });
  });
});

describe('typed handler: registry messages', () => {
  it('encodes a message published to many members once, not once per member', async () => {
    // Count how often the message's data is read: by validation and encoding, never per member.
    async function readsFor(members: number): Promise<number> {
      const server = await start([chatRoute]);
      const clients = [];
      for (let i = 0; i < members; i++) {
        const c = await joinChat(server, '/chat');
        clients.push(c);
      }
      let reads = 0;
      const data = { from: 'system', at: 1, get text() { reads++; return 'broadcast'; } };
      const delivered = await server.registry(chatRoute).group.publish('lobby', { name: 'said', data });
      expect(delivered).toBe(members);
      for (const c of clients) expect(await c.nextJson()).toEqual({ t: 'msg', n: 'said', d: { from: 'system', text: 'broadcast', at: 1 } });
      await server.close({ drainWindowMs: 0 });
      return reads;
    }
    const one = await readsFor(1);
    expect(one).toBeGreaterThan(0);
    expect(await readsFor(6)).toBe(one);
  });

  it('typedRegistry refuses a message the protocol does not define, before sending anything', async () => {
    const server = await start([chatRoute]);
    const c = await joinChat(server, '/chat');
    const lobby = typedRegistry(chat, server.registry(chatRoute));
    expect(() => lobby.group.publish('lobby', { name: 'shout', data: {} } as unknown as ServerMessage<typeof chat>)).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_MESSAGE', message: expect.stringContaining('server message "shout" (from group.publish) is not defined') }),
    );
    expect(() => lobby.unique.sendMessage('x', { name: 'said', data: { from: 1 } } as unknown as ServerMessage<typeof chat>)).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_MESSAGE' }),
    );
    expect(await lobby.group.publish('lobby', { name: 'joined', data: { room: 'r', members: 3 } })).toBe(1);
    expect(await c.nextJson()).toEqual({ t: 'msg', n: 'joined', d: { room: 'r', members: 3 } });
  });

  it('a custom handleServerMessage maps registry messages of its own type', async () => {
    type Tick = { tick: number };
    const ticks = defineTypedHandler<typeof chat, null, Tick>(chat, {
      init: async (conn) => {
        await conn.registry.group.join('ticks', conn);
        return [null, []];
      },
      messages: { say: (s) => [s, []], join: (s) => [s, []], slow: (s) => [s, []], bad: (s) => [s, []] },
      requests: { history: (s) => [s, []], count: (s) => [s, 0], boom: (s) => [s, 0], undeclared: (s) => [s, 0] },
      handleServerMessage: (state, _conn, { tick }) => [state, [{ name: 'joined', data: { room: 'ticks', members: tick } }]],
    });
    const tickRoute = route('/ticks', ticks);
    const server = await start([tickRoute]);
    const c = await connect(server, '/ticks');
    await c.nextJson();
    await server.registry(tickRoute).group.publish('ticks', { tick: 9 });
    expect(await c.nextJson()).toEqual({ t: 'msg', n: 'joined', d: { room: 'ticks', members: 9 } });
  });
});

describe('typed handler: handshake', () => {
  const auth = defineProtocol({ server: { hello: z.object({ user: z.string() }) } });
  const authHandler = defineTypedHandler<typeof auth, null, ServerMessage<typeof auth>, { user: string }>(auth, {
    connect: (conn: Conn<{ user: string }, ServerMessage<typeof auth>>) => {
      const token = bearerToken(conn);
      return token === undefined ? reject(401, 'a token is required') : conn.assign({ user: token });
    },
    init: (conn) => [null, [{ name: 'hello', data: { user: conn.assigns.user } }]],
  });

  it('reads the bearer token from the subprotocol list; a missing token is rejected with 4401', async () => {
    const server = await start([route('/auth', authHandler)]);
    const token = 'jwt.ü.token';
    const ok = await connect(server, '/auth', ['orrery.v1', `orrery.bearer.${Buffer.from(token).toString('base64url')}`]);
    expect(ok.protocol).toBe('orrery.v1');
    expect(await ok.nextJson()).toEqual(WELCOME);
    expect(await ok.nextJson()).toEqual({ t: 'msg', n: 'hello', d: { user: token } });
    const refused = await connect(server, '/auth');
    expect(await refused.closed).toEqual({ code: 4401, reason: 'a token is required' });
  });
});

describe('defineTypedHandler: construction', () => {
  const base = { init: () => [null, []] as const };
  it('refuses a protocol message or request without a callback, and callbacks the protocol does not define', () => {
    const p = defineProtocol({ client: { a: z.string() }, requests: { r: { input: z.string(), output: z.string() } } });
    type H = TypedHandler<typeof p, null>;
    expect(() => defineTypedHandler(p, { ...base, messages: {}, requests: { r: (s: null) => [s, ''] } } as unknown as H)).toThrow(
      expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS', message: 'defineTypedHandler: the protocol defines client message "a"; implement messages.a' }),
    );
    expect(() => defineTypedHandler(p, { ...base, messages: { a: (s: null) => [s, []], b: () => [] }, requests: { r: (s: null) => [s, ''] } } as unknown as H)).toThrow(
      expect.objectContaining({ message: 'defineTypedHandler: messages.b is not in the protocol (it defines: a)' }),
    );
    expect(() => defineTypedHandler(p, { messages: {}, requests: {} } as unknown as H)).toThrow(
      expect.objectContaining({ message: 'defineTypedHandler: the handler must implement init(conn)' }),
    );
  });

  it('needs no messages or requests sections when the protocol has none', () => {
    const push = defineProtocol({ server: { tick: z.number() } });
    const h = defineTypedHandler(push, { init: () => [0, [{ name: 'tick', data: 1 }]] });
    expect(h.protocol).toBe(push);
    expect(typeof h.handleClientMessage).toBe('function');
    expect(chatHandler.connect).toBeUndefined();
  });
});

describe('typed handler under testHandler (no socket)', () => {
  it('runs in the harness like any handler', async () => {
    const h = testHandler(chatHandler, { query: { name: 'ada' } });
    expect((await h.init()).map((f) => (f.type === 'text' ? JSON.parse(f.data) : f))).toEqual([
      WELCOME,
      { t: 'msg', n: 'joined', d: { room: 'lobby', members: 1 } },
    ]);
    expect(await h.clientMessage('{"t":"req","id":9,"n":"history","d":{"room":"lobby"}}')).toEqual([
      { type: 'text', data: '{"t":"res","id":9,"d":[{"from":"ada","text":"hi","at":1}]}' },
    ]);
    expect(await h.clientMessage('{"t":"msg","n":"say","d":{"text":"yo"}}')).toEqual([
      { type: 'text', data: '{"t":"msg","n":"said","d":{"from":"ada","text":"yo","at":1}}' },
    ]);
    expect(h.state).toEqual({ name: 'ada', said: 1 });
    await h.end();
    await h.dispose();
  });
});
