/**
 * Reading the bearer token an Orrery client sends in the `Sec-WebSocket-Protocol` header.
 *
 * Browsers cannot set headers on a websocket upgrade, and a token in the URL ends up in
 * access logs. The client's `token` option therefore offers a second subprotocol,
 * `orrery.bearer.<base64url of the token's UTF-8, no padding>`, next to `orrery.v1`; the
 * server always answers with `orrery.v1`, so the token is never echoed back.
 */
import type { Conn } from '../conn.js';

/** The subprotocol prefix that carries a bearer token. */
export const BEARER_PROTOCOL_PREFIX = 'orrery.bearer.';

/**
 * The bearer token the client offered, or `undefined`. Read it in `connect` (or `init`):
 * request headers are released after `init`.
 *
 * @example
 * connect: async (conn) => {
 *   const user = await verify(bearerToken(conn));
 *   return user === undefined ? reject(401) : conn.assign({ user });
 * },
 */
export function bearerToken(conn: Conn<object, unknown>): string | undefined {
  const header = conn.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  for (const raw of header.split(',')) {
    const protocol = raw.trim();
    if (protocol.startsWith(BEARER_PROTOCOL_PREFIX)) {
      const encoded = protocol.slice(BEARER_PROTOCOL_PREFIX.length);
      if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return undefined;
      return Buffer.from(encoded, 'base64url').toString('utf8');
    }
  }
  return undefined;
}
