import { describe, expect, it } from 'vitest';
import { isOrreryError, route, type TerminateReason, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { MemoryLogger, startServer, waitFor } from './support.js';

/** A handler whose handleClientMessage returns `bad` (built per message). */
function returning(bad: () => unknown): { handler: WebsocketHandler<null>; reasons: TerminateReason[] } {
  const reasons: TerminateReason[] = [];
  const handler = {
    init: () => [null, []],
    handleClientMessage: () => bad(),
    handleServerMessage: (state: null) => [state, []],
    terminate: (_s: null, _c: unknown, reason: TerminateReason) => { reasons.push(reason); },
  } as unknown as WebsocketHandler<null>;
  return { handler, reasons };
}

const cases: [string, () => unknown, string][] = [
  ['undefined', () => undefined, 'ORRERY_INVALID_RESULT'],
  ['a bare state', () => ({ count: 1 }), 'ORRERY_INVALID_RESULT'],
  ['[state] without frames', () => [null], 'ORRERY_INVALID_RESULT'],
  ['[state, frames, extra]', () => [null, [], 1], 'ORRERY_INVALID_RESULT'],
  ['frames not an array', () => [null, { type: 'text', data: 'x' }], 'ORRERY_INVALID_RESULT'],
  ['a frame that is a string', () => [null, ['hello']], 'ORRERY_INVALID_FRAME'],
  ['an unknown frame type', () => [null, [{ type: 'ping' }]], 'ORRERY_INVALID_FRAME'],
  ['text data that is a number', () => [null, [{ type: 'text', data: 123 }]], 'ORRERY_INVALID_FRAME'],
  ['binary data that is a string', () => [null, [{ type: 'binary', data: 'abc' }]], 'ORRERY_INVALID_FRAME'],
  ['a reserved close code', () => [null, [{ type: 'close', code: 1006 }]], 'ORRERY_INVALID_FRAME'],
  ['a close code out of range', () => [null, [{ type: 'close', code: 5000 }]], 'ORRERY_INVALID_FRAME'],
  ['a close reason over 123 bytes', () => [null, [{ type: 'close', code: 1000, reason: 'é'.repeat(62) }]], 'ORRERY_INVALID_FRAME'],
  ['a promise of garbage', () => Promise.resolve(42), 'ORRERY_INVALID_RESULT'],
];

describe('callback results are checked', () => {
  for (const [name, bad, code] of cases) {
    it(`${name} → close 1011, terminate error ${code}, nothing sent`, async () => {
      const { handler, reasons } = returning(bad);
      const logger = new MemoryLogger();
      const server = await startServer(route('/bad', handler), { logger });
      const client = await connectTestClient(server.url('/bad'));
      client.send('go');
      expect(await client.closed).toEqual({ code: 1011, reason: 'internal error' });
      expect(client.frames).toEqual([]);
      await waitFor(() => reasons.length === 1, 'terminate');
      const reason = reasons[0]!;
      expect(reason.type === 'error' && isOrreryError(reason.error) && reason.error.code).toBe(code);
      expect(logger.find('websocket handleClientMessage failed')).toHaveLength(1);
    });
  }

  it('a close reason of exactly 123 bytes is fine', async () => {
    const reason = 'é'.repeat(61) + 'x';
    const { handler } = returning(() => [null, [{ type: 'close', code: 4000, reason }]]);
    const server = await startServer(route('/ok', handler));
    const client = await connectTestClient(server.url('/ok'));
    client.send('go');
    expect(await client.closed).toEqual({ code: 4000, reason });
  });

  it('frames after a close are dropped without being checked', async () => {
    const { handler, reasons } = returning(() => [null, [{ type: 'close', code: 1000 }, { type: 'nonsense' }]]);
    const server = await startServer(route('/ok', handler));
    const client = await connectTestClient(server.url('/ok'));
    client.send('go');
    expect(await client.closed).toEqual({ code: 1000, reason: '' });
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(reasons).toEqual([{ type: 'stop' }]);
  });

  it('an invalid frame sends none of the frames of that result', async () => {
    const { handler } = returning(() => [null, [{ type: 'text', data: 'fine' }, { type: 'text', data: null }]]);
    const server = await startServer(route('/x', handler));
    const client = await connectTestClient(server.url('/x'));
    client.send('go');
    expect((await client.closed).code).toBe(1011);
    expect(client.frames).toEqual([]);
  });

  it('a throwing or rejecting init closes 1011 and does not call terminate (there is no state)', async () => {
    for (const init of [() => { throw new Error('no'); }, () => Promise.reject(new Error('no'))]) {
      const terminated: unknown[] = [];
      const handler = {
        init,
        handleClientMessage: (s: null) => [s, []],
        handleServerMessage: (s: null) => [s, []],
        terminate: () => { terminated.push(1); },
      } as unknown as WebsocketHandler<null>;
      const server = await startServer(route('/i', handler));
      const client = await connectTestClient(server.url('/i'));
      expect(await client.closed).toEqual({ code: 1011, reason: 'internal error' });
      await new Promise((r) => setTimeout(r, 20));
      expect(terminated).toEqual([]);
      await server.close({ drainWindowMs: 0 });
    }
  });

  it('errors in terminate are logged and swallowed', async () => {
    const logger = new MemoryLogger();
    const handler: WebsocketHandler<null> = {
      init: () => [null, []],
      handleClientMessage: (s) => [s, [{ type: 'close' }]],
      handleServerMessage: (s) => [s, []],
      terminate: () => { throw new Error('cleanup failed'); },
    };
    const server = await startServer(route('/t', handler), { logger });
    const client = await connectTestClient(server.url('/t'));
    client.send('x');
    await client.closed;
    await waitFor(() => logger.find('websocket terminate failed').length === 1, 'the terminate error log');
    const again = await connectTestClient(server.url('/t'));
    again.send('x');
    expect((await again.closed).code).toBe(1000);
  });

  it('a throwing logger cannot break a connection', async () => {
    const angry = { debug() { throw new Error('x'); }, info() { throw new Error('x'); }, warn() { throw new Error('x'); }, error() { throw new Error('x'); } };
    const server = await startServer(route('/echo', { init: () => [null, []], handleClientMessage: (s: null, _c, f) => [s, [f]], handleServerMessage: (s: null) => [s, []] }), { logger: angry });
    const client = await connectTestClient(server.url('/echo'));
    client.send('ok');
    expect(await client.nextText()).toBe('ok');
  });
});
