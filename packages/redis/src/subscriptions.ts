/**
 * Which shard channels this node wants, and their SSUBSCRIBE state.
 *
 * A group channel is wanted while the group has local members; the node's inbox channels
 * always. `ensure` subscribes once and hands every caller the same confirmation, so `join`
 * resolves only when a publish from another node will reach the member. `release` drops the
 * wish and unsubscribes. ioredis re-subscribes every channel it holds after a reconnect; if
 * a channel is ever held that is not wanted (an unsubscribe that failed while Redis was
 * down, a subscribe that was abandoned but ran late), the first message on it — see
 * {@link Subscriptions.stray} — unsubscribes it, so the node converges to "subscribed only
 * while it has local members" by itself.
 */
import type { InFlight } from './inflight.js';
import type { RedisLink } from './link.js';

interface ChannelState {
  promise: Promise<void>;
}

/** The wanted shard channels of one node. */
export class Subscriptions {
  private readonly wanted = new Map<string, ChannelState>();
  private readonly releasing = new Set<string>();

  constructor(private readonly link: RedisLink, private readonly inflight: InFlight) {}

  /** Channels wanted now (subscribed or being subscribed). */
  get size(): number {
    return this.wanted.size;
  }

  isWanted(channel: string): boolean {
    return this.wanted.has(channel);
  }

  /**
   * Subscribe (once); resolves when Redis confirmed it. A failure forgets the wish, so a later
   * call retries. `bounded`: counts against `maxInFlight` (application calls do, the node's
   * own inbox does not).
   */
  ensure(channel: string, bounded = true): Promise<void> {
    const existing = this.wanted.get(channel);
    if (existing !== undefined) return existing.promise;
    const state: ChannelState = { promise: Promise.resolve() };
    state.promise = this.inflight.run(() => this.link.ssubscribe(channel), bounded).then(
      () => undefined,
      (err: unknown) => {
        if (this.wanted.get(channel) === state) this.wanted.delete(channel);
        throw err;
      },
    );
    state.promise.catch(() => {});
    this.wanted.set(channel, state);
    return state.promise;
  }

  /** No longer wanted: unsubscribe (best effort; see {@link stray}). */
  release(channel: string): void {
    if (!this.wanted.delete(channel)) return;
    this.unsubscribe(channel);
  }

  /** A message arrived on `channel`; unsubscribe if it is not wanted. Returns whether it is wanted. */
  stray(channel: string): boolean {
    if (this.wanted.has(channel)) return true;
    this.unsubscribe(channel);
    return false;
  }

  /** Every wanted channel, for close. */
  channels(): string[] {
    return [...this.wanted.keys()];
  }

  private unsubscribe(channel: string): void {
    if (this.releasing.has(channel)) return;
    this.releasing.add(channel);
    this.inflight
      .run(() => this.link.sunsubscribe(channel), false)
      .catch(() => { /* still subscribed on Redis: the next message on it retries */ })
      .finally(() => this.releasing.delete(channel));
  }
}
