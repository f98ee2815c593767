/**
 * Type-level tests, checked by the whole-tree typecheck (`tsc -p tsconfig.json`): the shared
 * protocol types what procedures publish and what subscriptions yield, on the server and in
 * tRPC's client. Every `@ts-expect-error` below must stay an error.
 */
import type { ServerMessage } from '@orrery/protocol';
import { memoryRegistry } from '@orrery/server';
import { orreryTrpc, type GroupSubscription, type OrreryContext } from '@orrery/trpc';
import type { inferRouterOutputs, TrackedEnvelope } from '@trpc/server';
import { initTRPC } from '@trpc/server';
import { describe, expectTypeOf, it } from 'vitest';
import { chat, type Chat, type ChatRouter } from './support/chat.js';
import { chatTrpcClient, trpcClient } from './support/clients.js';

const orrery = orreryTrpc({ protocol: chat, registry: memoryRegistry().namespace('/chat') });

describe('types from the shared protocol', () => {
  it('publish and sendMessage take exactly the server messages of the protocol', () => {
    expectTypeOf(orrery.publish).parameter(1).toEqualTypeOf<ServerMessage<Chat>>();
    expectTypeOf(orrery.sendMessage).parameter(1).toEqualTypeOf<ServerMessage<Chat>>();
    expectTypeOf(orrery.publish).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(orrery.sendMessage).returns.toEqualTypeOf<Promise<boolean>>();

    // Never called: the calls only have to compile (or not).
    const compileOnly = (ctx: OrreryContext<Chat>): void => {
      void ctx.publish('room:a', { name: 'said', data: { from: 'a', text: 'b', at: 1 } });
      void ctx.sendMessage('user:a', { name: 'notice', data: { text: 'hi' } });
      // @ts-expect-error "shout" is not a message of the protocol
      void ctx.publish('room:a', { name: 'shout', data: { text: 'b' } });
      // @ts-expect-error "say" is a client → server message, not a server message
      void ctx.publish('room:a', { name: 'say', data: { text: 'b' } });
      // @ts-expect-error "said" needs from, text and at
      void ctx.publish('room:a', { name: 'said', data: { text: 'b' } });
      // @ts-expect-error the data of "notice" is { text: string }
      void ctx.sendMessage('user:a', { name: 'notice', data: { text: 1 } });
      // @ts-expect-error a message is { name, data }, not a bare payload
      void ctx.publish('room:a', { text: 'b' });
    };
    void compileOnly;
  });

  it('ctx.orrery is typed inside procedures, under its own key too', () => {
    const t = initTRPC.context<{ user: string }>().create();
    const procedure = t.procedure.concat(orrery.procedure);
    t.router({
      post: procedure.mutation(({ ctx }) => {
        expectTypeOf(ctx.user).toEqualTypeOf<string>();
        expectTypeOf(ctx.orrery).toEqualTypeOf<OrreryContext<Chat>>();
        return ctx.orrery.publish('room:a', { name: 'notice', data: { text: ctx.user } });
      }),
      // @ts-expect-error a procedure cannot publish a message the protocol does not define
      bad: procedure.mutation(({ ctx }) => ctx.orrery.publish('room:a', { name: 'shout', data: {} })),
    });
    const keyed = orreryTrpc({ protocol: chat, registry: memoryRegistry().namespace('/chat'), contextKey: 'chat' });
    t.procedure.concat(keyed.procedure).query(({ ctx }) => {
      expectTypeOf(ctx.chat).toEqualTypeOf<OrreryContext<Chat>>();
      // @ts-expect-error the context key is "chat" here
      return ctx.orrery;
    });
  });

  it('subscriptions yield the server messages, or tracked envelopes of them', () => {
    const compileOnly = (): void => {
      expectTypeOf(orrery.subscribe('room:a')).toEqualTypeOf<GroupSubscription<ServerMessage<Chat>>>();
      expectTypeOf(orrery.subscribe('room:a', { track: (m) => m.name })).toEqualTypeOf<GroupSubscription<TrackedEnvelope<ServerMessage<Chat>>>>();
      // @ts-expect-error track gets a server message: "said" has no "id"
      orrery.subscribe('room:a', { track: (m) => (m.name === 'said' ? m.data.id : '') });
    };
    void compileOnly;
    // What tRPC's client sees: the same message union (and { id, data } for tracked events).
    const t = initTRPC.create();
    const tracked = t.router({
      feed: t.procedure.concat(orrery.procedure).subscription(({ ctx }) => ctx.orrery.subscribe('room:a', { track: (m) => m.name })),
    });
    const clientOnly = (): void => {
      const client = chatTrpcClient('http://127.0.0.1:1/trpc');
      client.roomEvents.subscribe({ room: 'a' }, { onData: (m) => expectTypeOf(m).toEqualTypeOf<ServerMessage<Chat>>() });
      client.roomFeed.subscribe({ room: 'a' }, { onData: (m) => expectTypeOf(m).toEqualTypeOf<ServerMessage<Chat>>() });
      trpcClient<typeof tracked>('http://127.0.0.1:1/trpc').feed.subscribe(undefined, {
        onData: (e) => expectTypeOf(e).toEqualTypeOf<{ id: string; data: ServerMessage<Chat> }>(),
      });
    };
    void clientOnly;
    expectTypeOf<inferRouterOutputs<ChatRouter>['announce']>().toEqualTypeOf<number>();
    expectTypeOf<inferRouterOutputs<ChatRouter>['whisper']>().toEqualTypeOf<boolean>();
  });
});
