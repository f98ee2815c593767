/**
 * A resumable session: a connection actor whose socket may come and go (docs/protocol.md §6).
 *
 * Modes:
 * - `live`: served by a websocket on this node;
 * - `parked`: its socket dropped abnormally; the actor keeps running (registry entries, server
 *   messages, handler state), sequenced messages go to the replay buffer only, and a window
 *   timer ends the session (`terminate` gets `timeout`) if no client comes back;
 * - `relay`: its client came back on another node, which relays frames through the registry.
 *
 * Every typed server message (`MessageFrame`) gets the next `seq`, is kept until the client
 * acknowledges it, and is written (live) or relayed. Replies and other frames are not kept.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { RESUME_LATER_CLOSE_CODE, type ResumeRefusal } from '@orrery/protocol';
import type { Conn } from '../conn.js';
import { frameText, MessageFrame, sequencedFrame, WelcomeFrame } from '../frames.js';
import type { DataFrame, TerminateReason } from '../types.js';
import { WsConnection, type WsRouteRuntime } from '../ws-connection.js';
import type { ResolvedResume } from './options.js';
import { ReplayBuffer } from './replay.js';
import type { RelayConnection } from './relay.js';
import type { SessionTable, TableSession } from './table.js';
import { formatToken, newSecret, secretsEqual } from './token.js';

/** What a resumable route adds to the runtime every connection shares. */
export interface ResumeRouteRuntime extends WsRouteRuntime {
  readonly resume: ResolvedResume;
  readonly sessions: SessionTable<ResumableConnection>;
  readonly nodeId: string;
  /** A session is served by a (new) socket on this node: count it as a connection. */
  socketOpened(connection: WsConnection): void;
  /** A relay's socket closed (its slot is free). */
  relayClosed(relay: RelayConnection): void;
}

/** The owning node's end of a relay to another node (see relay.ts). */
export interface RelayLink {
  /** Send one frame's text to the client. */
  send(text: string): void;
  /** Close the client's websocket. */
  close(code: number, reason: string): void;
  /** Stop relaying (no message to the other node). */
  stop(): void;
}

type Mode = 'live' | 'parked' | 'relay';

/** A connection of a resumable route. */
export class ResumableConnection extends WsConnection implements TableSession {
  readonly sid: number;
  private secret = newSecret();
  /**
   * The secret the last resume was granted with, still accepted until the client sends its
   * first frame on the resumed connection: if the welcome carrying the new token is lost, the
   * client can only retry with the one it presented.
   */
  private previousSecret: string | undefined;
  private mode: Mode = 'live';
  private seq = 0;
  private clientSeq = 0;
  private ackSent = 0;
  private readonly replay: ReplayBuffer;
  private windowTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private relay: RelayLink | undefined;
  private endReason: ResumeRefusal = 'expired';

  constructor(
    conn: Conn<object, unknown>,
    protected override readonly rt: ResumeRouteRuntime,
    ws: WebSocket,
    socket: Duplex,
    /** The identity a resume must match (see ResumeOptions.identity). */
    readonly identity: string,
    /** Why the client's resume request was refused, told in the first welcome. */
    private readonly refusal: ResumeRefusal | undefined,
  ) {
    super(conn, rt, ws, socket);
    this.sid = rt.sessions.newSid();
    this.replay = new ReplayBuffer(rt.resume.maxMessages, rt.resume.maxBytes);
    rt.sessions.add(this);
  }

  /** The token a client resumes this session with (changes at every resume). */
  get token(): string {
    return formatToken(this.rt.nodeId, this.sid, this.secret);
  }

  get replayBytes(): number {
    return this.replay.bytes;
  }

  /** Whether `secret` is this session's current secret. */
  hasSecret(secret: string): boolean {
    return secretsEqual(secret, this.secret) || (this.previousSecret !== undefined && secretsEqual(secret, this.previousSecret));
  }

  /** A frame from the client proves it has the current token: the previous one is spent. */
  override onMessage(data: Buffer, isBinary: boolean): void {
    this.previousSecret = undefined;
    super.onMessage(data, isBinary);
  }

  protected override sendFrame(frame: DataFrame, shared: boolean): void {
    if (frame instanceof WelcomeFrame) {
      this.sendText(this.welcome(false));
      return;
    }
    if (frame instanceof MessageFrame) {
      this.sequence(frame);
      return;
    }
    if (this.mode === 'live') super.sendFrame(frame, shared);
    else if (this.mode === 'relay' && frame.type === 'text') this.relay!.send(frame.data);
    else this.dropped++; // parked: replies cannot reach a client that is gone (it failed them)
  }

  protected override closeTransport(code: number, reason: string): void {
    if (this.mode === 'live') super.closeTransport(code, reason);
    else if (this.mode === 'relay') this.relay!.close(code, reason);
  }

  override onClose(code: number, reason: Buffer): void {
    // A drop, or a client that closes to resume later (browsers cannot drop TCP): park.
    if (this.mode === 'live' && this.open && (code === 1006 || code === RESUME_LATER_CLOSE_CODE)) {
      this.rt.socketClosed(this);
      this.park();
      return;
    }
    super.onClose(code, reason);
  }

  override heartbeatIdle(): void {
    this.slot = -1;
    if (this.mode !== 'live' || !this.open) return;
    // The peer stopped answering: treat it as a drop, not a close.
    this.unbind(this.ws);
    this.ws.terminate();
    this.rt.socketClosed(this);
    this.park();
  }

  override acknowledge(seq: number): void {
    const before = this.replay.bytes;
    this.replay.ack(seq);
    this.rt.sessions.adjust(this, this.replay.bytes - before);
  }

  override acceptClientSeq(cs: number): boolean {
    if (cs <= this.clientSeq) {
      this.rt.stats.duplicatesDropped++;
      return false;
    }
    this.clientSeq = cs;
    if (this.ackTimer === undefined && this.mode !== 'parked') {
      this.ackTimer = setTimeout(() => this.sendAck(), this.rt.resume.ackDelayMs);
      this.ackTimer.unref();
    }
    return true;
  }

  /**
   * Serve the session from a new socket on this node; `presented` is the secret the client
   * resumed with. `'gap'`: messages after `lastSeq` are lost.
   */
  resume(ws: WebSocket, socket: Duplex, lastSeq: number, presented: string): 'ok' | 'gap' {
    const missed = this.replay.since(lastSeq);
    if (missed === undefined) return 'gap';
    this.leaveCurrentTransport(presented);
    this.ws = ws;
    this.socket = socket;
    this.bind(ws);
    this.mode = 'live';
    this.rt.socketOpened(this);
    this.rt.wheel.add(this);
    this.replayTo(missed, lastSeq);
    return 'ok';
  }

  /** Serve the session through a relay from another node. */
  resumeRelayed(link: RelayLink, lastSeq: number, presented: string): 'ok' | 'gap' {
    const missed = this.replay.since(lastSeq);
    if (missed === undefined) return 'gap';
    this.leaveCurrentTransport(presented);
    this.relay = link;
    this.mode = 'relay';
    this.replayTo(missed, lastSeq);
    return 'ok';
  }

  /** A client frame arrived through the relay. */
  relayedFrame(text: string): void {
    if (this.mode !== 'relay') return;
    this.previousSecret = undefined;
    this.rt.stats.framesIn++;
    this.rt.stats.bytesIn += text.length;
    this.clientFrame({ type: 'text', data: text });
  }

  /** The relayed client went away: `clean` (a close frame) ends the session, otherwise it parks. */
  relayEnded(clean: { code?: number; reason?: string } | undefined): void {
    if (this.mode !== 'relay') return;
    this.relay = undefined;
    if (clean === undefined) this.park();
    else this.transportEnded(clean.code === undefined ? { type: 'remote' } : { type: 'remote', code: clean.code, reason: clean.reason ?? '' });
  }

  /** End the session now; its client will be told `reason` if it tries to resume. */
  expire(reason: ResumeRefusal): void {
    this.endReason = reason;
    this.transportEnded({ type: 'timeout' });
  }

  protected override onTerminated(_reason: TerminateReason): void {
    clearTimeout(this.windowTimer);
    clearTimeout(this.ackTimer);
    this.relay?.stop();
    this.relay = undefined;
    this.rt.sessions.remove(this, this.endReason);
  }

  private park(): void {
    this.mode = 'parked';
    this.rt.wheel.remove(this);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.replay.lossy) {
      this.expire('overflow');
      return;
    }
    this.windowTimer = setTimeout(() => this.expire('expired'), this.rt.resume.windowMs);
    this.windowTimer.unref();
    this.rt.sessions.park(this);
  }

  /** Detach from whatever served the session until now (a half-open socket, a relay, the parking). */
  private leaveCurrentTransport(presented: string): void {
    if (this.mode === 'live') {
      this.unbind(this.ws);
      this.rt.wheel.remove(this);
      this.ws.terminate();
      this.rt.socketClosed(this);
    } else if (this.mode === 'relay') {
      this.relay?.stop();
      this.relay = undefined;
    } else {
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
      this.rt.sessions.unpark(this);
    }
    this.previousSecret = presented;
    this.secret = newSecret();
  }

  /** Welcome (resumed), then every message the client missed. */
  private replayTo(missed: Buffer[], lastSeq: number): void {
    this.sendText(this.welcome(true));
    this.ackSent = this.clientSeq;
    for (const bytes of missed) this.deliverBytes(bytes);
    this.acknowledge(lastSeq);
  }

  private sequence(frame: MessageFrame): void {
    const seq = ++this.seq;
    let ack: number | undefined;
    if (this.mode !== 'parked' && this.clientSeq > this.ackSent) ack = this.ackSent = this.clientSeq;
    const bytes = sequencedFrame(frame, seq, ack);
    const before = this.replay.bytes;
    this.replay.push(seq, bytes);
    if (this.mode === 'parked') {
      this.rt.sessions.adjust(this, this.replay.bytes - before);
      if (this.replay.lossy) this.expire('overflow');
      return;
    }
    this.deliverBytes(bytes);
  }

  private deliverBytes(bytes: Buffer): void {
    if (this.mode === 'live') {
      if (this.writable && this.roomFor()) this.writeBytes(bytes);
    } else if (this.mode === 'relay') {
      this.relay!.send(payloadText(bytes));
    }
  }

  private sendText(text: string): void {
    if (this.mode === 'live') {
      if (this.writable && this.roomFor()) this.writeBytes(frameText(text));
    } else if (this.mode === 'relay') {
      this.relay!.send(text);
    }
  }

  private sendAck(): void {
    this.ackTimer = undefined;
    if (this.mode === 'parked' || this.clientSeq <= this.ackSent) return;
    this.ackSent = this.clientSeq;
    this.sendText(`{"t":"ack","seq":${this.clientSeq}}`);
  }

  private welcome(resumed: boolean): string {
    const token = JSON.stringify(this.token);
    if (resumed) return `{"t":"welcome","session":${token},"resumed":true,"seq":${this.seq},"cseq":${this.clientSeq}}`;
    const reason = this.refusal === undefined ? '' : `,"reason":"${this.refusal}"`;
    return `{"t":"welcome","session":${token},"resumed":false${reason}}`;
  }
}

/** The text payload of a server text frame (strip the 2-, 4- or 10-byte header). */
function payloadText(frame: Buffer): string {
  const len = frame[1]! & 0x7f;
  const offset = len < 126 ? 2 : len === 126 ? 4 : 10;
  return frame.toString('utf8', offset);
}
