/** The small pieces without Redis: the in-flight bound, the payload codec, the key layout. */
import { describe, expect, it } from 'vitest';
import { decodePayload, encodeDirect, encodeGroup } from '../src/codec.js';
import { InFlightError, InFlight } from '../src/inflight.js';
import { fnv1a, KeyLayout } from '../src/keys.js';

const never = (): Promise<never> => new Promise(() => {});

describe('InFlight', () => {
  it('refuses the bounded call beyond max at once; housekeeping calls are not counted', async () => {
    const inflight = new InFlight(2, 10_000);
    const a = inflight.run(never);
    const b = inflight.run(never);
    const housekeeping = inflight.run(never, false);
    await expect(inflight.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(InFlightError);
    expect(inflight.size).toBe(3);
    inflight.abandonAll('closed');
    await expect(a).rejects.toThrow('closed');
    await expect(b).rejects.toThrow('closed');
    await expect(housekeeping).rejects.toThrow('closed');
    expect(await inflight.run(() => Promise.resolve('free again'))).toBe('free again');
  });

  it('a call that never answers rejects after timeoutMs; idle() waits for it', async () => {
    const inflight = new InFlight(10, 50);
    const stuck = inflight.run(never);
    const idle = inflight.idle();
    await expect(stuck).rejects.toThrow('no answer within 50 ms');
    await idle;
    expect(inflight.size).toBe(0);
  });

  it('passes results and errors through, and turns a synchronous throw into a rejection', async () => {
    const inflight = new InFlight(10, 1_000);
    expect(await inflight.run(() => Promise.resolve(42))).toBe(42);
    await expect(inflight.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(inflight.run(() => { throw new Error('sync'); })).rejects.toThrow('sync');
    expect(inflight.size).toBe(0);
  });
});

describe('payload codec', () => {
  it('round-trips group and direct payloads', () => {
    const message = { text: 'héllo', n: [1, null] };
    expect(decodePayload(encodeGroup('node-1', message))).toEqual({ kind: 'g', origin: 'node-1', message });
    expect(decodePayload(encodeDirect('chat', 'alice', message))).toEqual({ kind: 'd', ns: 'chat', name: 'alice', message });
  });

  it('decodes anything else to undefined', () => {
    for (const bad of ['', 'x', '{}', '[]', '["g"]', '["g",1,2]', '["g","n",1,2]', '["d","ns",3,4]', '["d","ns","n"]', '["x","a","b"]', 'null', '1']) {
      expect(decodePayload(bad), bad).toBeUndefined();
    }
  });
});

describe('key layout v1', () => {
  it('pins the bucket hash (FNV-1a): changing it would split a running cluster', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('puts every key and channel of a name or group under its bucket\'s hash tag, whatever the name contains', () => {
    const keys = new KeyLayout('orrery', 64);
    const hashTag = (key: string): string => key.slice(key.indexOf('{') + 1, key.indexOf('}', key.indexOf('{')));
    for (const name of ['plain', 'with{braces}', '}{', 'a:b:c', 'é😀']) {
      const b = keys.bucketOf('chat', name);
      const all = [keys.nodesKey(b), keys.nameKey(b, 'chat', name), keys.groupKey(b, 'chat', name), keys.groupChannel(b, 'chat', name), keys.inboxChannel(b, 'node-1')];
      expect(new Set(all.map(hashTag))).toEqual(new Set([`orrery:${b}`]));
    }
  });

  it('keeps namespace and name apart even when they contain separators', () => {
    const keys = new KeyLayout('orrery', 1);
    expect(keys.nameKey(0, 'a:b', 'c')).not.toBe(keys.nameKey(0, 'a', 'b:c'));
    expect(keys.groupChannel(0, 'a:b', 'c')).not.toBe(keys.groupChannel(0, 'a', 'b:c'));
  });

  it('spreads names over the buckets', () => {
    const keys = new KeyLayout('orrery', 64);
    const used = new Set(Array.from({ length: 1_000 }, (_, i) => keys.bucketOf('chat', `user:${i}`)));
    expect(used.size).toBe(64);
  });
});
