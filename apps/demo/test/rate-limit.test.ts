/**
 * The per-connection token bucket of `say`.
 */
import { describe, expect, it } from 'vitest';
import { fullBucket, rateLimitMessage, take } from '../server/rate-limit.js';

describe('token bucket', () => {
  const rate = { burst: 3, refillMs: 100 };

  it('lets a burst through, then one message per refill interval', () => {
    const bucket = fullBucket(rate, 0);
    expect([take(bucket, rate, 0), take(bucket, rate, 0), take(bucket, rate, 0), take(bucket, rate, 0)]).toEqual([true, true, true, false]);
    expect(take(bucket, rate, 99)).toBe(false);
    expect(take(bucket, rate, 100)).toBe(true);
    expect(take(bucket, rate, 150)).toBe(false);
    // Partial intervals are not lost: 100 → 200 refills one more.
    expect(take(bucket, rate, 200)).toBe(true);
  });

  it('refills to the burst at most', () => {
    const bucket = fullBucket(rate, 0);
    take(bucket, rate, 0);
    expect(bucket.tokens).toBe(2);
    take(bucket, rate, 10_000);
    expect(bucket.tokens).toBe(2);
  });

  it('says how fast one may send', () => {
    expect(rateLimitMessage({ burst: 5, refillMs: 600 })).toBe('Slow down: at most 5 messages at once, then one every 0.6 s');
  });
});
