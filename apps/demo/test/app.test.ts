/**
 * The demo server's wiring (no browser): tRPC history and announce over HTTP reaching
 * websocket connections, the same-origin check, the echo route, and close.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quiet } from './quiet-logger.js';
import { connectTestClient } from '@orrery/server/testing';
import { startDemoServer, type DemoServer } from '../server/app.js';

const pages = mkdtempSync(join(tmpdir(), 'demo-app-'));
let demo: DemoServer;
let ws: string;

beforeAll(async () => {
  writeFileSync(join(pages, 'index.html'), 'chat page');
  writeFileSync(join(pages, 'echo.html'), 'echo page');
  demo = await startDemoServer({ port: 0, host: '127.0.0.1', staticDir: pages, logger: quiet, drainWindowMs: 0 });
  ws = `ws://127.0.0.1:${demo.port}`;
});

afterAll(async () => {
  await demo?.close();
  rmSync(pages, { recursive: true, force: true });
});

const trpc = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${demo.port}/trpc/${path}`, init);
const post = (path: string, body: unknown) => trpc(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('demo server', () => {
  it('serves the pages and answers a plain GET on /echo with the page, not 426', async () => {
    const page = await fetch(`http://127.0.0.1:${demo.port}/`);
    expect(await page.text()).toBe('chat page');
    const echo = await fetch(`http://127.0.0.1:${demo.port}/echo`);
    expect([echo.status, await echo.text()]).toEqual([200, 'echo page']);
  });

  it('echoes on /echo', async () => {
    const client = await connectTestClient(`${ws}/echo`);
    client.send('ping?');
    expect(await client.nextText()).toBe('ping?');
    client.close(1000);
    await client.closed;
  });

  it('announce (tRPC mutation) reaches the room and lands in history (tRPC query)', async () => {
    const client = await connectTestClient(`${ws}/chat/news?nick=ann`, { protocols: ['orrery.v1'] });
    for (let i = 0; i < 3; i++) await client.nextJson(); // welcome, joined, own join
    const res = await post('announce', { room: 'news', text: 'hello <all>' });
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: { data: { id: string; recipients: number } } };
    expect(result.data.recipients).toBe(1);
    const message = await client.nextJson<{ n: string; d: Record<string, unknown> }>();
    expect(message).toMatchObject({ t: 'msg', n: 'message', d: { kind: 'system', id: result.data.id, room: 'news', text: 'hello <all>' } });
    const history = await trpc(`history?input=${encodeURIComponent(JSON.stringify({ room: 'news' }))}`);
    expect(((await history.json()) as { result: { data: unknown[] } }).result.data).toEqual([message.d]);
    client.close(1000);
    await client.closed;
  });

  it('answers invalid tRPC input with 400 and the schema reason', async () => {
    const res = await post('announce', { room: 'Not A Room', text: '' });
    expect(res.status).toBe(400);
    const body = JSON.stringify(await res.json());
    expect(body).toContain('Use lower-case letters, digits and -');
    expect(body).toContain('The message is empty');
  });

  it('refuses sockets opened by pages of other origins (4403 for Orrery clients)', async () => {
    const client = await connectTestClient(`${ws}/chat/news?nick=ann`, { protocols: ['orrery.v1'], origin: 'https://evil.example' });
    expect(await client.closed).toEqual({ code: 4403, reason: 'ForbiddenOrigin' });
    const same = await connectTestClient(`${ws}/chat/news?nick=ann`, { protocols: ['orrery.v1'], origin: `http://127.0.0.1:${demo.port}` });
    expect(await same.nextJson()).toMatchObject({ t: 'welcome', resumed: false, session: expect.any(String) }); // the chat route is resumable
    same.close(1000);
    await same.closed;
  });
});
