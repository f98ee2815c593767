import { describe, expect, it } from 'vitest';
import { formatPrometheus, reject, route } from '@orrery/server';
import { connectTestClient } from '@orrery/server/testing';
import { echoHandler, MemoryLogger, startServer, waitFor } from './support.js';

describe('logs and counters', () => {
  it('logs one line at connect and one at disconnect, with connected_at, frame counts and reason', async () => {
    const logger = new MemoryLogger();
    const server = await startServer(route('/echo', echoHandler, { name: 'echo' }), { logger });
    const client = await connectTestClient(server.url('/echo'));
    client.send('a');
    client.send('b');
    await client.nextText();
    await client.nextText();
    client.close(1000, 'done');
    await waitFor(() => logger.find('websocket disconnected').length === 1, 'the disconnect line');
    const [connected] = logger.find('websocket connected');
    expect(connected).toMatchObject({ level: 'info', fields: { route: 'echo', conn: expect.any(String), remote_address: '127.0.0.1' } });
    const [disconnected] = logger.find('websocket disconnected');
    expect(disconnected!.fields).toMatchObject({ route: 'echo', frames_received: 2, frames_sent: 2, dropped: 0, reason: 'remote 1000 "done"' });
    expect(disconnected!.fields.conn).toBe(connected!.fields.conn);
    expect(Date.parse(disconnected!.fields.connected_at as string)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('counts connections, rejections, frames and bytes per route, and renders Prometheus text', async () => {
    const server = await startServer([
      route('/echo', echoHandler, { name: 'echo' }),
      route('/closed', { ...echoHandler, connect: () => reject(403) }, { name: 'closed' }),
    ]);
    const client = await connectTestClient(server.url('/echo'));
    client.send('hello');
    client.send(Buffer.alloc(10));
    await client.nextFrame();
    await client.nextFrame();
    await expect(connectTestClient(server.url('/closed'))).rejects.toMatchObject({ status: 403 });
    const stats = server.stats();
    expect(stats.routes.find((r) => r.route === 'echo')).toMatchObject({
      connections: 1, connectionsTotal: 1, framesIn: 2, framesOut: 2, bytesIn: 15, bytesOut: 15 + 2 + 2, handlerErrors: 0,
    });
    expect(stats.routes.find((r) => r.route === 'closed')!.rejections).toEqual({ 403: 1 });
    const text = formatPrometheus(stats);
    expect(text).toContain('orrery_websocket_connections{route="echo"} 1');
    expect(text).toContain('orrery_websocket_rejections_total{route="closed",status="403"} 1');
    expect(text).toContain('orrery_websocket_bytes_received_total{route="echo"} 15');
    expect(text).toMatch(/orrery_registry_names\{backend="memory",node="[^"]+"\} 0/);
    client.close();
    await waitFor(() => server.stats().routes[0]!.connections === 0, 'the gauge to drop');
  });
});
