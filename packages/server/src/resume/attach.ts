/**
 * Deciding what a new connection of a resumable route is: the resumption of a session this
 * node holds, or a fresh session (with the reason its resume request was refused, if any).
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ResumeRefusal } from '@orrery/protocol';
import type { Conn } from '../conn.js';
import type { Logger } from '../observability.js';
import type { ResumeRouteRuntime } from './session.js';
import type { ResumeRequest } from './token.js';

/** A route state that is resumable. */
export type ResumeRouteState = ResumeRouteRuntime;

/** A fresh session to open: its identity, and why a resume was refused. */
export interface FreshSession {
  readonly identity: string;
  readonly refusal: ResumeRefusal | undefined;
}

/** A session held by another node: relay to it. */
export interface RemoteSession {
  readonly identity: string;
  readonly remote: ResumeRequest;
}

/**
 * Resume the requested session onto `ws` when this node holds it and everything matches, or
 * say how to open a fresh one. A refused resume of a session that exists here but cannot go
 * on without a gap ends that session (`terminate` gets `timeout`).
 */
export function resumeOrRefuse(
  r: ResumeRouteState,
  conn: Conn<object, unknown>,
  ws: WebSocket,
  socket: Duplex,
  request: ResumeRequest | 'malformed' | undefined,
  logger: Logger,
): 'resumed' | FreshSession | RemoteSession {
  const identity = identityOf(r, conn, logger);
  if (request === undefined) return { identity, refusal: undefined };
  if (request !== 'malformed' && request.token.node !== r.nodeId) return { identity, remote: request };
  const refusal = request === 'malformed' ? 'unknown' : tryResume(r, identity, ws, socket, request);
  if (refusal === undefined) {
    r.stats.sessionsResumed++;
    return 'resumed';
  }
  countRefusal(r, refusal);
  return { identity, refusal };
}

/** Count a refused resume. */
export function countRefusal(r: ResumeRouteState, refusal: ResumeRefusal): void {
  r.stats.resumeRefusals[refusal] = (r.stats.resumeRefusals[refusal] ?? 0) + 1;
}

function tryResume(r: ResumeRouteState, identity: string, ws: WebSocket, socket: Duplex, request: ResumeRequest): ResumeRefusal | undefined {
  const { sid, secret } = request.token;
  const session = r.sessions.get(sid);
  if (session === undefined) return r.sessions.refusal(sid);
  if (!session.hasSecret(secret)) return 'unknown';
  if (session.identity !== identity) return 'identity';
  if (session.resume(ws, socket, request.lastSeq, secret) === 'ok') return undefined;
  session.expire('gap');
  return 'gap';
}

function identityOf(r: ResumeRouteState, conn: Conn<object, unknown>, logger: Logger): string {
  try {
    return String(r.resume.identity(conn));
  } catch (error) {
    logger.error('websocket resume identity failed; the session cannot be resumed', { route: r.name, conn: conn.id, error });
    return `unresumable:${conn.id}`;
  }
}
