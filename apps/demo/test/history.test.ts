/**
 * The history stores: in memory and in a real redis-server (started here on a free port).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../../packages/redis/test/support/redis-servers.js';
import { memoryHistory, redisHistory, type HistoryStore } from '../server/history.js';
import type { ChatEntryValue } from '../src/shared/chat-protocol.js';

const line = (room: string, n: number): ChatEntryValue => ({ kind: 'user', id: `c.1-${n}`, room, from: 'ann', text: `m${n}`, at: 1_000 + n });

function sharedBehaviour(make: () => HistoryStore): void {
  it('keeps the last 50 lines of a room, oldest first, and `limit` of them on request', async () => {
    const store = make();
    for (let n = 1; n <= 55; n++) await store.append(line('lobby', n));
    await store.append({ kind: 'system', id: 'sys-1', room: 'random', text: 'hi', at: 5 });
    const lobby = await store.recent('lobby');
    expect(lobby.map((l) => l.id)).toEqual(Array.from({ length: 50 }, (_, i) => `c.1-${i + 6}`));
    expect((await store.recent('lobby', 2)).map((l) => l.id)).toEqual(['c.1-54', 'c.1-55']);
    expect(await store.recent('random')).toEqual([{ kind: 'system', id: 'sys-1', room: 'random', text: 'hi', at: 5 }]);
    expect(await store.recent('nobody-here')).toEqual([]);
    await store.close();
  });
}

describe('memoryHistory', () => {
  sharedBehaviour(() => memoryHistory());

  it('forgets the room written to least recently past maxRooms', async () => {
    const store = memoryHistory({ maxRooms: 2 });
    await store.append(line('a', 1));
    await store.append(line('b', 1));
    await store.append(line('a', 2));
    await store.append(line('c', 1));
    expect((await store.recent('a')).length).toBe(2);
    expect(await store.recent('b')).toEqual([]);
    expect((await store.recent('c')).length).toBe(1);
  });
});

describe('redisHistory', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  sharedBehaviour(() => redisHistory({ url: redis.url, prefix: `t${Math.random()}:` }));

  it('is shared by every store on the same Redis, expires, and skips lines that do not parse', async () => {
    const prefix = 'shared:';
    const one = redisHistory({ url: redis.url, prefix, ttlSeconds: 60 });
    const two = redisHistory({ url: redis.url, prefix });
    await one.append(line('lobby', 1));
    const raw = new Redis(redis.url);
    await raw.rpush(`${prefix}lobby`, 'not json', JSON.stringify({ kind: 'user', id: 'x' }));
    await one.append(line('lobby', 2));
    expect((await two.recent('lobby')).map((l) => l.id)).toEqual(['c.1-1', 'c.1-2']);
    expect(await raw.ttl(`${prefix}lobby`)).toBeGreaterThan(0);
    await raw.quit();
    await one.close();
    await two.close();
  });

  it('rejects calls while Redis is down, and works again once it is back', async () => {
    const store = redisHistory({ url: redis.url, prefix: 'down:' });
    await store.append(line('lobby', 1));
    await redis.kill();
    await expect(store.recent('lobby')).rejects.toThrow();
    await redis.start();
    await store.append(line('lobby', 2));
    expect((await store.recent('lobby')).map((l) => l.id)).toEqual(['c.1-2']);
    await store.close();
  });
});
