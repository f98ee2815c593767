/**
 * `orreryTrpc`: the registry of a websocket route, typed by the shared protocol, for tRPC
 * procedures on any adapter — as a procedure to `.concat()` (it puts `ctx.orrery` into the
 * context) and as a plain object for code outside procedures.
 */
import { assertServerMessage, OrreryError, type AnyProtocol, type ServerMessage } from '@orrery/protocol';
import type { Registry } from '@orrery/server';
import {
  initTRPC,
  tracked,
  type TrackedEnvelope,
  type TRPCDefaultErrorShape,
  type TRPCProcedureBuilder,
  type TRPCUnsetMarker,
} from '@trpc/server';
import { recodedError, toTRPCError } from './errors.js';
import { registryResolver, type RegistryOption, type ResolvedRegistry } from './source.js';
import { GroupSubscription, type GroupSubscriptionOptions, type SubscriptionDeps } from './subscription.js';

/** Options of one `subscribe` call. */
export interface SubscribeOptions<P extends AnyProtocol> extends GroupSubscriptionOptions {
  /**
   * Yield tRPC tracked events, `tracked(track(message), message)`, so that a reconnecting
   * client sends the id of the last message it got (`input.lastEventId` over SSE; wsLink
   * does it too). A group keeps no history: use the id to replay from your own store, after
   * `await subscription.ready` (docs/trpc.md, "Resuming").
   * @default none: messages are yielded as they are
   */
  track?: (message: ServerMessage<P>) => string;
}

/** Subscription options that apply to every `subscribe` of one {@link orreryTrpc}. */
export interface SubscriptionSettings {
  /** @default 1_000 (see {@link GroupSubscriptionOptions.maxBuffered}) */
  maxBuffered?: number;
  /** @default 4 MiB (see {@link GroupSubscriptionOptions.maxBacklogBytes}) */
  maxBacklogBytes?: number;
  /**
   * Check the data of every received message against its schema (once per message object
   * per process), not only its name. A message that fails ends the subscription with
   * `ORRERY_INVALID_MESSAGE`, like a typed connection that closes with 1011.
   * @default true
   */
  validate?: boolean;
}

/** Options of {@link orreryTrpc}. */
export interface OrreryTrpcOptions<P extends AnyProtocol, K extends string = 'orrery'> {
  /** The shared protocol: its `server` messages are what procedures may publish and subscriptions yield. */
  readonly protocol: P;
  /**
   * The registry: `server.registry(route)`, or `backend.namespace(routeName)` in a process
   * without websocket routes, or a function returning one (called on each use).
   */
  readonly registry: RegistryOption<P>;
  /** The context key procedures read it from. @default 'orrery' */
  readonly contextKey?: K;
  /** Defaults for every subscription. */
  readonly subscriptions?: SubscriptionSettings;
}

/** What procedures find at `ctx.orrery`: the route's registry, typed by the protocol. */
export interface OrreryContext<P extends AnyProtocol> {
  /** The protocol. */
  readonly protocol: P;
  /** The route's registry with checked `publish` / `sendMessage` (for `register`, `join` … of your own members). */
  readonly registry: Registry<ServerMessage<P>>;
  /**
   * Publish to a group across the cluster; resolves to the number of intended recipients
   * (connections and subscriptions). A message the protocol does not define is a compile
   * error, and `ORRERY_INVALID_MESSAGE` at run time before anything is sent.
   */
  publish(group: string, message: ServerMessage<P>): Promise<number>;
  /** Send to the holder of a unique name; `true` when the name was found. Checked like {@link publish}. */
  sendMessage(name: string, message: ServerMessage<P>): Promise<boolean>;
  /**
   * The group as an async iterable: return it from `.subscription(...)` (or `yield*` it). Joins
   * at once; leaves when the subscriber goes away. Inside a procedure the call's `signal` is
   * passed for you.
   */
  subscribe(group: string, options: SubscribeOptions<P> & { track: (message: ServerMessage<P>) => string }): GroupSubscription<TrackedEnvelope<ServerMessage<P>>>;
  subscribe(group: string, options?: SubscribeOptions<P>): GroupSubscription<ServerMessage<P>>;
}

/** The context `orrery.procedure` adds. */
export type OrreryContextOf<P extends AnyProtocol, K extends string> = { readonly [Key in K]: OrreryContext<P> };

/** A tRPC procedure builder that adds `ctx[K]`; use it with `t.procedure.concat(orrery.procedure)`. */
export type OrreryProcedure<P extends AnyProtocol, K extends string> = TRPCProcedureBuilder<
  object,
  object,
  OrreryContextOf<P, K>,
  TRPCUnsetMarker,
  TRPCUnsetMarker,
  TRPCUnsetMarker,
  TRPCUnsetMarker,
  false,
  TRPCDefaultErrorShape
>;

/** What {@link orreryTrpc} returns. */
export interface OrreryTrpc<P extends AnyProtocol, K extends string = 'orrery'> extends OrreryContext<P> {
  /**
   * A procedure to `.concat()` onto yours: it puts an {@link OrreryContext} at `ctx[contextKey]`
   * (with the call's abort signal bound to `subscribe`), and answers `OrreryError`s with the
   * tRPC codes of docs/trpc.md (`BAD_REQUEST` for a bad group name, `SERVICE_UNAVAILABLE` when
   * Redis is down …).
   */
  readonly procedure: OrreryProcedure<P, K>;
  /** Subscriptions currently in their groups. */
  readonly activeSubscriptions: number;
  /**
   * For shutdown: end every subscription with `ORRERY_SERVER_CLOSED` (tRPC clients see
   * `SERVICE_UNAVAILABLE` and reconnect, to another node) and refuse new ones. `publish` and
   * `sendMessage` keep working while the registry does. Call it before closing the servers.
   */
  closeSubscriptions(): void;
}

type AnySubscription = GroupSubscription<unknown>;

/**
 * Give tRPC procedures the registry of a websocket route, typed by the shared protocol.
 *
 * @example
 * const orrery = orreryTrpc({ protocol: chat, registry: () => server.registry(chatRoute) });
 * const t = initTRPC.create();
 * const procedure = t.procedure.concat(orrery.procedure);
 * export const appRouter = t.router({
 *   post: procedure.input(z.object({ room: z.string(), text: z.string() })).mutation(({ ctx, input }) =>
 *     ctx.orrery.publish(`room:${input.room}`, { name: 'said', data: { from: 'system', text: input.text, at: Date.now() } })),
 *   events: procedure.input(z.object({ room: z.string() })).subscription(({ ctx, input }) =>
 *     ctx.orrery.subscribe(`room:${input.room}`)),
 * });
 *
 * @throws OrreryError `ORRERY_INVALID_OPTIONS` for a missing protocol or registry, or bad settings.
 */
export function orreryTrpc<P extends AnyProtocol, K extends string = 'orrery'>(options: OrreryTrpcOptions<P, K>): OrreryTrpc<P, K> {
  const { protocol } = options;
  if (typeof protocol !== 'object' || protocol === null || protocol.kind !== 'orrery.protocol') {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', 'orreryTrpc: protocol must be made by defineProtocol(...)');
  }
  const key = options.contextKey ?? ('orrery' as K);
  const resolve = registryResolver(protocol, options.registry);
  const subscriptions = new Subscriptions(protocol, resolve, options.subscriptions ?? {});
  const subscribe: Subscribe<P> = (group, opts, mapError) => subscriptions.open(group, opts, mapError);
  const procedure = initTRPC.create().procedure.use(async (opts) => {
    const ctx = { [key]: contextOf(protocol, resolve, subscribe, { signal: opts.signal }) } as OrreryContextOf<P, K>;
    const result = await opts.next({ ctx });
    if (result.ok) return result;
    const error = recodedError(result.error);
    return error === undefined ? result : { ...result, error };
  }) as unknown as OrreryProcedure<P, K>;
  // Getters stay getters: defineProperties, not Object.assign (which would copy their values).
  return Object.defineProperties(contextOf(protocol, resolve, subscribe), {
    procedure: { value: procedure, enumerable: true },
    activeSubscriptions: { get: () => subscriptions.active.size, enumerable: true },
    closeSubscriptions: { value: () => subscriptions.close(), enumerable: true },
  }) as OrreryTrpc<P, K>;
}

/** The live subscriptions of one `orreryTrpc`, and how new ones are made. */
class Subscriptions<P extends AnyProtocol> {
  readonly active = new Set<AnySubscription>();
  private readonly check: (message: unknown) => void;
  private closed = false;

  constructor(
    protocol: P,
    private readonly resolve: () => ResolvedRegistry<P>,
    private readonly settings: SubscriptionSettings,
  ) {
    this.check = messageCheck(protocol, settings.validate ?? true);
  }

  open(group: string, opts: SubscribeOptions<P> = {}, mapError?: (error: unknown) => unknown): AnySubscription {
    if (this.closed) throw new OrreryError('ORRERY_SERVER_CLOSED', 'subscriptions are closed (the server is shutting down); subscribe on another node');
    const track = opts.track;
    const deps: SubscriptionDeps<unknown> = {
      registry: this.resolve().raw,
      check: this.check,
      map: track === undefined ? identity : (message) => tracked(track(message as ServerMessage<P>), message),
      mapError,
      onEnd: (subscription) => this.active.delete(subscription),
    };
    const subscription = new GroupSubscription(deps, group, {
      ...opts,
      maxBuffered: opts.maxBuffered ?? this.settings.maxBuffered,
      maxBacklogBytes: opts.maxBacklogBytes ?? this.settings.maxBacklogBytes,
    });
    if (!subscription.closed) this.active.add(subscription);
    return subscription;
  }

  close(): void {
    this.closed = true;
    const error = new OrreryError('ORRERY_SERVER_CLOSED', 'the server is shutting down; subscribe again (on another node)');
    for (const subscription of [...this.active]) subscription.fail(error);
  }
}

type Subscribe<P extends AnyProtocol> = (group: string, opts?: SubscribeOptions<P>, mapError?: (error: unknown) => unknown) => AnySubscription;

/**
 * The context object. With `call` (inside a procedure) subscriptions also end with the call's
 * signal, and fail with `TRPCError`s.
 */
function contextOf<P extends AnyProtocol>(
  protocol: P,
  resolve: () => ResolvedRegistry<P>,
  subscribe: Subscribe<P>,
  call?: { readonly signal: AbortSignal | undefined },
): OrreryContext<P> {
  return {
    protocol,
    get registry() {
      return resolve().typed;
    },
    publish: (group, message) => resolve().typed.group.publish(group, message),
    sendMessage: (name, message) => resolve().typed.unique.sendMessage(name, message),
    subscribe: ((group: string, opts: SubscribeOptions<P> = {}) =>
      call === undefined ? subscribe(group, opts) : subscribe(group, { ...opts, signal: both(call.signal, opts.signal) }, toTRPCError)) as OrreryContext<P>['subscribe'],
  };
}

function both(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return AbortSignal.any([a, b]);
}

/** Checks a received message: its name always, its data with `validate`; once per message object. */
function messageCheck(protocol: AnyProtocol, validate: boolean): (message: unknown) => void {
  const checked = new WeakSet<object>();
  return (message) => {
    const isObject = typeof message === 'object' && message !== null;
    if (isObject && checked.has(message)) return;
    assertServerMessage(protocol, message, 'a group message received by a tRPC subscription', validate);
    if (isObject) checked.add(message);
  };
}

function identity(message: unknown): unknown {
  return message;
}
