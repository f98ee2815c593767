import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWebsocketServer, route } from '@orrery/server';

describe('smoke', () => {
  it('echoes', async () => {
    const server = createWebsocketServer({
      port: 0,
      drainWindowMs: 0,
      routes: [route('/echo', {
        init: () => [null, []],
        handleClientMessage: (state, _conn, frame) => [state, [frame]],
        handleServerMessage: (state) => [state, []],
      })],
    });
    await server.ready;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
    const got = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    expect(got).toBe('hello');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await server.close();
    expect(await closed).toBe(1001);
  });
});
