/**
 * A token bucket per connection: how the chat answers rapid-fire sending with a visible
 * `RATE_LIMITED` reply instead of closing the connection (the route's own `rateLimit`, which
 * closes with 1008, stays as the backstop for clients that ignore the replies).
 */

/** How fast one connection may post. */
export interface SendRate {
  /** Messages that may be sent at once. */
  readonly burst: number;
  /** One more message becomes available every `refillMs`. */
  readonly refillMs: number;
}

/** The chat's default: a burst of 5, then one message every 600 ms. */
export const DEFAULT_SEND_RATE: SendRate = { burst: 5, refillMs: 600 };

/** A token bucket (plain data, so it can live in a connection's state). */
export interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** A full bucket. */
export function fullBucket(rate: SendRate, now: number): Bucket {
  return { tokens: rate.burst, updatedAt: now };
}

/** Take one token: `true` when the message may go, `false` when the sender must wait. */
export function take(bucket: Bucket, rate: SendRate, now: number): boolean {
  const refilled = Math.floor((now - bucket.updatedAt) / rate.refillMs);
  if (refilled > 0) {
    bucket.tokens = Math.min(rate.burst, bucket.tokens + refilled);
    bucket.updatedAt = bucket.tokens === rate.burst ? now : bucket.updatedAt + refilled * rate.refillMs;
  }
  if (bucket.tokens === 0) return false;
  bucket.tokens--;
  return true;
}

/** The reason shown to a sender who was too fast. */
export function rateLimitMessage(rate: SendRate): string {
  return `Slow down: at most ${rate.burst} messages at once, then one every ${rate.refillMs / 1000} s`;
}
