/**
 * The demo's tRPC router, served over HTTP at `/trpc/` by the same server as the pages:
 * - `history({ room })` (query): the room's recent lines, oldest first;
 * - `announce({ room, text })` (mutation): post a system message to the room — stored in the
 *   history and published through the chat route's registry with `@orrery/trpc`, so it reaches
 *   every connection in the room on every node.
 */
import { randomUUID } from 'node:crypto';
import { initTRPC } from '@trpc/server';
import type { Registry } from '@orrery/server';
import type { ServerMessage } from '@orrery/protocol';
import { orreryTrpc } from '@orrery/trpc';
import * as z from 'zod/mini';
import { CHAT_LIMITS, chatProtocol, MessageText, RoomName, type ChatProtocol } from '../src/shared/chat-protocol.js';
import { roomGroup } from './chat-handler.js';
import type { HistoryStore } from './history.js';

/** What the router's procedures reach. */
export interface DemoRouterOptions {
  readonly history: HistoryStore;
  /** The chat route's registry (looked up on each call). */
  readonly chatRegistry: () => Registry<ServerMessage<ChatProtocol>>;
}

/** Build the router. */
export function createDemoRouter(options: DemoRouterOptions) {
  const { history } = options;
  const orrery = orreryTrpc({ protocol: chatProtocol, registry: options.chatRegistry });
  const t = initTRPC.create();
  const procedure = t.procedure.concat(orrery.procedure);
  return t.router({
    history: t.procedure
      .input(z.object({ room: RoomName }))
      .query(({ input }) => history.recent(input.room, CHAT_LIMITS.historySize)),
    announce: procedure
      .input(z.object({ room: RoomName, text: MessageText }))
      .mutation(async ({ ctx, input }) => {
        const entry = { kind: 'system', id: `sys-${randomUUID()}`, room: input.room, text: input.text, at: Date.now() } as const;
        await history.append(entry);
        const recipients = await ctx.orrery.publish(roomGroup(input.room), { name: 'message', data: entry });
        return { id: entry.id, recipients };
      }),
  });
}

/** The router's type, for `createTRPCClient<DemoRouter>`. */
export type DemoRouter = ReturnType<typeof createDemoRouter>;
