import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { route, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { ConnectionActor } from '../src/actor.js';
import { Conn } from '../src/conn.js';
import { createRouteStats } from '../src/observability.js';
import { resolveLimits } from '../src/options.js';
import { memoryRegistry } from '../src/registry/memory.js';
import { createRegistryView } from '../src/registry/view.js';
import { sleep, startServer, waitFor } from './support.js';

describe('the connection actor', () => {
  it('never overlaps callbacks of one connection, even async ones, and keeps arrival order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    const track = async <T>(label: string, value: T): Promise<T> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      order.push(`start ${label}`);
      await sleep(Math.random() * 4);
      order.push(`end ${label}`);
      inFlight--;
      return value;
    };
    const handler: WebsocketHandler<number, string> = {
      init: (conn) => track('init', [0, []] as const).then(async (r) => { await conn.registry.group.join('g', conn); return r; }),
      handleClientMessage: (n, _conn, frame) => track(`c${frame.data as string}`, [n + 1, [{ type: 'text', data: `c${frame.data as string}` }]] as const),
      handleServerMessage: (n, _conn, message) => track(`s${message}`, [n + 1, [{ type: 'text', data: `s${message}` }]] as const),
      terminate: () => track('terminate', undefined),
    };
    const server = await startServer(route('/serial', handler));
    const client = await connectTestClient(server.url('/serial'));
    const registry = server.registry('/serial');
    await waitFor(() => order.includes('end init'), 'init');
    for (let i = 0; i < 20; i++) {
      client.send(String(i));
      void registry.group.publish('g', String(i));
    }
    const texts: string[] = [];
    for (let i = 0; i < 40; i++) texts.push(await client.nextText());
    client.close();
    await waitFor(() => order.includes('end terminate'), 'terminate');
    expect(maxInFlight).toBe(1);
    // Each "start" is immediately followed by its own "end".
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i]!.replace('start', 'end'));
    expect(texts.filter((t) => t.startsWith('c'))).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    expect(texts.filter((t) => t.startsWith('s'))).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`));
    expect(order.at(-1)).toBe('end terminate');
  });

  it('a connection publishing to a group it is in gets its own message after the current callback', async () => {
    const seen: string[] = [];
    const handler: WebsocketHandler<null, string> = {
      init: async (conn) => { await conn.registry.group.join('self', conn); return [null, []]; },
      handleClientMessage: (s, conn, frame) => {
        seen.push('client:start');
        void conn.registry.group.publish('self', frame.data as string);
        seen.push('client:end');
        return [s, []];
      },
      handleServerMessage: (s, _conn, message) => { seen.push(`server:${message}`); return [s, [{ type: 'text', data: message }]]; },
    };
    const server = await startServer(route('/self', handler));
    const client = await connectTestClient(server.url('/self'));
    client.send('ping');
    expect(await client.nextText()).toBe('ping');
    expect(seen).toEqual(['client:start', 'client:end', 'server:ping']);
  });

  it('the sync fast path creates no promise per message', async () => {
    const sent: unknown[] = [];
    class Recorder extends ConnectionActor {
      protected sendFrame(frame: unknown): void { sent.push(frame); }
      protected closeTransport(): void {}
    }
    const backend = memoryRegistry();
    const ns = backend.namespace('fast');
    const conn = new Conn<object, unknown>({ site: { idPrefix: 'fast.', route: 'fast', registry: createRegistryView(ns) }, seq: 1, path: '/fast', pathParams: {}, rawQuery: '', headers: {}, remoteAddress: '' });
    const handler: WebsocketHandler<number> = {
      init: () => [0, []],
      handleClientMessage: (n, _c, frame) => [n + 1, [frame]],
      handleServerMessage: (n) => [n + 1, []],
    };
    const actor = new Recorder(conn, {
      name: 'fast', handler: handler as WebsocketHandler<unknown, unknown, object>, limits: resolveLimits('test'), namespace: ns,
      logger: { debug() {}, info() {}, warn() {}, error() {} }, stats: createRouteStats('fast', '/fast'),
    });
    actor.start();
    const frame = { type: 'text', data: 'x' } as const;
    let promises = 0;
    const hook = createHook({ init(_id, type) { if (type === 'PROMISE') promises++; } }).enable();
    for (let i = 0; i < 1000; i++) {
      actor.clientFrame(frame);
      actor.deliver(i);
    }
    hook.disable();
    expect(promises).toBe(0);
    expect(actor.state).toBe(2000);
    expect(sent).toHaveLength(1000);
    await backend.close();
  });

  it('mailbox overflow closes 1013 "mailbox overflow"', async () => {
    let release: () => void = () => {};
    const handler: WebsocketHandler<null> = {
      init: () => [null, []],
      handleClientMessage: (s) => new Promise((resolve) => { release = () => resolve([s, []]); }),
      handleServerMessage: (s) => [s, []],
    };
    const server = await startServer(route('/slow', handler, { maxMailbox: 5 }));
    const client = await connectTestClient(server.url('/slow'));
    for (let i = 0; i < 7; i++) client.send(String(i)); // 1 running + 5 queued + 1 over
    expect(await client.closed).toEqual({ code: 1013, reason: 'mailbox overflow' });
    release();
  });
});
