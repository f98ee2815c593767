/**
 * The chat handler over real sockets (orrery.v1 envelopes by hand, as any client would send
 * them): refused handshakes, presence (join / here / leave), `say` with its validation and
 * rate limit, history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebsocketServer, route, type WebsocketServer } from '@orrery/server';
import { quiet } from './quiet-logger.js';
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { chatHandler } from '../server/chat-handler.js';
import { memoryHistory, type HistoryStore } from '../server/history.js';


let server: WebsocketServer;
let history: HistoryStore;
const clients: TestClient[] = [];

beforeEach(async () => {
  history = memoryHistory();
  server = createWebsocketServer({
    port: 0,
    logger: quiet,
    drainWindowMs: 0,
    routes: [route('/chat/:room', chatHandler({ history, logger: quiet, sendRate: { burst: 3, refillMs: 60_000 } }), { name: 'chat' })],
  });
  await server.ready;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server.close();
  await history.close();
});

async function join(room: string, nick: string): Promise<TestClient> {
  const client = await connectTestClient(`ws://127.0.0.1:${server.port}/chat/${room}?nick=${encodeURIComponent(nick)}`, { protocols: ['orrery.v1'] });
  clients.push(client);
  return client;
}

/** The next envelope. */
async function next(client: TestClient): Promise<Record<string, unknown>> {
  return client.nextJson<Record<string, unknown>>();
}

/** The next `count` envelopes, sorted by their JSON (for frames whose order is not defined). */
async function nextUnordered(client: TestClient, count: number): Promise<Record<string, unknown>[]> {
  const frames: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) frames.push(await next(client));
  return frames.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const presence = (event: string, nick: string, conn: string) => ({ t: 'msg', n: 'presence', d: { event, nick, conn } });

/**
 * Join and read the opening frames: welcome, joined, then the own presence join and one
 * `here` from each of `others` (in no defined order: the newcomer's join and the answers to it
 * race).
 */
async function joined(room: string, nick: string, others: { nick: string; conn: string }[] = []): Promise<{ client: TestClient; conn: string }> {
  const client = await join(room, nick);
  expect(await next(client)).toEqual({ t: 'welcome' });
  const hello = (await next(client)) as { n: string; d: { room: string; nick: string; conn: string } };
  expect(hello).toMatchObject({ t: 'msg', n: 'joined', d: { room, nick } });
  const expected = [presence('join', nick, hello.d.conn), ...others.map((o) => presence('here', o.nick, o.conn))];
  expect(await nextUnordered(client, expected.length)).toEqual(expected.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
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

describe('presence', () => {
  it('announces a join to the room, and everyone answers the newcomer with here', async () => {
    const ann = await joined('lobby', 'ann');
    const bob = await joined('lobby', 'bob', [{ nick: 'ann', conn: ann.conn }]);
    expect(await next(ann.client)).toEqual(presence('join', 'bob', bob.conn));

    bob.client.close(1000);
    expect(await next(ann.client)).toEqual(presence('leave', 'bob', bob.conn));
  });

  it('keeps rooms apart', async () => {
    const ann = await joined('lobby', 'ann');
    await joined('random', 'bob');
    ann.client.send('{"t":"ping"}');
    // The next frame ann gets is the pong: nothing from #random came before it.
    expect(await next(ann.client)).toEqual({ t: 'pong' });
  });
});

describe('say', () => {
  it('delivers to everyone in the room, answers the sender with the id, and keeps it in the history', async () => {
    const ann = await joined('lobby', 'ann');
    const bob = await joined('lobby', 'bob', [{ nick: 'ann', conn: ann.conn }]);
    expect(await next(ann.client)).toEqual(presence('join', 'bob', bob.conn));

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
