/**
 * The chat of the tests (and of docs/trpc.md): one protocol shared by the websocket handler,
 * the tRPC router and the clients.
 *
 * - websocket `/chat?room=R&name=N`: joins group `room:R`, registers `user:N`; a client's
 *   `say` is published to the room as `said` (handler messages: the chat itself);
 * - tRPC `announce` (mutation): a system `said` to a room, resolves to the publish count;
 * - tRPC `whisper` (mutation): a `notice` to one user (sendMessage), resolves to found or not;
 * - tRPC `roomEvents` (subscription): the room's group, returned as it is;
 * - tRPC `roomFeed` (subscription): an async generator that waits for the join, yields a
 *   `notice` that it joined, then the group (`yield*`);
 * - tRPC `registrySize` (query): this process's local registry sizes;
 * - tRPC `undefinedMessage` (mutation): publishes a message the protocol does not define
 *   (past the type system), for the run-time check.
 */
import { defineProtocol, type ServerMessage } from '@orrery/protocol';
import { defineTypedHandler } from '@orrery/server';
import { initTRPC } from '@trpc/server';
import * as z from 'zod';
import type { OrreryTrpc } from '@orrery/trpc';

export const chat = defineProtocol({
  client: { say: z.object({ text: z.string().min(1).max(2000) }) },
  server: {
    said: z.object({ from: z.string(), text: z.string(), at: z.number() }),
    notice: z.object({ text: z.string() }),
  },
});

export type Chat = typeof chat;

/** The websocket handler of `/chat`. */
export const chatHandler = defineTypedHandler(chat, {
  init: async (conn) => {
    const room = conn.query.get('room') ?? 'lobby';
    const name = conn.query.get('name') ?? conn.id;
    await conn.registry.group.join(`room:${room}`, conn);
    await conn.registry.unique.register(`user:${name}`, conn);
    return [{ room, name }, []];
  },
  messages: {
    say: async (state, conn, { text }) => {
      await conn.registry.group.publish(`room:${state.room}`, { name: 'said', data: { from: state.name, text, at: Date.now() } });
      return [state, []];
    },
  },
});

const room = z.string().min(1).max(300);

/** The tRPC router over an `orreryTrpc` of the chat protocol. */
export function createChatRouter(orrery: OrreryTrpc<Chat>, registrySize: () => { groups: number; memberships: number }) {
  const t = initTRPC.create();
  const procedure = t.procedure.concat(orrery.procedure);
  return t.router({
    announce: procedure
      .input(z.object({ room, text: z.string() }))
      .mutation(({ ctx, input }) =>
        ctx.orrery.publish(`room:${input.room}`, { name: 'said', data: { from: 'system', text: input.text, at: Date.now() } })),
    whisper: procedure
      .input(z.object({ to: z.string(), text: z.string() }))
      .mutation(({ ctx, input }) => ctx.orrery.sendMessage(`user:${input.to}`, { name: 'notice', data: { text: input.text } })),
    roomEvents: procedure
      .input(z.object({ room }))
      .subscription(({ ctx, input }) => ctx.orrery.subscribe(`room:${input.room}`)),
    roomFeed: procedure
      .input(z.object({ room }))
      .subscription(async function* ({ ctx, input }) {
        const subscription = ctx.orrery.subscribe(`room:${input.room}`);
        try {
          await subscription.ready; // joined everywhere: nothing published from now on is missed
          const joined: ServerMessage<Chat> = { name: 'notice', data: { text: `joined ${input.room}` } };
          yield joined; // (where an app would yield the room's history)
          yield* subscription;
        } finally {
          subscription.close(); // also when this generator fails or is stopped before yield*
        }
      }),
    registrySize: procedure.query(() => registrySize()),
    undefinedMessage: procedure.mutation(({ ctx }) =>
      ctx.orrery.publish('room:lobby', { name: 'shout', data: { text: 'not in the protocol' } } as never)),
  });
}

export type ChatRouter = ReturnType<typeof createChatRouter>;
