/**
 * The presence conformance suite: what every presence store must do (in memory, on Redis, on
 * Redis Cluster), run through the public {@link Presence} API with recording members on
 * several nodes of one cluster. Like `registryConformance`, it takes the test runner's
 * functions and asserts with node:assert. Exported from `@orrery/server/testing`.
 *
 * @example
 * presenceConformance({ describe, it, beforeEach, afterEach }, 'memory', async () => {
 *   const hub = createMemoryHub();
 *   return { node: (o) => memoryPresence(memoryRegistry({ hub }), { hub, ...o }), close: async () => {} };
 * });
 */
import assert from 'node:assert/strict';
import { isOrreryError, type OrreryErrorCode } from '@orrery/protocol';
import type { ConformanceTestApi } from '../testing/conformance.js';
import type { PresenceOptions } from './options.js';
import type { Presence, PresenceView } from './presence.js';
import { PresenceMirror, PresenceRecorder } from './recorder.js';

/** A cluster under test: `node()` adds a node (registry + presence) sharing its state. */
export interface PresenceCluster {
  node(options: PresenceOptions): Presence | Promise<Presence>;
  /** Stop what the cluster started (the suite closes its nodes first). */
  close(): Promise<void>;
}

/** Options of {@link presenceConformance}. */
export interface PresenceConformanceOptions {
  /** How long a change may take to reach a subscriber. @default 3_000 */
  timeoutMs?: number;
  /** Per-test timeout. @default 20_000 */
  testTimeoutMs?: number;
}

const INTERVAL = 25;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Register the presence conformance tests for one store. */
export function presenceConformance(
  api: ConformanceTestApi,
  name: string,
  createCluster: () => Promise<PresenceCluster>,
  options: PresenceConformanceOptions = {},
): void {
  const timeout = options.timeoutMs ?? 3_000;
  const testTimeout = options.testTimeoutMs ?? 20_000;
  let cluster: PresenceCluster | undefined;
  let nodes: Presence[] = [];
  let round = 0;
  let ns = '';

  const node = async (o: PresenceOptions = {}): Promise<PresenceView> => {
    cluster ??= await createCluster();
    const presence = await cluster.node({ diffIntervalMs: INTERVAL, ...o });
    nodes.push(presence);
    presence.registry.namespace(ns);
    return presence.of(ns);
  };
  const presenceOf = (view: PresenceView): Presence => nodes.find((p) => p.of(ns) === view)!;
  const end = (view: PresenceView, member: PresenceRecorder): void => presenceOf(view).registry.namespace(ns).removeMember(member);
  const recorder = (label: string): PresenceRecorder => new PresenceRecorder(`${ns}.${label}`);
  const eventually = async (check: () => boolean | Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + timeout;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${name}: timed out waiting for ${what}`);
      await sleep(10);
    }
  };
  const rejects = async (promise: Promise<unknown>, code: OrreryErrorCode): Promise<void> => {
    await assert.rejects(promise, (err: unknown) => isOrreryError(err, code));
  };
  const throwsCode = (fn: () => unknown, code: OrreryErrorCode): void => {
    assert.throws(fn, (err: unknown) => isOrreryError(err, code));
  };

  api.describe(`presence conformance: ${name}`, () => {
    api.beforeEach(() => {
      ns = `pc-${process.pid}-${++round}`;
    });
    api.afterEach(async () => {
      await Promise.all(nodes.splice(0).map((p) => p.registry.close()));
      await cluster?.close();
      cluster = undefined;
    });

    api.it('a key with several connections is one member; list and count agree on every node', async () => {
      const [A, B, C] = [await node(), await node(), await node()];
      const tabs = [recorder('ada-1'), recorder('ada-2'), recorder('ada-3')];
      const bob = recorder('bob');
      assert.equal(await A.track(tabs[0]!, 'room', 'ada', { tab: 1 }), 'ok');
      assert.equal(await B.track(tabs[1]!, 'room', 'ada', { tab: 2 }), 'ok');
      assert.equal(await C.track(tabs[2]!, 'room', 'ada', { tab: 3 }), 'ok');
      assert.equal(await C.track(bob, 'room', 'bob'), 'ok');
      for (const view of [A, B, C]) {
        assert.equal(await view.count('room'), 2);
        const list = sortList(await view.list('room'));
        assert.deepEqual(list, [
          { key: 'ada', metas: [{ id: tabs[0]!.id, meta: { tab: 1 } }, { id: tabs[1]!.id, meta: { tab: 2 } }, { id: tabs[2]!.id, meta: { tab: 3 } }].sort(byId) },
          { key: 'bob', metas: [{ id: bob.id, meta: null }] },
        ]);
      }
      assert.equal(await A.count('elsewhere'), 0);
      assert.deepEqual(await A.list('elsewhere'), []);
    }, testTimeout);

    api.it('a subscriber gets the state, then joins and leaves by key: first connection joins, last one leaves', async () => {
      const [A, B] = [await node(), await node()];
      const early = recorder('early');
      await A.track(early, 'room', 'early');
      const watcher = recorder('watcher');
      assert.equal(await A.subscribe(watcher, 'room'), 'ok');
      assert.equal(watcher.messages[0]!.name, 'presence_state');
      const mirror = new PresenceMirror(watcher, 'room');
      assert.deepEqual(mirror.keys(), ['early']);
      const tab1 = recorder('tab-1');
      const tab2 = recorder('tab-2');
      await B.track(tab1, 'room', 'ada', { n: 1 });
      await eventually(() => mirror.sync().has('ada'), 'ada to join');
      await A.track(tab2, 'room', 'ada', { n: 2 });
      await eventually(() => mirror.sync().get('ada')?.length === 2, 'the second tab of ada');
      end(B, tab1);
      await eventually(() => mirror.sync().get('ada')?.length === 1, 'one tab of ada to leave');
      await B.untrack(early, 'room').then((r) => assert.equal(r, 'not_tracked'));
      assert.equal(await A.untrack(early, 'room'), 'ok');
      end(A, tab2);
      await eventually(() => !mirror.sync().has('ada') && !mirror.sync().has('early'), 'ada and early to leave');
      assert.deepEqual(mirror.events.filter((e) => !e.startsWith('update')), ['join ada', 'leave early', 'leave ada']);
      assert.equal(watcher.messages.filter((m) => m.name === 'presence_state').length, 1);
    }, testTimeout);

    api.it('changes within an interval arrive as one diff; members that did not subscribe get nothing', async () => {
      const [A, B] = [await node({ diffIntervalMs: 200 }), await node({ diffIntervalMs: 200 })];
      const watcher = recorder('watcher');
      const bystander = recorder('bystander');
      await A.track(bystander, 'room', 'bystander');
      await A.subscribe(watcher, 'room');
      const many = Array.from({ length: 40 }, (_, i) => recorder(`m${i}`));
      await Promise.all(many.map((m, i) => B.track(m, 'room', `user-${i % 20}`)));
      const mirror = new PresenceMirror(watcher, 'room');
      await eventually(() => mirror.sync().size === 21, 'the 40 tracks');
      await sleep(600);
      assert.equal(watcher.messages.length, 2, 'the state, then one diff with the 40 changes');
      assert.equal(bystander.messages.length, 0);
      for (const m of many) assert.equal(m.messages.length, 0);
      assert.deepEqual(new Set(mirror.events), new Set(Array.from({ length: 20 }, (_, i) => `join user-${i}`)));
    }, testTimeout);

    api.it('update replaces the metadata; tracking under another key moves the connection', async () => {
      const [A, B] = [await node(), await node()];
      const watcher = recorder('watcher');
      await B.subscribe(watcher, 'room');
      const mirror = new PresenceMirror(watcher, 'room');
      const conn = recorder('conn');
      await A.track(conn, 'room', 'ada', { status: 'away' });
      assert.equal(await A.update(conn, 'room', { status: 'here' }), 'ok');
      assert.equal(await A.update(recorder('stranger'), 'room', {}), 'not_tracked');
      await eventually(() => mirror.sync().get('ada')?.[0]?.meta !== undefined && JSON.stringify(mirror.sync().get('ada')) === JSON.stringify([{ id: conn.id, meta: { status: 'here' } }]), 'the update');
      assert.deepEqual(await B.list('room'), [{ key: 'ada', metas: [{ id: conn.id, meta: { status: 'here' } }] }]);
      assert.equal(await A.track(conn, 'room', 'grace'), 'ok');
      await eventually(() => mirror.sync().has('grace') && !mirror.sync().has('ada'), 'the move');
      assert.equal(await B.count('room'), 1);
      assert.deepEqual(mirror.events.filter((e) => e.startsWith('join') || e.startsWith('leave')), ['join ada', 'leave ada', 'join grace']);
    }, testTimeout);

    api.it('a member that goes away leaves every group, subscription included, and nothing is left', async () => {
      const [A, B] = [await node(), await node()];
      const watcher = recorder('watcher');
      await B.subscribe(watcher, 'room');
      const mirror = new PresenceMirror(watcher, 'room');
      const conn = recorder('conn');
      await A.track(conn, 'room', 'ada');
      await A.track(conn, 'other', 'ada');
      await A.subscribe(conn, 'room');
      await eventually(() => mirror.sync().has('ada'), 'the join');
      end(A, conn);
      await eventually(() => !mirror.sync().has('ada'), 'the leave');
      assert.deepEqual(A.localSize(), { tracked: 0, subscribers: 0, groups: 0 });
      assert.equal(await B.count('other'), 0);
      assert.equal(await A.unsubscribe(conn, 'room'), 'not_subscribed');
      end(B, watcher);
      assert.deepEqual(B.localSize(), { tracked: 0, subscribers: 0, groups: 0 });
    }, testTimeout);

    api.it('unsubscribe stops the diffs; subscribing twice delivers one state', async () => {
      const A = await node();
      const watcher = recorder('watcher');
      await A.subscribe(watcher, 'room');
      assert.equal(await A.subscribe(watcher, 'room'), 'ok');
      assert.equal(watcher.messages.length, 1);
      assert.equal(await A.unsubscribe(watcher, 'room'), 'ok');
      assert.equal(await A.unsubscribe(watcher, 'room'), 'not_subscribed');
      await A.track(recorder('x'), 'room', 'x');
      await sleep(INTERVAL * 6);
      assert.equal(watcher.messages.length, 1);
    }, testTimeout);

    api.it('limits: members per group, connections per key, metadata size; bad input throws at the call', async () => {
      const limits = { maxMembers: 2, maxConnectionsPerKey: 2, maxMetaBytes: 64 };
      const [A, B] = [await node(limits), await node(limits)];
      await A.track(recorder('a1'), 'room', 'a');
      await B.track(recorder('b1'), 'room', 'b');
      const extra = recorder('c1');
      await rejects(A.track(extra, 'room', 'c'), 'ORRERY_PRESENCE_FULL');
      assert.equal(await A.untrack(extra, 'room'), 'not_tracked');
      assert.equal(await A.track(recorder('a2'), 'room', 'a'), 'ok');
      await rejects(B.track(recorder('a3'), 'room', 'a'), 'ORRERY_PRESENCE_FULL');
      assert.equal(await A.count('room'), 2);
      assert.equal((await B.list('room')).reduce((n, m) => n + m.metas.length, 0), 3);
      const m = recorder('m');
      throwsCode(() => A.track(m, 'room', 'a', { blob: 'x'.repeat(64) }), 'ORRERY_PRESENCE_META_TOO_LARGE');
      throwsCode(() => A.track(m, 'room', ''), 'ORRERY_INVALID_NAME');
      throwsCode(() => A.track(m, '', 'k'), 'ORRERY_INVALID_NAME');
      throwsCode(() => A.track(m, 'room', 'k', { when: new Date() } as unknown), 'ORRERY_NOT_SERIALIZABLE');
      throwsCode(() => A.track({} as PresenceRecorder, 'room', 'k'), 'ORRERY_NOT_A_MEMBER');
      assert.equal(A.localSize().tracked, 2);
    }, testTimeout);

    api.it('a node that closes takes its members with it; the others see them leave', async () => {
      const [A, B] = [await node(), await node()];
      const watcher = recorder('watcher');
      await B.subscribe(watcher, 'room');
      const mirror = new PresenceMirror(watcher, 'room');
      await A.track(recorder('a'), 'room', 'ada');
      await B.track(recorder('b'), 'room', 'bob');
      await eventually(() => mirror.sync().size === 2, 'both joins');
      const closing = presenceOf(A);
      await closing.registry.close();
      await eventually(() => !mirror.sync().has('ada'), 'ada to leave with her node');
      assert.deepEqual(mirror.keys(), ['bob']);
      assert.equal(await B.count('room'), 1);
      await rejects(A.track(recorder('late'), 'room', 'late'), 'ORRERY_REGISTRY_CLOSED');
      await rejects(A.count('room'), 'ORRERY_REGISTRY_CLOSED');
      // Fired without await (as handler code does): no unhandled rejection.
      void A.subscribe(recorder('unawaited'), 'room');
      void A.list('room');
      await sleep(INTERVAL);
    }, testTimeout);

    api.it('namespaces are separate', async () => {
      const A = await node();
      const other = presenceOf(A).of(`${ns}-other`);
      await A.track(recorder('a'), 'room', 'ada');
      assert.equal(await other.count('room'), 0);
      await other.track(recorder('b'), 'room', 'bob');
      assert.deepEqual((await A.list('room')).map((m) => m.key), ['ada']);
    }, testTimeout);
  });
}

type ListEntry = { key: string; metas: readonly { id: string; meta: unknown }[] };
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function sortList(list: readonly ListEntry[]): ListEntry[] {
  return [...list].map((m) => ({ key: m.key, metas: [...m.metas].sort(byId) })).sort((a, b) => (a.key < b.key ? -1 : 1));
}
