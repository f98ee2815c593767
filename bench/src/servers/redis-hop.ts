/**
 * Raw ioredis pub/sub, the reference hop of R1: one publisher connection publishes the
 * stamped payload on a channel, one subscriber connection receives it and records the
 * latency from the stamp. No websocket is involved. Also the two halves of the raw bridge
 * that carries Orrery's group messages across nodes while `@orrery/redis` is not built.
 */
import { Redis } from 'ioredis';
import { LatencyHistogram } from '../common/hist.js';
import type { ServerConfig } from '../common/protocol.js';
import { packageVersion } from '../common/versions.js';
import { findPrefix, monoUs, readTs } from '../wire/payload.js';
import { R1_CHANNEL, type BenchServer } from './types.js';

function redisPort(config: ServerConfig): number {
  if (config.redisPort === undefined) throw new Error('the cross-node apps need redisPort');
  return config.redisPort;
}

/** A publisher connection with auto-pipelining, as a library would use it. */
export function rawPublisher(port: number): { publish(payload: Buffer): void; close(): void } {
  const redis = new Redis({ host: '127.0.0.1', port, enableAutoPipelining: true });
  return {
    publish: (payload) => { redis.publish(R1_CHANNEL, payload).catch(() => {}); },
    close: () => redis.disconnect(),
  };
}

/** A subscriber connection on the R1 channel; resolves once subscribed. */
export async function rawSubscriber(port: number, onMessage: (message: Buffer) => void): Promise<{ close(): void }> {
  const redis = new Redis({ host: '127.0.0.1', port });
  redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => onMessage(message));
  await redis.subscribe(R1_CHANNEL);
  return { close: () => redis.disconnect() };
}

/** Start one end of the raw hop (`r1-pub` or `r1-sub`). */
export async function startHop(config: ServerConfig): Promise<BenchServer> {
  const port = redisPort(config);
  const variant = `raw ioredis ${packageVersion('ioredis')} PUBLISH → subscriber`;
  if (config.app === 'r1-pub') {
    const pub = rawPublisher(port);
    return { port: 0, variant, connections: () => 0, publish: pub.publish, close: async () => pub.close() };
  }
  if (config.app !== 'r1-sub') throw new Error(`HOP runs only r1-pub and r1-sub, not ${config.app}`);
  const latency = new LatencyHistogram();
  const sub = await rawSubscriber(port, (message) => {
    const at = findPrefix(message, 0, message.length);
    if (at >= 0) latency.record(monoUs() - readTs(message, at));
  });
  return {
    port: 0,
    variant,
    connections: () => 0,
    hopLatency: () => {
      const summary = latency.summary();
      latency.reset();
      return summary;
    },
    close: async () => sub.close(),
  };
}
