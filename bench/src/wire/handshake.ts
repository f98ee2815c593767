/**
 * The client side of the websocket opening handshake (RFC 6455 §4.1), over a raw socket:
 * a real random key, and the server's `Sec-WebSocket-Accept` checked.
 */
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A fresh `Sec-WebSocket-Key`. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The `Sec-WebSocket-Accept` a server must answer for `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** The upgrade request for `path` (with query) on `host:port`. */
export function upgradeRequest(path: string, host: string, port: number, key: string): string {
  return (
    `GET ${path} HTTP/1.1\r\n` +
    `Host: ${host}:${port}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n\r\n'
  );
}

/** The outcome of reading the server's answer. */
export type HandshakeResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'open'; readonly bodyStart: number }
  | { readonly kind: 'refused'; readonly status: string };

/** Read the response head in `buf`: `open` with where frames start, `refused`, or `incomplete`. */
export function readUpgradeResponse(buf: Buffer, key: string): HandshakeResult {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { kind: 'incomplete' };
  const head = buf.toString('latin1', 0, end);
  const lines = head.split('\r\n');
  const status = lines[0] ?? '';
  if (!/^HTTP\/1\.1 101 /.test(status)) return { kind: 'refused', status };
  const expected = acceptFor(key);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() === 'sec-websocket-accept') {
      if (line.slice(colon + 1).trim() === expected) return { kind: 'open', bodyStart: end + 4 };
      return { kind: 'refused', status: `${status} (wrong Sec-WebSocket-Accept)` };
    }
  }
  return { kind: 'refused', status: `${status} (no Sec-WebSocket-Accept)` };
}
