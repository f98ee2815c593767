/**
 * Cross-node resume: a client whose session lives on node A comes back through node B (a
 * plain load balancer sends it anywhere). B relays the client's websocket to A's session
 * through the registry — nothing else is shared between nodes — and the session goes on
 * where it is, with its state and registry entries.
 *
 * Each node registers one unique name per resumable route, `node:<nodeId>`, in the internal
 * namespace `__orrery.sessions.<route>`, and its {@link SessionHub} receives:
 *
 * | op | from → to | meaning |
 * |---|---|---|
 * | `attach` sid, secret, identity, lastSeq, from, rid | B → A | resume session `sid` through relay `rid` |
 * | `attached` / `refused` reason | A → B | the answer (frames follow an `attached`) |
 * | `in` sid, rid, from, text | B → A | a client frame |
 * | `out` rid, text / `close` rid, code, reason | A → B | a frame for the client / close it |
 * | `gone` sid, rid, from, clean? | B → A | the client left (`clean`: with a close frame) |
 * | `ka` rid (A → B) / `ka` sid, rid, from (B → A) | both | keepalive; a peer silent for `relayTimeoutMs` ends the relay |
 *
 * Registry messages are FIFO per publisher, so frames keep their order in both directions.
 * When A is gone its name lapses with its lease: B gets no answer and the client is told
 * `unavailable`. When B is gone A hears no keepalive and parks the session again.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { RESUME_REFUSALS, type ResumeRefusal } from '@orrery/protocol';
import type { HeartbeatEntry } from '../heartbeat.js';
import type { Logger } from '../observability.js';
import type { RegistryBackend, RegistryMember, RegistryNamespace } from '../registry/types.js';
import type { RelayLink, ResumableConnection, ResumeRouteRuntime } from './session.js';
import type { ResumeRequest } from './token.js';

/** The registry namespace of a route's session hubs. */
export function sessionsNamespace(route: string): string {
  return `__orrery.sessions.${route}`;
}

type HubMessage =
  | { op: 'attach'; sid: number; secret: string; identity: string; lastSeq: number; from: string; rid: number }
  | { op: 'attached'; rid: number }
  | { op: 'refused'; rid: number; reason: ResumeRefusal }
  | { op: 'in'; sid: number; rid: number; from: string; text: string }
  | { op: 'out'; rid: number; text: string }
  | { op: 'close'; rid: number; code: number; reason: string }
  | { op: 'gone'; sid: number; rid: number; from: string; clean?: { code?: number; reason?: string } }
  | { op: 'ka'; rid: number; sid?: number; from?: string };

/** One node's end of cross-node resume for one route. */
export class SessionHub implements RegistryMember {
  readonly id: string;
  private readonly ns: RegistryNamespace;
  private nextRid = 0;
  /** Relays this node serves (its clients, sessions elsewhere). */
  private readonly relays = new Map<number, RelayConnection>();
  /** Sessions of this node served through a relay elsewhere, by session. */
  private readonly links = new Map<number, OwnerLink>();

  constructor(
    private readonly rt: ResumeRouteRuntime,
    backend: RegistryBackend,
    private readonly logger: Logger,
  ) {
    this.ns = backend.namespace(sessionsNamespace(rt.name));
    this.id = `hub:${rt.nodeId}:${rt.name}`;
  }

  /** Make this node reachable by the others (one name per node and route). */
  async start(): Promise<void> {
    try {
      await this.ns.register(`node:${this.rt.nodeId}`, this);
    } catch (error) {
      this.logger.error('websocket resume hub could not register; cross-node resume to this node will fail', { route: this.rt.name, error });
    }
  }

  /** Relays in progress on this node. */
  get relayCount(): number {
    return this.relays.size;
  }

  /** Every relay (for shutdown). */
  allRelays(): RelayConnection[] {
    return [...this.relays.values()];
  }

  stop(): void {
    this.ns.removeMember(this);
    for (const link of this.links.values()) link.stop();
  }

  /**
   * Relay a client (its 101 already sent) to the node that holds its session. `fresh(reason)`
   * runs when that node refuses or cannot be reached: open a fresh session instead.
   */
  relay(ws: WebSocket, socket: Duplex, request: ResumeRequest, identity: string, fresh: (reason: ResumeRefusal) => void): void {
    const rid = ++this.nextRid;
    const relay = new RelayConnection(this, this.rt, rid, request.token.node, request.token.sid, ws, socket, fresh);
    this.relays.set(rid, relay);
    const { sid, secret } = request.token;
    this.send(request.token.node, { op: 'attach', sid, secret, identity, lastSeq: request.lastSeq, from: this.rt.nodeId, rid })
      .then((found) => { if (!found) relay.refused('unavailable'); });
  }

  /** @internal */
  forget(relay: RelayConnection): void {
    this.relays.delete(relay.rid);
  }

  /** Send to another node's hub; `false` when it cannot be reached. */
  send(node: string, message: HubMessage): Promise<boolean> {
    try {
      return this.ns.sendMessage(`node:${node}`, message).catch(() => false);
    } catch {
      return Promise.resolve(false);
    }
  }

  deliver(message: unknown): void {
    const m = message as HubMessage;
    if (typeof m !== 'object' || m === null || typeof (m as { rid?: unknown }).rid !== 'number') {
      this.logger.warn('websocket resume hub dropped a malformed message', { route: this.rt.name });
      return;
    }
    switch (m.op) {
      case 'attach': this.attach(m); break;
      case 'attached': case 'refused': case 'out': case 'close': this.relays.get(m.rid)?.fromOwner(m); break;
      case 'in': case 'gone': this.links.get(m.sid)?.fromRelay(m); break;
      case 'ka':
        if (m.sid === undefined) this.relays.get(m.rid)?.heard();
        else this.links.get(m.sid)?.heardFrom(m.from, m.rid);
        break;
      default: this.logger.warn('websocket resume hub dropped an unknown message', { route: this.rt.name });
    }
  }

  private attach(m: Extract<HubMessage, { op: 'attach' }>): void {
    const refuse = (reason: ResumeRefusal) => {
      this.rt.stats.resumeRefusals[reason] = (this.rt.stats.resumeRefusals[reason] ?? 0) + 1;
      void this.send(m.from, { op: 'refused', rid: m.rid, reason });
    };
    const session = this.rt.sessions.get(m.sid);
    if (session === undefined) return refuse(this.rt.sessions.refusal(m.sid));
    if (typeof m.secret !== 'string' || !session.hasSecret(m.secret)) return refuse('unknown');
    if (session.identity !== m.identity) return refuse('identity');
    const link = new OwnerLink(this, session, m.from, m.rid, this.rt.resume.relayTimeoutMs);
    void this.send(m.from, { op: 'attached', rid: m.rid });
    this.links.set(m.sid, link);
    if (session.resumeRelayed(link, m.lastSeq, m.secret) !== 'ok') {
      link.stop();
      session.expire('gap');
      return refuse('gap');
    }
    this.rt.stats.sessionsResumed++;
  }

  /** @internal */
  unlink(sid: number, link: OwnerLink): void {
    if (this.links.get(sid) === link) this.links.delete(sid);
  }
}

/** The owning node's side of one relay: frames of a session go to the relaying node. */
class OwnerLink implements RelayLink {
  private lastHeard = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private stopped = false;

  constructor(
    private readonly hub: SessionHub,
    private readonly session: ResumableConnection,
    private readonly node: string,
    private readonly rid: number,
    private readonly timeoutMs: number,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(timeoutMs / 3)));
    this.timer.unref();
  }

  send(text: string): void {
    if (this.stopped) return;
    void this.hub.send(this.node, { op: 'out', rid: this.rid, text }).then((ok) => { if (!ok) this.lost(); });
  }

  close(code: number, reason: string): void {
    if (this.stopped) return;
    void this.hub.send(this.node, { op: 'close', rid: this.rid, code, reason });
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.hub.unlink(this.session.sid, this);
  }

  /** A keepalive from the relaying node (ignored unless it is this link's relay). */
  heardFrom(node: string | undefined, rid: number): void {
    if (node === this.node && rid === this.rid) this.lastHeard = Date.now();
  }

  fromRelay(m: Extract<HubMessage, { op: 'in' | 'gone' }>): void {
    if (this.stopped || m.rid !== this.rid || m.from !== this.node) return;
    this.lastHeard = Date.now();
    if (m.op === 'in') {
      if (typeof m.text === 'string') this.session.relayedFrame(m.text);
      return;
    }
    this.stop();
    this.session.relayEnded(m.clean);
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > this.timeoutMs) {
      this.lost();
      return;
    }
    void this.hub.send(this.node, { op: 'ka', rid: this.rid });
  }

  /** The relaying node is gone or unreachable: park the session again. */
  private lost(): void {
    if (this.stopped) return;
    this.stop();
    this.session.relayEnded(undefined);
  }
}

/** The relaying node's side: the client's websocket, wired to a session elsewhere. */
export class RelayConnection implements HeartbeatEntry {
  lastInbound = 0;
  nextPingAt = 0;
  slot = -1;
  private phase: 'pending' | 'active' | 'done' = 'pending';
  private lastHeard = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onMessage = (data: Buffer, isBinary: boolean) => this.clientFrame(data, isBinary);
  private readonly onClose = (code: number, reason: Buffer) => this.clientClosed(code, reason);
  private readonly onTraffic = () => { this.lastInbound = this.rt.wheel.now; };

  constructor(
    private readonly hub: SessionHub,
    private readonly rt: ResumeRouteRuntime,
    readonly rid: number,
    private readonly owner: string,
    private readonly sid: number,
    private readonly ws: WebSocket,
    readonly socket: Duplex,
    private readonly fresh: (reason: ResumeRefusal) => void,
  ) {
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('ping', this.onTraffic);
    ws.on('pong', this.onTraffic);
    ws.on('error', () => {});
    const timeoutMs = rt.resume.relayTimeoutMs;
    this.timer = setInterval(() => this.tick(timeoutMs), Math.max(10, Math.floor(timeoutMs / 3)));
    this.timer.unref();
  }

  /** The owning node refused (or cannot be reached): hand the socket to a fresh session here. */
  refused(reason: ResumeRefusal): void {
    if (this.phase !== 'pending') return;
    this.detach();
    this.fresh(RESUME_REFUSALS.includes(reason) ? reason : 'unknown');
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  /** Close the client's websocket (server drain): the owning node parks the session. */
  shutdown(code: number, reason: string): void {
    if (this.phase === 'done') return;
    if (this.phase === 'active') void this.hub.send(this.owner, { op: 'gone', sid: this.sid, rid: this.rid, from: this.rt.nodeId });
    this.finish();
    this.ws.close(code, reason);
  }

  fromOwner(m: Extract<HubMessage, { op: 'attached' | 'refused' | 'out' | 'close' }>): void {
    this.heard();
    if (m.op === 'refused') {
      this.refused(m.reason);
    } else if (m.op === 'attached') {
      if (this.phase !== 'pending') return;
      this.phase = 'active';
      this.rt.wheel.add(this);
    } else if (this.phase === 'active') {
      if (m.op === 'out') this.ws.send(m.text);
      else {
        this.finish();
        this.ws.close(m.code, m.reason);
      }
    }
  }

  heartbeatPing(): void {
    if (this.ws.readyState === 1) this.ws.ping();
  }

  heartbeatIdle(): void {
    this.slot = -1;
    this.ws.terminate();
  }

  private clientFrame(data: Buffer, isBinary: boolean): void {
    this.lastInbound = this.rt.wheel.now;
    if (this.phase !== 'active') return;
    if (isBinary) {
      this.ws.close(1003, 'orrery.v1 frames are JSON text; binary frames are not accepted');
      return;
    }
    void this.hub.send(this.owner, { op: 'in', sid: this.sid, rid: this.rid, from: this.rt.nodeId, text: data.toString('utf8') });
  }

  private clientClosed(code: number, reason: Buffer): void {
    if (this.phase === 'active') {
      const clean = code === 1006 ? undefined : code === 1005 ? {} : { code, reason: reason.toString('utf8') };
      void this.hub.send(this.owner, { op: 'gone', sid: this.sid, rid: this.rid, from: this.rt.nodeId, ...(clean === undefined ? {} : { clean }) });
    }
    this.finish();
    this.rt.relayClosed(this);
  }

  private tick(timeoutMs: number): void {
    if (Date.now() - this.lastHeard <= timeoutMs) {
      if (this.phase === 'active') void this.hub.send(this.owner, { op: 'ka', sid: this.sid, rid: this.rid, from: this.rt.nodeId });
      return;
    }
    if (this.phase === 'pending') this.refused('unavailable');
    else if (this.phase === 'active') {
      this.finish();
      this.ws.close(1001, 'resume relay lost; please reconnect');
    }
  }

  /** Stop listening to the socket (a fresh session takes it over). */
  private detach(): void {
    this.ws.off('message', this.onMessage);
    this.ws.off('close', this.onClose);
    this.ws.off('ping', this.onTraffic);
    this.ws.off('pong', this.onTraffic);
    this.phase = 'done';
    clearInterval(this.timer);
    this.hub.forget(this);
    this.rt.wheel.remove(this);
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    clearInterval(this.timer);
    this.hub.forget(this);
    this.rt.wheel.remove(this);
  }
}
