import { describe, expect, it } from 'vitest';
import { isOrreryError, route, type TerminateReason, type WebsocketHandler } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { clientFrame, closeCodeIn, MemoryLogger, rawWebsocket, startServer, waitFor } from './support.js';

/** A handler that records its terminate reasons, and closes on "close" / throws on "throw". */
function recorder(): { handler: WebsocketHandler<null>; reasons: TerminateReason[] } {
  const reasons: TerminateReason[] = [];
  const handler: WebsocketHandler<null> = {
    init: () => [null, []],
    handleClientMessage: (state, _conn, frame) => {
      if (frame.data === 'close') return [state, [{ type: 'close', code: 1000, reason: 'as asked' }]];
      if (frame.data === 'throw') throw new Error('boom');
      return [state, [frame]];
    },
    handleServerMessage: (state) => [state, []],
    terminate: (_state, _conn, reason) => { reasons.push(reason); },
  };
  return { handler, reasons };
}

function errorCode(reason: TerminateReason | undefined): string | undefined {
  return reason?.type === 'error' && isOrreryError(reason.error) ? reason.error.code : undefined;
}

describe('terminate reasons', () => {
  it('stop: the handler returned a close frame', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const client = await connectTestClient(server.url('/t'));
    client.send('close');
    expect(await client.closed).toEqual({ code: 1000, reason: 'as asked' });
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(reasons).toEqual([{ type: 'stop' }]);
  });

  it('stop: server shutdown closes with 1001 and its reason', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const client = await connectTestClient(server.url('/t'));
    await server.close({ drainWindowMs: 0 });
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down; please reconnect' });
    expect(reasons).toEqual([{ type: 'stop' }]);
  });

  it('remote: a client close with a code and reason, and a bare client close', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const a = await connectTestClient(server.url('/t'));
    a.close(4321, 'leaving');
    expect(await a.closed).toEqual({ code: 4321, reason: 'leaving' }); // ws echoes the client's close
    const b = await connectTestClient(server.url('/t'));
    b.close();
    expect((await b.closed).code).toBe(1005);
    await waitFor(() => reasons.length === 2, 'terminate');
    expect(reasons).toEqual([{ type: 'remote', code: 4321, reason: 'leaving' }, { type: 'remote' }]);
  });

  it('timeout: no inbound traffic (the client does not answer pings) for idleTimeoutMs', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler, { idleTimeoutMs: 300, pingIntervalMs: 100 }));
    const client = await connectTestClient(server.url('/t'), { autoPong: false });
    const started = Date.now();
    expect(await client.closed).toEqual({ code: 1001, reason: 'idle timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(client.pings).toBeGreaterThanOrEqual(1);
    expect(reasons).toEqual([{ type: 'timeout' }]);
  });

  it('a client that answers pings stays open past the idle timeout', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler, { idleTimeoutMs: 1_000, pingIntervalMs: 200 }));
    const client = await connectTestClient(server.url('/t'));
    await new Promise((r) => setTimeout(r, 2_200));
    expect(client.pings).toBeGreaterThanOrEqual(4);
    client.send('still here');
    expect(await client.nextText()).toBe('still here');
    expect(reasons).toEqual([]);
  });

  it('error ORRERY_CONNECTION_LOST: the TCP connection dropped', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const client = await connectTestClient(server.url('/t'));
    client.terminate();
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(errorCode(reasons[0])).toBe('ORRERY_CONNECTION_LOST');
  });

  it('error ORRERY_MESSAGE_TOO_BIG: one byte over maxMessageBytes closes 1009; exactly at the limit passes', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler, { maxMessageBytes: 5_000_000 }));
    const client = await connectTestClient(server.url('/t'));
    const atLimit = Buffer.alloc(5_000_000, 7);
    client.send(atLimit);
    const echoed = await client.nextFrame(10_000);
    expect(echoed.type === 'binary' && echoed.data.length).toBe(5_000_000);
    client.send(Buffer.alloc(5_000_001, 7));
    expect((await client.closed).code).toBe(1009);
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(errorCode(reasons[0])).toBe('ORRERY_MESSAGE_TOO_BIG');
  });

  it('error ORRERY_INVALID_UTF8: a text frame that is not UTF-8 closes 1007', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const raw = await rawWebsocket(server.port, '/t');
    raw.socket.write(clientFrame(0x1, Buffer.from([0x68, 0xc3, 0x28])));
    await raw.closed;
    expect(closeCodeIn(raw.received())).toBe(1007);
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(errorCode(reasons[0])).toBe('ORRERY_INVALID_UTF8');
  });

  it('error ORRERY_PROTOCOL_ERROR: an unmasked client frame closes 1002', async () => {
    const { handler, reasons } = recorder();
    const server = await startServer(route('/t', handler));
    const raw = await rawWebsocket(server.port, '/t');
    raw.socket.write(clientFrame(0x1, Buffer.from('hi'), { mask: false }));
    await raw.closed;
    expect(closeCodeIn(raw.received())).toBe(1002);
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(errorCode(reasons[0])).toBe('ORRERY_PROTOCOL_ERROR');
  });

  it('error ORRERY_PROTOCOL_ERROR: an invalid close code from the client (1005, 999, 5000) closes 1002', async () => {
    for (const code of [1005, 999, 5000, 1015]) {
      const { handler, reasons } = recorder();
      const server = await startServer(route(`/t${code}`, handler));
      const raw = await rawWebsocket(server.port, `/t${code}`);
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      raw.socket.write(clientFrame(0x8, payload));
      await raw.closed;
      expect(closeCodeIn(raw.received())).toBe(1002);
      await waitFor(() => reasons.length === 1, 'terminate');
      expect(errorCode(reasons[0])).toBe('ORRERY_PROTOCOL_ERROR');
    }
  });

  it('error ORRERY_PROTOCOL_ERROR: an unknown opcode and a fragmented control frame close 1002', async () => {
    for (const frame of [clientFrame(0x3, Buffer.from('x')), clientFrame(0x9, Buffer.from('x'), { fin: false })]) {
      const { handler, reasons } = recorder();
      const server = await startServer(route('/t', handler));
      const raw = await rawWebsocket(server.port, '/t');
      raw.socket.write(frame);
      await raw.closed;
      expect(closeCodeIn(raw.received())).toBe(1002);
      await waitFor(() => reasons.length === 1, 'terminate');
      expect(errorCode(reasons[0])).toBe('ORRERY_PROTOCOL_ERROR');
      await server.close({ drainWindowMs: 0 });
    }
  });

  it('error (the thrown value): a handler error closes only its own connection with 1011', async () => {
    const { handler, reasons } = recorder();
    const logger = new MemoryLogger();
    const server = await startServer(route('/t', handler), { logger });
    const bystander = await connectTestClient(server.url('/t'));
    const victim = await connectTestClient(server.url('/t'));
    victim.send('throw');
    expect(await victim.closed).toEqual({ code: 1011, reason: 'internal error' });
    await waitFor(() => reasons.length === 1, 'terminate');
    expect(reasons[0]).toMatchObject({ type: 'error', error: expect.objectContaining({ message: 'boom' }) });
    const logged = logger.find('websocket handleClientMessage failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields.conn).toEqual(expect.any(String));
    bystander.send('fine');
    expect(await bystander.nextText()).toBe('fine');
  });
});
