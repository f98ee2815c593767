/** Units of presence: the pending diff's folding, the group table, the batchings, the options and checks. */
import { describe, expect, it } from 'vitest';
import { isOrreryError } from '@orrery/server';
import { presenceDefaults } from '@orrery/server/presence';
import { FlushTimer, WriteBatcher } from '../src/presence/batching.js';
import { PendingDiff } from '../src/presence/diff.js';
import { GroupFeed } from '../src/presence/feed.js';
import { checkTrack, resolvePresenceOptions } from '../src/presence/options.js';
import { PresenceTable } from '../src/presence/table.js';
import type { PresenceOp, PresenceRow } from '../src/presence/types.js';

const row = (ref: string, key: string, meta: unknown = null, node = 'n1'): PresenceRow => ({ ref, node, key, meta });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function tableWithDiff(): { table: PresenceTable; diff: PendingDiff; dirty: () => number } {
  let dirty = 0;
  const table = new PresenceTable();
  const diff = new PendingDiff(() => { dirty++; });
  table.listener = diff;
  return { table, diff, dirty: () => dirty };
}

describe('PendingDiff folds an interval\'s changes', () => {
  it('a connection that joins and leaves within the interval is not mentioned', () => {
    const { table, diff, dirty } = tableWithDiff();
    table.set(row('a', 'ada'));
    table.delete('a');
    expect(diff.take('g')).toBeUndefined();
    expect(dirty()).toBe(1);
  });

  it('an update keeps the metadata subscribers saw in leaves and the newest in joins', () => {
    const { table, diff } = tableWithDiff();
    table.listener = undefined;
    table.set(row('a', 'ada', { v: 1 }));
    table.listener = diff;
    table.set(row('a', 'ada', { v: 2 }));
    table.set(row('a', 'ada', { v: 3 }));
    expect(diff.take('g')).toEqual({
      name: 'presence_diff',
      data: { group: 'g', joins: [{ key: 'ada', metas: [{ id: 'a', meta: { v: 3 } }] }], leaves: [{ key: 'ada', metas: [{ id: 'a', meta: { v: 1 } }] }] },
    });
    expect(diff.take('g')).toBeUndefined();
  });

  it('a seen connection that is updated then leaves is one leave with the metadata seen', () => {
    const { table, diff } = tableWithDiff();
    table.listener = undefined;
    table.set(row('a', 'ada', 'seen'));
    table.listener = diff;
    table.set(row('a', 'ada', 'newer'));
    table.delete('a');
    expect(diff.take('g')?.data).toEqual({ group: 'g', joins: [], leaves: [{ key: 'ada', metas: [{ id: 'a', meta: 'seen' }] }] });
  });

  it('the same row again is no change', () => {
    const { table, diff } = tableWithDiff();
    table.set(row('a', 'ada', { x: [1, 2] }));
    diff.take('g');
    table.set(row('a', 'ada', { x: [1, 2] }));
    table.reset([row('a', 'ada', { x: [1, 2] })]);
    expect(diff.take('g')).toBeUndefined();
  });
});

describe('PresenceTable', () => {
  it('counts keys, groups connections by key, and replaces or drops a node\'s rows', () => {
    const { table, diff } = tableWithDiff();
    table.set(row('a1', 'ada', 1, 'n1'));
    table.set(row('a2', 'ada', 2, 'n2'));
    table.set(row('b1', 'bob', 3, 'n2'));
    expect(table.count).toBe(2);
    expect(table.size).toBe(3);
    expect(table.members()).toEqual([
      { key: 'ada', metas: [{ id: 'a1', meta: 1 }, { id: 'a2', meta: 2 }] },
      { key: 'bob', metas: [{ id: 'b1', meta: 3 }] },
    ]);
    diff.take('g');
    table.replaceNode('n2', [row('c1', 'cy', 4, 'n2'), row('b1', 'bob', 3, 'n2')]);
    expect(diff.take('g')?.data).toEqual({
      group: 'g',
      joins: [{ key: 'cy', metas: [{ id: 'c1', meta: 4 }] }],
      leaves: [{ key: 'ada', metas: [{ id: 'a2', meta: 2 }] }],
    });
    table.dropNode('n2');
    expect(table.members()).toEqual([{ key: 'ada', metas: [{ id: 'a1', meta: 1 }] }]);
    table.reset([]);
    expect(table.count).toBe(0);
    expect(table.size).toBe(0);
  });
});

describe('GroupFeed', () => {
  it('a subscriber that arrives mid-interval gets the state as of the last diff, then the same diff as everyone', () => {
    const got: { to: string; message: unknown }[] = [];
    const feed = new GroupFeed('g', () => {}, (member, message) => got.push({ to: member.id, message }));
    const early = { id: 'early', deliver: () => {} };
    const late = { id: 'late', deliver: () => {} };
    const later = { id: 'later', deliver: () => {} };
    void feed.add(early);
    feed.reset([row('a', 'ada', 'v1'), row('b', 'bob')]);
    feed.set(row('a', 'ada', 'v2'));
    feed.delete('b');
    feed.set(row('c', 'cy'));
    void feed.add(late);
    void feed.add(later);
    const members = (to: string) => (got.find((g) => g.to === to)!.message as { data: { members: unknown } }).data.members;
    expect(members('late')).toEqual([{ key: 'ada', metas: [{ id: 'a', meta: 'v1' }] }, { key: 'bob', metas: [{ id: 'b', meta: null }] }]);
    expect(got.find((g) => g.to === 'later')!.message).toBe(got.find((g) => g.to === 'late')!.message);
    feed.flush();
    const diffs = got.filter((g) => (g.message as { name: string }).name === 'presence_diff');
    expect(diffs.map((d) => d.to)).toEqual(['early', 'late', 'later']);
    expect(new Set(diffs.map((d) => d.message)).size).toBe(1);
    void feed.add({ id: 'after', deliver: () => {} });
    expect(members('after')).toEqual([{ key: 'ada', metas: [{ id: 'a', meta: 'v2' }] }, { key: 'cy', metas: [{ id: 'c', meta: null }] }]);
  });
});

describe('WriteBatcher and FlushTimer', () => {
  it('batches one turn\'s ops per group into one write, in order, and reports refusals by op', async () => {
    const writes: { group: string; ops: readonly PresenceOp[] }[] = [];
    const batcher = new WriteBatcher<string>(async (group, ops) => {
      writes.push({ group, ops });
      return ops.flatMap((op, i) => (op.op === 'track' && op.key === 'full' ? [i] : []));
    });
    const track = (key: string): PresenceOp => ({ op: 'track', ref: key, key, meta: null, metaJson: 'null' });
    const results = await Promise.all([
      batcher.add('g1', track('a')), batcher.add('g1', track('full')), batcher.add('g2', track('b')), batcher.add('g1', { op: 'untrack', ref: 'a' }),
    ]);
    expect(results).toEqual([false, true, false, false]);
    expect(writes.map((w) => [w.group, w.ops.map((o) => o.op)])).toEqual([['g1', ['track', 'track', 'untrack']], ['g2', ['track']]]);
    await batcher.add('g1', track('c'));
    expect(writes).toHaveLength(3);
    await batcher.idle();
  });

  it('a failed write rejects every op of its batch', async () => {
    const batcher = new WriteBatcher<string>(() => Promise.reject(new Error('down')));
    const a = batcher.add('g', { op: 'untrack', ref: 'a' });
    const b = batcher.add('g', { op: 'untrack', ref: 'b' });
    await expect(a).rejects.toThrow('down');
    await expect(b).rejects.toThrow('down');
  });

  it('flushes the first change on the next turn, then at most once per interval, and stops when quiet', async () => {
    const flushed: string[] = [];
    const timer = new FlushTimer<string>(60, (item) => flushed.push(item));
    timer.mark('g');
    expect(flushed).toEqual([]);
    await tick();
    expect(flushed).toEqual(['g']);
    timer.mark('g');
    timer.mark('g');
    timer.mark('h');
    await tick();
    expect(flushed).toEqual(['g']);
    await new Promise((r) => setTimeout(r, 200));
    expect(flushed).toEqual(['g', 'g', 'h']);
    timer.mark('g');
    await tick();
    expect(flushed).toEqual(['g', 'g', 'h', 'g']);
    timer.stop();
    timer.mark('g');
    await tick();
    expect(flushed).toHaveLength(4);
  });
});

describe('options and checks', () => {
  it('defaults, and out-of-range values are refused at construction', () => {
    expect(resolvePresenceOptions()).toEqual(presenceDefaults);
    for (const bad of [{ diffIntervalMs: 0 }, { maxMembers: 1.5 }, { maxMetaBytes: -1 }, { maxConnectionsPerKey: Number.NaN }]) {
      expect(() => resolvePresenceOptions(bad)).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }));
    }
  });

  it('metadata is measured in UTF-8 bytes of its JSON', () => {
    expect(checkTrack('k', { s: 'é'.repeat(4) }, 16)).toBe('{"s":"éééé"}');
    let error: unknown;
    try { checkTrack('k', { s: 'é'.repeat(5) }, 16); } catch (err) { error = err; }
    expect(isOrreryError(error, 'ORRERY_PRESENCE_META_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toContain('18 bytes of JSON; the limit is 16');
  });
});
