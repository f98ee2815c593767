/**
 * Presence on a real server (in-memory store): every way a connection ends removes what it
 * tracked and subscribed to, a churn of connections leaves nothing, raw handlers receive the
 * presence messages as registry messages, and a server without presence.registry is refused.
 */
import { describe, expect, it } from 'vitest';
import { isOrreryError, memoryRegistry, route, type Conn, type WebsocketHandler } from '@orrery/server';
import { memoryPresence, type Presence } from '@orrery/server/presence';
import { connectTestClient, PresenceMirror, PresenceRecorder } from '@orrery/server/testing';
import { MemoryLogger, sleep, startServer, waitFor } from './support.js';

const GROUP = 'room';

/** A raw handler: init tracks the connection under `?key=` and subscribes it; `boom` throws, `bye` closes. */
function presenceHandler(presence: Presence): WebsocketHandler<null> {
  return {
    init: async (conn: Conn) => {
      await presence.track(conn, GROUP, conn.query.get('key') ?? 'anon', { tab: conn.query.get('tab') });
      if (conn.query.has('subscribe')) await presence.subscribe(conn, GROUP);
      return [null, []];
    },
    handleClientMessage: (state, _conn, frame) => {
      if (frame.type === 'text' && frame.data === 'boom') throw new Error('boom');
      if (frame.type === 'text' && frame.data === 'bye') return [state, [{ type: 'close', code: 4000, reason: 'bye' }]];
      return [state, []];
    },
    handleServerMessage: (state, _conn, message) => [state, [{ type: 'text', data: JSON.stringify(message) }]],
  };
}

async function setup(limits = {}) {
  const presence = memoryPresence(memoryRegistry(), { diffIntervalMs: 10 });
  const chat = route('/chat', presenceHandler(presence), { name: 'chat' });
  const server = await startServer(chat, { registry: presence.registry, limits, logger: new MemoryLogger() });
  const view = presence.of(chat);
  const watcher = new PresenceRecorder('watcher');
  presence.registry.namespace('chat');
  await view.subscribe(watcher, GROUP);
  const mirror = new PresenceMirror(watcher, GROUP);
  const connect = async (key: string, extra = '') => {
    const client = await connectTestClient(server.url(`/chat?key=${key}${extra}`), { autoPong: !extra.includes('deaf') });
    await waitFor(() => mirror.sync().get(key) !== undefined, `${key} to be tracked`);
    return client;
  };
  return { presence, server, view, watcher, mirror, connect, close: () => presence.registry.close() };
}

describe('presence on a server', () => {
  it('every way a connection ends removes its presence, and nothing is left', async () => {
    const s = await setup({ idleTimeoutMs: 300, pingIntervalMs: 100 });
    const closing = await s.connect('closes');
    const dropping = await s.connect('drops');
    const failing = await s.connect('fails');
    const leaving = await s.connect('leaves');
    const silent = await s.connect('silent', '&deaf=1');
    const stays = await s.connect('stays');
    expect(await s.view.count(GROUP)).toBe(6);
    closing.close(1000);
    dropping.ws.terminate();
    failing.send('boom');
    leaving.send('bye');
    expect((await failing.closed).code).toBe(1011);
    expect(await leaving.closed).toEqual({ code: 4000, reason: 'bye' });
    await waitFor(() => s.mirror.keys().join() === 'stays', 'everyone but stays to leave (the silent one by idle timeout)', 3_000);
    expect((await silent.closed).code).toBe(1001);
    expect(s.mirror.events.filter((e) => e.startsWith('leave')).sort()).toEqual(
      ['leave closes', 'leave drops', 'leave fails', 'leave leaves', 'leave silent']);
    expect(await s.view.list(GROUP)).toEqual([{ key: 'stays', metas: [{ id: expect.any(String), meta: { tab: null } }] }]);
    await s.server.close({ drainWindowMs: 0 });
    expect((await stays.closed).code).toBe(1001);
    await waitFor(() => s.mirror.keys().length === 0, 'the drained connection to leave');
    expect(s.view.localSize()).toEqual({ tracked: 0, subscribers: 1, groups: 1 });
    await s.close();
  });

  it('a churn of connections with several tabs per key leaves no entry and no subscriber', async () => {
    const s = await setup();
    const clients = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      connectTestClient(s.server.url(`/chat?key=user-${i % 15}&tab=${i}${i % 4 === 0 ? '&subscribe=1' : ''}`))));
    await waitFor(() => s.mirror.sync().size === 15, 'fifteen members');
    await s.view.count(GROUP).then((n) => expect(n).toBe(15));
    const listed = await s.view.list(GROUP);
    expect(listed.reduce((n, m) => n + m.metas.length, 0)).toBe(60);
    // The subscribed connections got the state, then diffs (never a diff first).
    await waitFor(() => clients[0]!.frames.length >= 1, 'the first client\'s state');
    expect(JSON.parse((clients[0]!.frames[0] as { data: string }).data).name).toBe('presence_state');
    for (const [i, c] of clients.entries()) (i % 2 === 0 ? c.close(1000) : c.ws.terminate());
    await waitFor(() => s.mirror.sync().size === 0, 'every member to leave');
    await waitFor(() => s.view.localSize().tracked === 0, 'no tracked entry');
    expect(s.view.localSize()).toEqual({ tracked: 0, subscribers: 1, groups: 1 });
    expect(s.mirror.events.filter((e) => e.startsWith('join')).length).toBe(15);
    expect(s.mirror.events.filter((e) => e.startsWith('leave')).length).toBe(15);
    await s.close();
  });

  it('refuses to track the connections of a server that was not given presence.registry', async () => {
    const presence = memoryPresence(memoryRegistry());
    let error: unknown;
    const handler: WebsocketHandler<null> = {
      init: (conn) => {
        try {
          void presence.track(conn, GROUP, 'k');
        } catch (err) {
          error = err;
        }
        return [null, []];
      },
      handleClientMessage: (state) => [state, []],
      handleServerMessage: (state) => [state, []],
    };
    const server = await startServer(route('/plain', handler));
    await connectTestClient(server.url('/plain'));
    await waitFor(() => error !== undefined, 'the refusal');
    expect(isOrreryError(error, 'ORRERY_INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('registry: presence.registry');
    await presence.registry.close();
  });

  it('a diff is one message object for every subscriber of a node, one per interval', async () => {
    const s = await setup();
    const second = new PresenceRecorder('second');
    await s.view.subscribe(second, GROUP);
    const before = s.watcher.messages.length;
    await Promise.all(['a', 'b', 'c'].map((k) => connectTestClient(s.server.url(`/chat?key=${k}`))));
    await waitFor(() => s.mirror.sync().size === 3, 'three members');
    await sleep(50);
    const diffs = s.watcher.messages.slice(before);
    expect(diffs.length).toBeGreaterThan(0);
    expect(second.messages.slice(1)).toHaveLength(diffs.length);
    diffs.forEach((d, i) => expect(second.messages[1 + i]).toBe(d));
    await s.close();
  });
});
