/**
 * Checking an upgrade request before anything runs for it, and answering on the raw socket.
 *
 * The checks mirror ws's `handleUpgrade` exactly, so that a request we pass on to ws is one
 * ws accepts: that way `connect` never runs for a malformed request, and the connection
 * limit counts only upgrades that can succeed (antikythera counts before validating).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { ORRERY_SUBPROTOCOL } from '@orrery/protocol';
import type { Duplex } from 'node:stream';

const KEY = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Why an upgrade request is refused before `connect`. */
export interface UpgradeProblem {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** The offered subprotocols, or a problem. */
export function checkUpgradeRequest(req: IncomingMessage): UpgradeProblem | Set<string> {
  if (req.method !== 'GET') return { status: 405, body: 'Invalid HTTP method', headers: { Allow: 'GET' } };
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') return { status: 400, body: 'Invalid Upgrade header' };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return { status: 400, body: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = Number(req.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) {
    return { status: 400, body: 'Missing or invalid Sec-WebSocket-Version header', headers: { 'Sec-WebSocket-Version': '13, 8' } };
  }
  const offered = new Set<string>();
  const header = req.headers['sec-websocket-protocol'];
  if (header !== undefined) {
    for (const raw of header.split(',')) {
      const protocol = raw.trim();
      if (!TOKEN.test(protocol) || offered.has(protocol)) return { status: 400, body: 'Invalid Sec-WebSocket-Protocol header' };
      offered.add(protocol);
    }
  }
  return offered;
}

/** Answer an upgrade request with a plain HTTP response and close the socket. */
export function respondOnSocket(socket: Duplex, status: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const all: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  };
  const head = Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`);
}

/**
 * Which browser origins may open websockets (cross-site websocket hijacking protection):
 * a list of exact origins (`https://app.example.com`), or a function. A request without an
 * `Origin` header does not come from a browser page and passes a list (a function decides
 * for itself).
 */
export type OriginPolicy = readonly string[] | ((origin: string | undefined, req: IncomingMessage) => boolean);

/** Compile an origin policy into a check. */
export function compileOriginPolicy(policy: OriginPolicy | undefined): ((req: IncomingMessage) => boolean) | undefined {
  if (policy === undefined) return undefined;
  if (typeof policy === 'function') return (req) => policy(req.headers.origin, req);
  const allowed = new Set(policy.map(normalizeOrigin));
  return (req) => {
    const origin = req.headers.origin;
    return origin === undefined || allowed.has(normalizeOrigin(origin));
  };
}

function normalizeOrigin(origin: string): string {
  const lower = origin.trim().toLowerCase();
  return lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * The peer address, without keeping Node's per-socket `_peername` cache ({address, family,
 * port}, ~100 bytes per idle connection) alive: Node recomputes it if anything asks again.
 */
export function peerAddress(socket: IncomingMessage['socket']): string {
  const address = socket.remoteAddress ?? '';
  const cached = socket as unknown as { _peername?: unknown };
  if (cached._peername !== undefined) cached._peername = undefined;
  return address;
}

/** The subprotocol to answer with: `orrery.v1` when offered, else the route's choice or the first offered. */
export function selectProtocol(offered: Set<string>, req: IncomingMessage, choose: ((offered: ReadonlySet<string>, req: IncomingMessage) => string | false) | undefined): string | false {
  if (offered.has(ORRERY_SUBPROTOCOL)) return ORRERY_SUBPROTOCOL;
  if (choose !== undefined) return choose(offered, req);
  return offered.values().next().value ?? false;
}

/** A socket error during the handshake: destroy the socket (shared listener, `this` is the socket). */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Split a request URL into path and raw query string. */
export function splitUrl(url: string | undefined): { path: string; query: string } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}
