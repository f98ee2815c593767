/**
 * The chat handler over real sockets (orrery.v1 envelopes by hand, as any client would send
 * them): refused handshakes, who is online (presence state and diffs), `say` with its
 * validation and rate limit, history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebsocketServer, memoryRegistry, route, type WebsocketServer } from '@orrery/server';
import { memoryPresence } from '@orrery/server/presence';
import { quiet } from './quiet-logger.js';
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { chatHandler } from '../server/chat-handler.js';
import { memoryHistory, type HistoryStore } from '../server/history.js';


let server: WebsocketServer;
let history: HistoryStore;
const clients: TestClient[] = [];

beforeEach(async () => {
  history = memoryHistory();
  const presence = memoryPresence<null>(memoryRegistry(), { diffIntervalMs: 10 });
  server = createWebsocketServer({
    port: 0,
    logger: quiet,
    drainWindowMs: 0,
    registry: presence.registry,
    routes: [route('/chat/:room', chatHandler({ history, logger: quiet, presence, sendRate: { burst: 3, refillMs: 60_000 } }), { name: 'chat' })],
  });
  await server.ready;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server.close();
  await server.registryBackend.close();
  await history.close();
});

async function join(room: string, nick: string): Promise<TestClient> {
  const client = await connectTestClient(`ws://127.0.0.1:${server.port}/chat/${room}?nick=${encodeURIComponent(nick)}`, { protocols: ['orrery.v1'] });
  clients.push(client);
  return client;
}

type Envelope = Record<string, unknown>;
const isDiff = (f: Envelope): boolean => f.n === 'presence_diff';
const cursors = new Map<TestClient, { main: number; diff: number }>();

/** The next envelope that is (`diff`) or is not a presence diff: diffs come on their own schedule. */
async function nextOf(client: TestClient, diff: boolean): Promise<Envelope> {
  let cursor = cursors.get(client);
  if (cursor === undefined) cursors.set(client, (cursor = { main: 0, diff: 0 }));
  const deadline = Date.now() + 3_000;
  for (;;) {
    const at = diff ? 'diff' : 'main';
    while (cursor[at] < client.frames.length) {
      const frame = client.frames[cursor[at]++]!;
      const envelope = JSON.parse(frame.type === 'text' ? frame.data : '{}') as Envelope;
      if (isDiff(envelope) === diff) return envelope;
    }
    if (Date.now() > deadline) throw new Error(`no ${diff ? 'presence diff' : 'frame'} within 3 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The next envelope, presence diffs aside. */
const next = (client: TestClient): Promise<Envelope> => nextOf(client, false);
/** The next presence diff, as `{ joins, leaves }` of `key: tabs`. */
async function nextDiff(client: TestClient): Promise<{ joins: Record<string, number>; leaves: Record<string, number> }> {
  const d = (await nextOf(client, true)).d as Diff;
  return { joins: tabs(d.joins), leaves: tabs(d.leaves) };
}

interface Member { key: string; metas: { id: string; meta: unknown }[] }
interface Diff { joins: Member[]; leaves: Member[] }
const tabs = (members: Member[]): Record<string, number> => Object.fromEntries(members.map((m) => [m.key, m.metas.length]));

/**
 * Join and read the opening frames: welcome, joined, then the room's presence state — as of
 * the last diff, so the newcomer's own arrival may come in the next diff — until the newcomer
 * sees the others' nicknames and its own (with the number of tabs of each).
 */
async function joined(room: string, nick: string, others: Record<string, number> = {}): Promise<{ client: TestClient; conn: string }> {
  const client = await join(room, nick);
  expect(await next(client)).toEqual({ t: 'welcome' });
  const hello = (await next(client)) as { n: string; d: { room: string; nick: string; conn: string } };
  expect(hello).toMatchObject({ t: 'msg', n: 'joined', d: { room, nick } });
  const state = (await next(client)) as { n: string; d: { group: string; members: Member[] } };
  expect(state.n).toBe('presence_state');
  expect(state.d.group).toBe(`room:${room}`);
  const view = new Map(state.d.members.map((m) => [m.key, new Set(m.metas.map((e) => e.id))]));
  const counts = (of: Iterable<[string, number]>): string => JSON.stringify([...of].sort());
  const want = counts(Object.entries({ ...others, [nick]: (others[nick] ?? 0) + 1 }));
  while (counts([...view].map(([key, ids]) => [key, ids.size])) !== want) {
    const d = (await nextOf(client, true)).d as Diff;
    for (const m of d.leaves) for (const e of m.metas) view.get(m.key)?.delete(e.id);
    for (const [key, ids] of view) if (ids.size === 0) view.delete(key);
    for (const m of d.joins) {
      if (!view.has(m.key)) view.set(m.key, new Set());
      for (const e of m.metas) view.get(m.key)!.add(e.id);
    }
  }
  return { client, conn: hello.d.conn };
}

describe('handshake', () => {
  it.each([
    ['a reserved nickname', 'lobby', 'System', 4403, 'The nickname "System" is reserved; pick another one'],
    ['an empty nickname', 'lobby', '', 4400, 'Pick a nickname'],
    ['an oversize nickname', 'lobby', 'x'.repeat(25), 4400, 'A nickname has at most 24 characters'],
    ['markup in a nickname', 'lobby', '<b>x</b>', 4400, 'Use letters, digits, spaces and _ . - (no space at either end)'],
    ['a bad room name', 'Not%20A%20Room', 'ann', 4400, 'Room: Use lower-case letters, digits and - (starting with a letter or digit)'],
  ])('refuses %s with close %i and the reason', async (_what, room, nick, code, reason) => {
    const client = await join(room, nick);
    expect(await client.closed).toEqual({ code, reason });
    expect(client.frames).toEqual([]);
  });

  it('refuses a missing nick parameter', async () => {
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}/chat/lobby`, { protocols: ['orrery.v1'] });
    clients.push(client);
    expect(await client.closed).toEqual({ code: 4400, reason: 'Pick a nickname (the nick query parameter is missing)' });
  });
});

describe('who is online (presence)', () => {
  it('a newcomer gets the room\'s state; the others get a diff when it comes and when it goes', async () => {
    const ann = (await joined('lobby', 'ann')).client;
    const bob = await joined('lobby', 'bob', { ann: 1 });
    expect(await nextDiff(ann)).toEqual({ joins: { bob: 1 }, leaves: {} });

    bob.client.close(1000);
    expect(await nextDiff(ann)).toEqual({ joins: {}, leaves: { bob: 1 } });
  });

  it('two tabs of one nickname are one member with two connections', async () => {
    await joined('lobby', 'ann');
    const tab1 = await joined('lobby', 'bob', { ann: 1 });
    const tab2 = await joined('lobby', 'bob', { ann: 1, bob: 1 });
    tab1.client.close(1000);
    await tab1.client.closed;
    const cy = await joined('lobby', 'cy', { ann: 1, bob: 1 });
    tab2.client.close(1000);
    expect(await nextDiff(cy.client)).toEqual({ joins: {}, leaves: { bob: 1 } });
  });

  it('keeps rooms apart', async () => {
    const ann = await joined('lobby', 'ann');
    await joined('random', 'bob');
    ann.client.send('{"t":"ping"}');
    // The next frame ann gets is the pong: nothing from #random came before it, no diff either.
    expect(await nextOf(ann.client, false)).toEqual({ t: 'pong' });
    expect(ann.client.frames.some((f) => f.type === 'text' && f.data.includes('presence_diff'))).toBe(false);
  });
});

describe('say', () => {
  it('delivers to everyone in the room, answers the sender with the id, and keeps it in the history', async () => {
    const ann = await joined('lobby', 'ann');
    const bob = await joined('lobby', 'bob', { ann: 1 });
    expect(await nextDiff(ann.client)).toEqual({ joins: { bob: 1 }, leaves: {} });

    ann.client.send(JSON.stringify({ t: 'req', id: 1, n: 'say', d: { text: '<img src=x onerror=alert(1)> hi' } }));
    const reply = (await next(ann.client)) as { t: string; id: number; d: { id: string; at: number } };
    expect(reply).toMatchObject({ t: 'res', id: 1, d: { id: `${ann.conn}-1` } });
    const line = { kind: 'user', id: `${ann.conn}-1`, room: 'lobby', from: 'ann', text: '<img src=x onerror=alert(1)> hi', at: reply.d.at };
    expect(await next(ann.client)).toEqual({ t: 'msg', n: 'message', d: line });
    expect(await next(bob.client)).toEqual({ t: 'msg', n: 'message', d: line });
    expect(await history.recent('lobby')).toEqual([line]);
  });

  it.each([
    ['empty', '', 'text: The message is empty'],
    ['white space only', '  \n ', 'text: The message is empty'],
    ['oversize', 'x'.repeat(2001), 'text: A message has at most 2000 characters'],
  ])('answers an %s message with INVALID_INPUT and stays open', async (_what, text, reason) => {
    const ann = await joined('lobby', 'ann');
    ann.client.send(JSON.stringify({ t: 'req', id: 7, n: 'say', d: { text } }));
    expect(await next(ann.client)).toEqual({
      t: 'err',
      id: 7,
      e: { code: 'INVALID_INPUT', message: `invalid input of request "say": ${reason}` },
    });
    ann.client.send('{"t":"ping"}');
    expect(await next(ann.client)).toEqual({ t: 'pong' });
    expect(await history.recent('lobby')).toEqual([]);
  });

  it('answers rapid-fire sending past the burst with RATE_LIMITED, delivering the rest', async () => {
    const ann = await joined('lobby', 'ann');
    for (let id = 1; id <= 5; id++) ann.client.send(JSON.stringify({ t: 'req', id, n: 'say', d: { text: `m${id}` } }));
    const frames: Record<string, unknown>[] = [];
    // 3 accepted (reply + own broadcast each), 2 refused.
    for (let i = 0; i < 8; i++) frames.push(await next(ann.client));
    const replies = frames.filter((f) => f.t === 'res' || f.t === 'err').map((f) => [f.id, f.t]);
    expect(replies).toEqual([[1, 'res'], [2, 'res'], [3, 'res'], [4, 'err'], [5, 'err']]);
    expect(frames.find((f) => f.id === 4)).toEqual({
      t: 'err',
      id: 4,
      e: { code: 'RATE_LIMITED', message: 'Slow down: at most 3 messages at once, then one every 60 s' },
    });
    expect((await history.recent('lobby')).map((l) => l.text)).toEqual(['m1', 'm2', 'm3']);
  });
});
