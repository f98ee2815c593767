/**
 * @orrery/trpc — tRPC procedures that reach websocket connections: the registry of a route,
 * typed by the shared protocol, in the context of procedures on any tRPC adapter, and
 * registry groups as tRPC subscriptions.
 *
 * @example
 * import { initTRPC } from '@trpc/server';
 * import { orreryTrpc } from '@orrery/trpc';
 * const orrery = orreryTrpc({ protocol: chat, registry: () => server.registry(chatRoute) });
 * const t = initTRPC.create();
 * const procedure = t.procedure.concat(orrery.procedure);
 * export const appRouter = t.router({
 *   announce: procedure.input(z.object({ room: z.string(), text: z.string() })).mutation(({ ctx, input }) =>
 *     ctx.orrery.publish(`room:${input.room}`, { name: 'said', data: { from: 'system', text: input.text, at: Date.now() } })),
 *   roomEvents: procedure.input(z.object({ room: z.string() })).subscription(({ ctx, input }) =>
 *     ctx.orrery.subscribe(`room:${input.room}`)),
 * });
 */
export { orreryTrpc } from './orrery-trpc.js';
export type {
  OrreryContext,
  OrreryContextOf,
  OrreryProcedure,
  OrreryTrpc,
  OrreryTrpcOptions,
  SubscribeOptions,
  SubscriptionSettings,
} from './orrery-trpc.js';
export { GroupSubscription, subscriptionDefaults } from './subscription.js';
export type { GroupSubscriptionOptions } from './subscription.js';
export type { RegistryOption, RegistrySource } from './source.js';
export { toTRPCError, trpcCodeOf } from './errors.js';
