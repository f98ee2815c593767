/**
 * The registry conformance suite (DESIGN §3). Every backend runs it: in-memory, Redis,
 * Redis Cluster. It takes the test runner's functions, so it works with vitest, jest or
 * node:test, and asserts with node:assert.
 *
 * @example
 * import { describe, it, beforeEach, afterEach } from 'vitest';
 * import { registryConformance } from '@orrery/server/testing';
 * registryConformance({ describe, it, beforeEach, afterEach }, 'memory', async () => {
 *   const hub = createMemoryHub();
 *   return { node: () => memoryRegistry({ hub }), close: async () => {} };
 * });
 */
import assert from 'node:assert/strict';
import { isOrreryError, type OrreryErrorCode } from '@orrery/protocol';
import type { RegistryBackend, RegistryMember, RegistryNamespace } from '../registry/types.js';

/** The test-runner functions the suite needs. */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
  beforeEach(fn: () => Promise<void> | void): void;
  afterEach(fn: () => Promise<void> | void): void;
}

/** A cluster under test: `node()` adds a node sharing the same cluster state. */
export interface RegistryCluster {
  node(): RegistryBackend | Promise<RegistryBackend>;
  /** Stop everything the cluster started (nodes are closed by the suite first). */
  close(): Promise<void>;
}

/** Options of {@link registryConformance}. */
export interface ConformanceOptions {
  /** How long a delivery may take to arrive. @default 2_000 */
  deliveryTimeoutMs?: number;
  /** Per-test timeout. @default 20_000 */
  testTimeoutMs?: number;
}

/** A member that records what it receives. */
export class RecordingMember implements RegistryMember {
  readonly received: unknown[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(readonly id: string) {}
  deliver(message: unknown): void {
    this.received.push(message);
    this.waiters = this.waiters.filter((w) => {
      if (this.received.length < w.n) return true;
      w.resolve();
      return false;
    });
  }
  /** Resolves when `n` messages have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`member ${this.id}: got ${this.received.length} of ${n} messages within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }
}

let memberSeq = 0;
function member(label: string): RecordingMember {
  return new RecordingMember(`conformance-${process.pid}-${++memberSeq}-${label}`);
}

function throwsCode(fn: () => unknown, code: OrreryErrorCode): void {
  assert.throws(fn, (err: unknown) => isOrreryError(err, code), `expected a synchronous OrreryError ${code}`);
}

async function rejectsCode(promise: Promise<unknown>, code: OrreryErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => isOrreryError(err, code), `expected a rejection with OrreryError ${code}`);
}

/** Wait until `check()` holds (for deliveries that cross nodes). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Register the conformance tests for one backend. */
export function registryConformance(
  api: ConformanceTestApi,
  name: string,
  createCluster: () => Promise<RegistryCluster>,
  options: ConformanceOptions = {},
): void {
  const delivery = options.deliveryTimeoutMs ?? 2_000;
  const timeout = options.testTimeoutMs ?? 20_000;
  let cluster: RegistryCluster | undefined;
  let nodes: RegistryBackend[] = [];
  let nsCounter = 0;
  let nsName = '';

  const node = async (): Promise<RegistryBackend> => {
    const backend = await cluster!.node();
    nodes.push(backend);
    return backend;
  };
  const ns = async (backend?: RegistryBackend): Promise<RegistryNamespace> => (backend ?? (await node())).namespace(nsName);

  api.describe(`registry conformance: ${name}`, () => {
    api.beforeEach(async () => {
      cluster = await createCluster();
      nodes = [];
      nsName = `conformance-${process.pid}-${Date.now()}-${++nsCounter}`;
    });
    api.afterEach(async () => {
      for (const n of nodes) await n.close().catch(() => {});
      await cluster?.close();
      cluster = undefined;
    });

    api.it('register: ok, ok again for the same member, taken for another', async () => {
      const reg = await ns();
      const a = member('a');
      const b = member('b');
      assert.equal(await reg.register('alice', a), 'ok');
      assert.equal(await reg.register('alice', a), 'ok');
      assert.equal(await reg.register('alice', b), 'taken');
      assert.equal(await reg.sendMessage('alice', { n: 1 }), true);
      await a.waitFor(1, delivery);
      assert.deepEqual(a.received, [{ n: 1 }]);
      assert.deepEqual(b.received, []);
    }, timeout);

    api.it('a member may hold several names', async () => {
      const reg = await ns();
      const a = member('a');
      assert.equal(await reg.register('n1', a), 'ok');
      assert.equal(await reg.register('n2', a), 'ok');
      assert.equal(await reg.sendMessage('n1', 'one'), true);
      assert.equal(await reg.sendMessage('n2', 'two'), true);
      await a.waitFor(2, delivery);
      assert.deepEqual(a.received, ['one', 'two']);
    }, timeout);

    api.it('sendMessage to an unknown name is false and delivers nothing', async () => {
      const reg = await ns();
      const a = member('a');
      await reg.join('g', a);
      assert.equal(await reg.sendMessage('nobody', 'x'), false);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(a.received, []);
    }, timeout);

    api.it('unregister frees the name; a second unregister is not_registered', async () => {
      const reg = await ns();
      const a = member('a');
      const b = member('b');
      await reg.register('x', a);
      assert.equal(await reg.unregister('x', b), 'not_registered');
      assert.equal(await reg.unregister('x', a), 'ok');
      assert.equal(await reg.unregister('x', a), 'not_registered');
      assert.equal(await reg.sendMessage('x', 1), false);
      assert.equal(await reg.register('x', b), 'ok');
    }, timeout);

    api.it('join is idempotent', async () => {
      const reg = await ns();
      const a = member('a');
      assert.equal(await reg.join('room', a), 'ok');
      assert.equal(await reg.join('room', a), 'ok');
      assert.equal(await reg.publish('room', 'hi'), 1);
      await a.waitFor(1, delivery);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(a.received, ['hi']);
    }, timeout);

    api.it('leave: ok, then not_in_group; never joined: not_in_group', async () => {
      const reg = await ns();
      const a = member('a');
      const b = member('b');
      await reg.join('room', a);
      assert.equal(await reg.leave('room', b), 'not_in_group');
      assert.equal(await reg.leave('room', a), 'ok');
      assert.equal(await reg.leave('room', a), 'not_in_group');
      assert.equal(await reg.leave('elsewhere', a), 'not_in_group');
      assert.equal(await reg.publish('room', 'x'), 0);
    }, timeout);

    api.it('publish returns the number of intended recipients and reaches each', async () => {
      const reg = await ns();
      const members = [member('a'), member('b'), member('c')];
      for (const m of members) await reg.join('room', m);
      assert.equal(await reg.publish('room', { text: 'hello', n: [1, 2] }), 3);
      assert.equal(await reg.publish('empty-room', 'x'), 0);
      for (const m of members) {
        await m.waitFor(1, delivery);
        assert.deepEqual(m.received, [{ text: 'hello', n: [1, 2] }]);
      }
    }, timeout);

    api.it('publish is FIFO per publisher per group', async () => {
      const reg = await ns();
      const a = member('a');
      const b = member('b');
      await reg.join('seq', a);
      await reg.join('seq', b);
      const sends: Promise<number>[] = [];
      for (let i = 0; i < 200; i++) sends.push(reg.publish('seq', i));
      assert.deepEqual(await Promise.all(sends), Array(200).fill(2));
      for (const m of [a, b]) {
        await m.waitFor(200, delivery * 2);
        assert.deepEqual(m.received, Array.from({ length: 200 }, (_, i) => i));
      }
    }, timeout);

    api.it('removeMember drops every name and membership', async () => {
      const reg = await ns();
      const a = member('a');
      const b = member('b');
      await reg.register('a1', a);
      await reg.register('a2', a);
      await reg.join('g1', a);
      await reg.join('g2', a);
      await reg.join('g2', b);
      reg.removeMember(a);
      await eventually(async () => (await reg.publish('g2', 'probe')) === 1, delivery, 'membership removal');
      assert.equal(await reg.publish('g1', 'x'), 0);
      assert.equal(await reg.sendMessage('a1', 'x'), false);
      assert.equal(await reg.register('a2', b), 'ok');
      reg.removeMember(a); // idempotent
    }, timeout);

    api.it('namespaces are isolated', async () => {
      const backend = await node();
      const one = backend.namespace(`${nsName}-one`);
      const two = backend.namespace(`${nsName}-two`);
      const a = member('a');
      const b = member('b');
      assert.equal(await one.register('same', a), 'ok');
      assert.equal(await two.register('same', b), 'ok');
      await one.join('g', a);
      assert.equal(await two.publish('g', 'x'), 0);
      assert.equal(await two.sendMessage('same', 'for-b'), true);
      await b.waitFor(1, delivery);
      assert.deepEqual(a.received, []);
    }, timeout);

    api.it('names and groups must be strings of 1–256 UTF-8 bytes (synchronous ORRERY_INVALID_NAME)', async () => {
      const reg = await ns();
      const a = member('a');
      const bad: unknown[] = ['', 'x'.repeat(257), 'é'.repeat(129), 42, null, undefined, { name: 'x' }];
      for (const value of bad) {
        const n = value as string;
        throwsCode(() => reg.register(n, a), 'ORRERY_INVALID_NAME');
        throwsCode(() => reg.sendMessage(n, 'x'), 'ORRERY_INVALID_NAME');
        throwsCode(() => reg.join(n, a), 'ORRERY_INVALID_NAME');
        throwsCode(() => reg.leave(n, a), 'ORRERY_INVALID_NAME');
        throwsCode(() => reg.publish(n, 'x'), 'ORRERY_INVALID_NAME');
      }
      assert.equal(await reg.register('x'.repeat(256), a), 'ok');
      assert.equal(await reg.join('é'.repeat(128), a), 'ok');
    }, timeout);

    api.it('non-JSON messages are refused at the call and nothing is delivered (ORRERY_NOT_SERIALIZABLE)', async () => {
      const reg = await ns();
      const a = member('a');
      await reg.register('a', a);
      await reg.join('g', a);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad: unknown[] = [() => 1, new Date(0), Number.NaN, Infinity, 10n, undefined, { at: new Date(0) }, [1, undefined], cyclic, new Map(), Symbol('s')];
      for (const value of bad) {
        throwsCode(() => reg.publish('g', value), 'ORRERY_NOT_SERIALIZABLE');
        throwsCode(() => reg.sendMessage('a', value), 'ORRERY_NOT_SERIALIZABLE');
      }
      assert.equal(await reg.publish('g', 'after'), 1);
      await a.waitFor(1, delivery);
      assert.deepEqual(a.received, ['after']);
    }, timeout);

    api.it('JSON values arrive intact', async () => {
      const reg = await ns();
      const a = member('a');
      await reg.join('g', a);
      const message = { s: 'héllo ✓ 😀', n: -1.5, b: false, z: null, list: [1, 'two', { three: [3] }], empty: {}, nested: { deep: { deeper: [true] } } };
      assert.equal(await reg.publish('g', message), 1);
      await a.waitFor(1, delivery);
      assert.deepEqual(a.received[0], message);
    }, timeout);

    api.it('across nodes: a name taken on A is taken on B; messages cross both ways', async () => {
      const A = await ns(await node());
      const B = await ns(await node());
      const a = member('a');
      const b = member('b');
      assert.equal(await A.register('unique', a), 'ok');
      assert.equal(await B.register('unique', b), 'taken');
      assert.equal(await B.sendMessage('unique', 'from-b'), true);
      await a.waitFor(1, delivery);
      assert.deepEqual(a.received, ['from-b']);
      await A.join('room', a);
      await B.join('room', b);
      assert.equal(await A.publish('room', 'to-all'), 2);
      await a.waitFor(2, delivery);
      await b.waitFor(1, delivery);
      assert.deepEqual(b.received, ['to-all']);
      A.removeMember(a);
      await eventually(async () => (await B.register('unique', b)) === 'ok', delivery, 'the name to be freed across nodes');
      await eventually(async () => (await B.publish('room', 'probe')) === 1, delivery, 'the membership to be removed across nodes');
    }, timeout);

    api.it('a closed node refuses calls with ORRERY_REGISTRY_CLOSED', async () => {
      const backend = await node();
      const reg = backend.namespace(nsName);
      const a = member('a');
      await reg.register('a', a);
      await backend.close();
      await rejectsCode(reg.register('b', a), 'ORRERY_REGISTRY_CLOSED');
      await rejectsCode(reg.publish('g', 1), 'ORRERY_REGISTRY_CLOSED');
      await rejectsCode(reg.sendMessage('a', 1), 'ORRERY_REGISTRY_CLOSED');
    }, timeout);

    api.it('closing a node frees its names for the rest of the cluster', async () => {
      const A = await node();
      const B = await node();
      const a = member('a');
      const b = member('b');
      await A.namespace(nsName).register('held', a);
      await A.namespace(nsName).join('room', a);
      await A.close();
      const regB = B.namespace(nsName);
      await eventually(async () => (await regB.register('held', b)) === 'ok', delivery, 'the closed node\'s name to be freed');
      assert.equal(await regB.publish('room', 'x'), 0);
    }, timeout);
  });
}
