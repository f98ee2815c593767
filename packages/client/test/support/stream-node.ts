/**
 * The stream server (stream-server.ts) as a cluster node on Redis, for the multi-node resume
 * tests; started by `startNodeProcess({ fixture })` from packages/redis/test/support.
 *
 * Environment: ORRERY_TEST_REDIS (a URL), ORRERY_TEST_LEASE_MS, ORRERY_TEST_NODE_ID,
 * ORRERY_TEST_RESUME (JSON resume options). Prints `{ "port", "nodeId" }` when ready; SIGTERM
 * shuts it down cleanly.
 */
import { consoleLogger } from '@orrery/server';
import { redisRegistry } from '@orrery/redis';
import { startStreamServer, type StreamResume } from './stream-server.js';

const env = process.env;
const registry = redisRegistry({
  redis: env.ORRERY_TEST_REDIS ?? 'redis://127.0.0.1:6379',
  leaseMs: Number(env.ORRERY_TEST_LEASE_MS ?? 15_000),
  nodeId: env.ORRERY_TEST_NODE_ID,
  logger: consoleLogger('warn'),
});
await registry.ready();
const stream = await startStreamServer({ registry, resume: JSON.parse(env.ORRERY_TEST_RESUME ?? '{}') as StreamResume });
process.stdout.write(`${JSON.stringify({ port: stream.port, nodeId: registry.nodeId })}\n`);
process.once('SIGTERM', () => {
  void stream.close().then(() => registry.close()).then(() => process.exit(0));
});
