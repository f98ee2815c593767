/**
 * Type-level tests of the typed handler: the whole-tree typecheck (`tsc -p tsconfig.json`)
 * verifies every `@ts-expect-error` line below is an error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { ServerMessage } from '@orrery/protocol';
import { defineTypedHandler, fail, route, type Conn, type Registry, type WebsocketServer } from '@orrery/server';
import { chat, chatRoute } from './typed-fixtures.js';

const noMessages = { say: (s: null) => [s, []] as const, join: (s: null) => [s, []] as const, slow: (s: null) => [s, []] as const, bad: (s: null) => [s, []] as const };
const noRequests = {
  history: (s: null) => [s, [] as { from: string; text: string; at: number }[]] as const,
  count: (s: null) => [s, 0] as const,
  boom: (s: null) => [s, 0] as const,
  undeclared: (s: null) => [s, 0] as const,
};

/** Compile-time only: the body is type-checked, never run (it builds handlers that are wrong on purpose). */
function typeOnly(body: () => void): void {
  void body;
}

describe('typed handler types', () => {
  it('callbacks receive validated, typed payloads; conn.registry takes protocol messages', () => {
    defineTypedHandler(chat, {
      init: (conn) => {
        expectTypeOf(conn).toEqualTypeOf<Conn<Record<string, unknown>, ServerMessage<typeof chat>>>();
        expectTypeOf(conn.registry).toEqualTypeOf<Registry<ServerMessage<typeof chat>>>();
        return [{ n: 0 }, []];
      },
      messages: {
        say: (state, conn, data) => {
          expectTypeOf(state).toEqualTypeOf<{ n: number }>();
          expectTypeOf(data).toEqualTypeOf<{ text: string }>();
          void conn.registry.group.publish('lobby', { name: 'said', data: { from: 'a', text: data.text, at: 1 } });
          // @ts-expect-error: the protocol has no server message 'shout'
          void conn.registry.group.publish('lobby', { name: 'shout', data: {} });
          // @ts-expect-error: 'said' needs { from, text, at }
          void conn.registry.unique.sendMessage('u', { name: 'said', data: { text: 'x' } });
          return [state, []];
        },
        join: (state, _conn, { room }) => {
          expectTypeOf(room).toEqualTypeOf<string>();
          return [state, [{ name: 'joined', data: { room, members: 1 } }, { type: 'close', code: 1000 }]];
        },
        slow: (state) => [state, []],
        bad: (state) => [state, []],
      },
      requests: {
        history: (state, _conn, input) => {
          expectTypeOf(input).toEqualTypeOf<{ room: string }>();
          return input.room === '' ? [state, fail('NOT_FOUND', 'empty')] : [state, []];
        },
        count: (state) => [state, state.n],
        boom: (state) => [state, 1],
        undeclared: (state) => [state, 2],
      },
    });
  });

  it('returning a message the protocol does not define is a compile error', () => typeOnly(() => {
    defineTypedHandler(chat, {
      // @ts-expect-error: no server message 'shout'
      init: () => [null, [{ name: 'shout', data: {} }]],
      messages: noMessages,
      requests: noRequests,
    });
    defineTypedHandler(chat, {
      init: () => [null, []],
      messages: {
        ...noMessages,
        // @ts-expect-error: members must be a number
        join: (s: null) => [s, [{ name: 'joined', data: { room: 'r', members: 'two' } }]],
      },
      requests: noRequests,
    });
  }));

  it('a missing or unknown callback, a wrong reply and an undeclared failure are compile errors', () => typeOnly(() => {
    defineTypedHandler(chat, {
      init: () => [null, []],
      // @ts-expect-error: messages.bad is missing
      messages: { say: noMessages.say, join: noMessages.join, slow: noMessages.slow },
      requests: noRequests,
    });
    defineTypedHandler(chat, {
      init: () => [null, []],
      // @ts-expect-error: 'shout' is not a client message
      messages: { ...noMessages, shout: (s: null) => [s, []] },
      requests: noRequests,
    });
    defineTypedHandler(chat, {
      init: () => [null, []],
      messages: noMessages,
      requests: {
        ...noRequests,
        // @ts-expect-error: count replies with a number
        count: (s: null) => [s, 'many'],
      },
    });
    defineTypedHandler(chat, {
      init: () => [null, []],
      messages: noMessages,
      requests: {
        ...noRequests,
        // @ts-expect-error: 'GONE' is not among history's errors
        history: (s: null) => [s, fail('GONE')],
      },
    });
  }));

  it('the route carries the message type to server.registry()', () => {
    const server = undefined as unknown as WebsocketServer;
    if (server !== undefined) {
      expectTypeOf(server.registry(chatRoute)).toEqualTypeOf<Registry<ServerMessage<typeof chat>>>();
      const r = route('/x', defineTypedHandler(chat, { init: () => [null, []], messages: noMessages, requests: noRequests }));
      // @ts-expect-error: not a message of the protocol
      void server.registry(r).group.publish('g', { name: 'nope', data: 1 });
    }
  });
});
