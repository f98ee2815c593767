/**
 * @orrery/client/presence against a real server (typed handler, in-memory presence): the
 * synced list and member-level events by key, a reconnect that resyncs from a fresh state,
 * metadata validated by the protocol's schema, and the types.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod/mini';
import { createWebsocketClient, defineProtocol, type WebsocketClient } from '@orrery/client';
import { presenceMessages, syncPresence, type PresenceMember, type PresenceSync } from '@orrery/client/presence';
import { createWebsocketServer, defineTypedHandler, memoryRegistry, route, type WebsocketHandler } from '@orrery/server';
import { memoryPresence } from '@orrery/server/presence';
import { track, until, waitForStatus } from './fixtures/helpers.js';

const Meta = z.object({ name: z.string(), status: z.optional(z.string()) });
const room = defineProtocol({
  client: { status: z.object({ status: z.string() }) },
  server: { ...presenceMessages(Meta) },
});
type Room = typeof room;

async function startRoom() {
  const presence = memoryPresence<z.infer<typeof Meta>>(memoryRegistry(), { diffIntervalMs: 10 });
  const handler = defineTypedHandler(room, {
    init: async (conn) => {
      const user = conn.query.get('user') ?? 'anon';
      await presence.track(conn, 'room', user, { name: user });
      await presence.subscribe(conn, 'room');
      return [{ user }, []];
    },
    messages: {
      status: async (state, conn, { status }) => {
        await presence.update(conn, 'room', { name: state.user, status });
        return [state, []];
      },
    },
  });
  const raw: WebsocketHandler<null> = {
    init: () => [null, [
      { type: 'text', data: '{"t":"welcome"}' },
      { type: 'text', data: JSON.stringify({ t: 'msg', n: 'presence_state', d: { group: 'room', members: [{ key: 'x', metas: [{ id: '1', meta: { name: 42 } }] }] } }) },
      { type: 'text', data: JSON.stringify({ t: 'msg', n: 'presence_state', d: { group: 'room', members: [{ key: 'ok', metas: [{ id: '2', meta: { name: 'fine' } }] }] } }) },
    ]],
    handleClientMessage: (state) => [state, []],
    handleServerMessage: (state) => [state, []],
  };
  const server = track(createWebsocketServer({
    port: 0, host: '127.0.0.1', drainWindowMs: 0, registry: presence.registry,
    routes: [route('/room', handler), route('/forged', raw)], logger: { debug() {}, info() {}, warn() {}, error() {} },
  }));
  await server.ready;
  return { presence, url: (path: string) => `ws://127.0.0.1:${server.port}${path}` };
}

function watch(online: PresenceSync<unknown>): string[] {
  const events: string[] = [];
  online.onJoin((key) => events.push(`join ${key}`));
  online.onLeave((key) => events.push(`leave ${key}`));
  online.onUpdate((key, member, change) => events.push(`update ${key} ${member.metas.length} +${change.joined.length} -${change.left.length}`));
  return events;
}

const open = async (url: string): Promise<WebsocketClient<Room>> => {
  const client = track(createWebsocketClient(room, { url }));
  await waitForStatus(client, 'open');
  return client;
};

describe('syncPresence', () => {
  it('keeps the list from the state and the diffs; joins and leaves by key, tabs as updates', async () => {
    const s = await startRoom();
    const bob = track(createWebsocketClient(room, { url: s.url('/room?user=bob') }));
    const online = syncPresence(bob, 'room');
    const events = watch(online);
    let syncs = 0;
    online.onSync(() => { syncs++; });
    await until(() => online.synced && online.count === 1, 'bob\'s own state');
    expect(events).toEqual(['join bob']); // the first state reports its members as joins, as phoenix.js does
    events.length = 0;
    const tab1 = await open(s.url('/room?user=alice'));
    await until(() => online.get('alice') !== undefined, 'alice');
    const tab2 = await open(s.url('/room?user=alice'));
    await until(() => online.get('alice')?.metas.length === 2, 'alice\'s second tab');
    tab2.send('status', { status: 'away' });
    await until(() => online.get('alice')?.metas.some((e) => e.meta.status === 'away') === true, 'the status update');
    tab1.close();
    await until(() => online.get('alice')?.metas.length === 1, 'one tab to go');
    tab2.close();
    await until(() => online.get('alice') === undefined, 'alice to leave');
    expect(events).toEqual(['join alice', 'update alice 2 +1 -0', 'update alice 2 +1 -1', 'update alice 1 +0 -1', 'leave alice']);
    expect(online.list().map((m) => m.key)).toEqual(['bob']);
    expect(syncs).toBeGreaterThanOrEqual(6);
    online.close();
  });

  it('after a reconnect the fresh state replaces the list and only the differences are reported', async () => {
    const s = await startRoom();
    const bob = track(createWebsocketClient(room, { url: s.url('/room?user=bob') }));
    const online = syncPresence(bob, 'room'); // before the state arrives
    const alice = await open(s.url('/room?user=alice'));
    await until(() => online.count === 2, 'alice and bob');
    const events = watch(online);
    bob.reconnect();
    await until(() => !online.synced, 'the drop');
    alice.close();
    const carol = await open(s.url('/room?user=carol'));
    await until(() => online.synced && online.get('carol') !== undefined && online.get('alice') === undefined, 'the resync');
    expect(events.filter((e) => !e.startsWith('update')).sort()).toEqual(['join carol', 'leave alice']);
    // bob's new connection may be listed before the server has seen the old one end: updates, never a leave.
    await until(() => online.get('bob')?.metas.length === 1, 'bob\'s old connection to go');
    expect(events.filter((e) => e.startsWith('update')).every((e) => e.startsWith('update bob'))).toBe(true);
    carol.close();
  });

  it('presence messages are validated with the protocol\'s metadata schema', async () => {
    const s = await startRoom();
    const client = track(createWebsocketClient(room, { url: s.url('/forged') }));
    const errors: string[] = [];
    client.onError((e) => errors.push(e.error.code));
    const online = syncPresence(client, 'room');
    await until(() => online.get('ok') !== undefined, 'the valid state');
    expect(online.get('x')).toBeUndefined();
    expect(errors).toEqual(['ORRERY_INVALID_MESSAGE']);
  });

  it('types: the metadata comes from the protocol; a protocol without presence is refused', () => {
    const client = createWebsocketClient(room, { url: 'ws://127.0.0.1:1/never', autoConnect: false });
    const online = syncPresence(client, 'room');
    expectTypeOf(online.list()).toEqualTypeOf<readonly PresenceMember<{ name: string; status?: string | undefined }>[]>();
    const plain = defineProtocol({ server: { said: z.string() } });
    const other = createWebsocketClient(plain, { url: 'ws://127.0.0.1:1/never', autoConnect: false });
    // @ts-expect-error the protocol has no presence messages
    syncPresence(other, 'room');
    client.close();
    other.close();
  });
});
