/**
 * `GroupSubscription`: a registry group as an async iterable. It is a registry member like a
 * connection: it joins the group when it is created, receives every message published to
 * the group (on any node), and leaves when it ends.
 *
 * It ends, and leaves the group at once, when any of these happens:
 * - the consumer stops: `return()` (a `for await` loop that exits, tRPC stopping the
 *   subscription), `throw()`, or {@link GroupSubscription.close};
 * - the `signal` aborts (tRPC aborts it when the client unsubscribes or its socket drops);
 * - it overflows (below); the join fails; a received message is not a message of the protocol;
 *   `orreryTrpc(...).close()` ends every subscription.
 * A consumer waiting in `next()` is woken at once by any of them: an async generator would
 * wait for the next message before it could see a `return()`.
 *
 * Buffering is bounded. Messages wait in a queue while the consumer is busy; when
 * `maxBuffered` are waiting (or the transport below reports more than `maxBacklogBytes`
 * waiting to be written), the subscription overflows: it leaves the group, drops what was
 * waiting, and its next `next()` rejects with `ORRERY_SLOW_CONSUMER` — the counterpart of a
 * websocket's close 1013 for a slow consumer. Never unbounded, never silent.
 */
import { randomUUID } from 'node:crypto';
import { OrreryError } from '@orrery/protocol';
import type { Registry, RegistryMember } from '@orrery/server';

/** Options of one subscription. */
export interface GroupSubscriptionOptions {
  /**
   * Ends the subscription when aborted. Inside a procedure, `ctx.orrery.subscribe` passes
   * the call's signal (aborted by tRPC on unsubscribe and on a dropped socket).
   * @default none (inside a procedure: the procedure call's signal)
   */
  signal?: AbortSignal;
  /**
   * Most messages waiting for the consumer. One more overflows the subscription
   * (`ORRERY_SLOW_CONSUMER`).
   * @default 1_000
   */
  maxBuffered?: number;
  /**
   * Bytes waiting below the subscription, read at every delivery. tRPC's SSE responses wait
   * for the socket (the queue here then fills when a client is slow), but tRPC's ws adapter
   * writes to the socket without waiting: there, pass `() => ws.bufferedAmount` (the `res`
   * of the ws adapter's `createContext`) to bound that buffer too.
   * @default none
   */
  backlogBytes?: () => number;
  /**
   * Most bytes `backlogBytes` may report; more overflows the subscription.
   * @default 4_194_304 (4 MiB)
   */
  maxBacklogBytes?: number;
}

/** Defaults of {@link GroupSubscriptionOptions}. */
export const subscriptionDefaults = {
  maxBuffered: 1_000,
  maxBacklogBytes: 4 * 1024 * 1024,
} as const;

/** What a subscription needs from the code that makes it (`orreryTrpc`). */
export interface SubscriptionDeps<T> {
  readonly registry: Registry<unknown>;
  /** Throw (an `OrreryError`) when a received message must not be yielded. */
  readonly check: (message: unknown) => void;
  /** What the consumer gets for a message (the message itself, or a tracked envelope). */
  readonly map: (message: unknown) => T;
  /** What the consumer's `next()` rejects with for a failure. @default the error itself */
  readonly mapError?: (error: unknown) => unknown;
  /** Called once when the subscription ends, however it ends. */
  readonly onEnd?: (subscription: GroupSubscription<T>) => void;
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, void>): void;
  reject(error: unknown): void;
}

const DONE: IteratorReturnResult<void> = Object.freeze({ done: true, value: undefined });

/** A registry group as an async iterable. Create it with `orrery.subscribe(group)`. */
export class GroupSubscription<T> implements AsyncIterableIterator<T, void, undefined> {
  /** The registry member id of this subscription (unique in the cluster). */
  readonly id = `trpc.${randomUUID()}`;
  /**
   * Settles when the join has finished: resolves once the subscription is a member of the
   * group everywhere in the cluster, rejects with the join's error (which `next()` also
   * reports). Await it before reading history you will yield ahead of live messages.
   */
  readonly ready: Promise<void>;
  private readonly member: RegistryMember;
  private readonly maxBuffered: number;
  private readonly maxBacklogBytes: number;
  private readonly backlogBytes: (() => number) | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.end();
  private queue: (T | undefined)[] = [];
  private head = 0;
  private waiter: Waiter<T> | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  /** @throws OrreryError `ORRERY_INVALID_OPTIONS` for bad options, `ORRERY_INVALID_NAME` for a bad group name. */
  constructor(
    private readonly deps: SubscriptionDeps<T>,
    /** The group this subscription is a member of. */
    readonly group: string,
    options: GroupSubscriptionOptions = {},
  ) {
    this.maxBuffered = positiveInteger(options.maxBuffered ?? subscriptionDefaults.maxBuffered, 'maxBuffered');
    this.maxBacklogBytes = positiveInteger(options.maxBacklogBytes ?? subscriptionDefaults.maxBacklogBytes, 'maxBacklogBytes');
    if (options.backlogBytes !== undefined && typeof options.backlogBytes !== 'function') {
      throw new OrreryError('ORRERY_INVALID_OPTIONS', 'subscribe: backlogBytes must be a function returning a byte count, e.g. () => ws.bufferedAmount');
    }
    this.backlogBytes = options.backlogBytes;
    this.signal = options.signal;
    this.member = { id: this.id, deliver: (message) => this.deliver(message) };
    if (this.signal?.aborted === true) {
      this.ended = true;
      this.ready = Promise.resolve();
      deps.onEnd?.(this);
      return;
    }
    // Throws synchronously for a bad group name: nothing has been joined then.
    const joined = deps.registry.group.join(group, this.member);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.ready = joined.then(
      () => undefined,
      (error: unknown) => {
        this.fail(error);
        throw error;
      },
    );
    // The join's error reaches the consumer through next(); `ready` need not be awaited.
    this.ready.catch(() => undefined);
  }

  /** Messages waiting for the consumer. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** True once the subscription has ended (it is then no longer in the group). */
  get closed(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next message; `done` once the subscription has ended; rejects once with the reason it failed. */
  next(): Promise<IteratorResult<T, void>> {
    if (this.head < this.queue.length) return Promise.resolve({ done: false, value: this.take() });
    if (this.failure !== undefined) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(this.mapError(error));
    }
    if (this.ended) return Promise.resolve(DONE);
    if (this.waiter !== undefined) {
      return Promise.reject(new OrreryError('ORRERY_INVALID_OPTIONS', `subscription to group "${this.group}": next() was called while another next() was pending; consume it with one for await loop`));
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop: leave the group; a pending `next()` resolves as done. */
  return(): Promise<IteratorResult<T, void>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** Stop like {@link return}, then reject with `error` (iterator protocol). */
  throw(error?: unknown): Promise<IteratorResult<T, void>> {
    this.end();
    return Promise.reject(error);
  }

  /** Stop from outside the loop: like {@link return}. Idempotent. */
  close(): void {
    this.end();
  }

  /**
   * End with `error`: the consumer's next `next()` rejects with it (mapped), once. Used for
   * overflow, a failed join, an invalid message and `orreryTrpc(...).close()`.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  private deliver(message: unknown): void {
    if (this.ended) return; // in flight from another node while leaving
    let value: T;
    try {
      this.deps.check(message);
      value = this.deps.map(message);
    } catch (error) {
      this.fail(error); // deliver() must not throw into the registry
      return;
    }
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value });
      return;
    }
    if (this.buffered >= this.maxBuffered) {
      this.overflow(`${this.buffered} messages were waiting (maxBuffered ${this.maxBuffered})`);
      return;
    }
    const backlog = this.backlogBytes?.();
    if (backlog !== undefined && backlog > this.maxBacklogBytes) {
      this.overflow(`${backlog} bytes were waiting to be written (maxBacklogBytes ${this.maxBacklogBytes})`);
      return;
    }
    this.queue.push(value);
  }

  private overflow(why: string): void {
    this.fail(new OrreryError(
      'ORRERY_SLOW_CONSUMER',
      `subscription to group "${this.group}" fell behind: ${why}; it left the group and dropped them. Subscribe again (messages published meanwhile were not received), consume faster, or raise the limit`,
    ));
  }

  private take(): T {
    const value = this.queue[this.head] as T;
    this.queue[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.head = 0;
    this.deps.registry.removeMember(this.member);
    this.signal?.removeEventListener('abort', this.onAbort);
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      if (failure === undefined) waiter.resolve(DONE);
      else waiter.reject(this.mapError(failure.error));
    }
    this.deps.onEnd?.(this);
  }

  private mapError(error: unknown): unknown {
    return this.deps.mapError === undefined ? error : this.deps.mapError(error);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', `subscribe: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
