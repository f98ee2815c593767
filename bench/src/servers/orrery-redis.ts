/**
 * How an Orrery node reaches the other node in R1: both nodes use the `@orrery/redis`
 * registry backend, node B's subscribers join the group in `init`, and node A publishes with
 * `server.registry('fan').group.publish(...)` — exactly what an application does.
 */
import { redisRegistry } from '@orrery/redis';
import type { RegistryBackend, WebsocketServer } from '@orrery/server';
import type { ServerConfig } from '../common/protocol.js';
import { packageVersion } from '../common/versions.js';
import { GROUP } from './types.js';

/** What the Orrery server of an R1 node needs. */
export interface CrossNode {
  readonly registry: RegistryBackend;
  readonly variant: string;
  /** Called once the server is listening. */
  attach(server: WebsocketServer): void;
  /** Node A: publish one payload to the group across the cluster. */
  publish(payload: Buffer): void;
  close(): Promise<void>;
}

let failures = 0;
const countFailure = (): void => { failures++; };

/** Set up node A (`r1-pub`) or node B (`r1-sub`) for Orrery. */
export async function crossNodeRegistry(config: ServerConfig): Promise<CrossNode> {
  const port = config.redisPort;
  if (port === undefined) throw new Error('the cross-node apps need redisPort');
  const registry = redisRegistry({ redis: { host: '127.0.0.1', port }, prefix: 'bench' });
  await registry.ready(10_000);
  let server: WebsocketServer | undefined;
  return {
    registry,
    variant: `@orrery/redis ${packageVersion('@orrery/redis')} registry`,
    attach: (s) => { server = s; },
    publish: (payload) => {
      if (server === undefined) throw new Error('attach the server first');
      server.registry('fan').group.publish(GROUP, { type: 'text', data: payload.toString('latin1') }).catch(countFailure);
    },
    close: async () => {
      await registry.close();
      if (failures > 0) process.stderr.write(`X: ${failures} cross-node publishes failed\n`);
    },
  };
}
