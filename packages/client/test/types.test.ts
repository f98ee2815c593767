/**
 * Type-level tests of the client; the whole-tree typecheck verifies each `@ts-expect-error`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createWebsocketClient, defineProtocol, type ConnectionState, type NotResumedReason, type SendResult, type WebsocketClient } from '@orrery/client';
import type { ClientMessage, OrreryError } from '@orrery/protocol';
import { chat } from './fixtures/protocol.js';

/** Compile-time only: never run. */
function typeOnly(body: () => void): void {
  void body;
}

describe('client types', () => {
  it('send, on and request are typed by the protocol', () => typeOnly(() => {
    const client = createWebsocketClient(chat, { url: 'ws://localhost/chat' });
    expectTypeOf(client).toEqualTypeOf<WebsocketClient<typeof chat>>();
    expectTypeOf(client.send('say', { text: 'x' })).toEqualTypeOf<SendResult>();
    client.send('typing'); // a payload the schema allows to be undefined is optional
    client.on('said', (m) => expectTypeOf(m).toEqualTypeOf<{ from: string; text: string }>());
    client.on('notice', (n) => expectTypeOf(n.level).toEqualTypeOf<'info' | 'warn'>());
    expectTypeOf(client.request('history', { room: 'lobby' })).toEqualTypeOf<Promise<{ from: string; text: string }[]>>();
    expectTypeOf(client.request('slow', { ms: 1 }, { timeoutMs: 5 })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(client.request('whoami')).toEqualTypeOf<Promise<{ token?: string | undefined; params: Record<string, string> }>>();
    expectTypeOf(client.state).toEqualTypeOf<ConnectionState>();
  }));

  it('onResume narrows on resumed; unconfirmed are the protocol\'s client messages', () => typeOnly(() => {
    const client = createWebsocketClient(chat, { url: 'ws://localhost/chat' });
    client.onResume((event) => {
      if (event.resumed) {
        expectTypeOf(event.missed).toEqualTypeOf<number>();
        // @ts-expect-error: a resumed outcome has no reason
        void event.reason;
      } else {
        expectTypeOf(event.reason).toEqualTypeOf<NotResumedReason>();
        expectTypeOf(event.unconfirmed).toEqualTypeOf<readonly ClientMessage<typeof chat>[]>();
        expectTypeOf(event.error).toEqualTypeOf<OrreryError>();
      }
    });
  }));

  it('a wrong name or payload is a compile error', () => typeOnly(() => {
    const client = createWebsocketClient(chat, { url: 'ws://localhost/chat' });
    // @ts-expect-error: no client message 'shout'
    client.send('shout', { text: 'x' });
    // @ts-expect-error: 'said' is a server message
    client.send('said', { from: 'a', text: 'b' });
    // @ts-expect-error: text must be a string
    client.send('say', { text: 1 });
    // @ts-expect-error: the payload is required
    client.send('say');
    // @ts-expect-error: no server message 'say'
    client.on('say', () => {});
    // @ts-expect-error: the listener's parameter type is wrong
    client.on('said', (m: { from: number }) => void m);
    // @ts-expect-error: no request 'nope'
    void client.request('nope', {});
    // @ts-expect-error: room must be a string
    void client.request('history', { room: 1 });
    // @ts-expect-error: history needs its input
    void client.request('history');
  }));

  it('transforms: the client sends the schema input and receives the output', () => typeOnly(() => {
    const p = defineProtocol({
      client: { at: z.object({ iso: z.string() }) },
      server: { at: z.object({ iso: z.string().transform((s) => new Date(s)) }) },
    });
    const client = createWebsocketClient(p, { url: 'ws://x' });
    client.on('at', (m) => expectTypeOf(m.iso).toEqualTypeOf<Date>());
    client.send('at', { iso: '2026-12-01' });
  }));
});
