/**
 * The websocket side of a connection: ws parses inbound frames and runs the close
 * handshake; outbound data frames are built here and batched.
 *
 * Outbound batching: every frame a connection sends during one tick goes into its outbox;
 * one `process.nextTick` flushes every outbox with one socket write each. A burst of N
 * messages to a socket costs one syscall instead of N — per-write syscalls dominate fan-out.
 * Writes go straight to the TCP socket (ws's sender has nothing queued: compression is off),
 * so ws's own writes (pongs, the close frame) stay in order with ours once we flush.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { OrreryError } from '@orrery/protocol';
import type { ActorTransport, ConnectionActor } from './actor.js';
import { encodeDataFrame, encodeShared, PING_FRAME, ReceivedTextFrame } from './frames.js';
import type { HeartbeatEntry, HeartbeatWheel } from './heartbeat.js';
import type { RouteStats } from './observability.js';
import type { ResolvedLimits } from './options.js';
import type { DataFrame, TerminateReason } from './types.js';

const kTransport = Symbol('orrery.transport');
/** Outboxes larger than this are written chunk by chunk (corked) instead of concatenated. */
const CONCAT_LIMIT = 256 * 1024;

type WithTransport = { [kTransport]?: WsTransport };

let dirty: WsTransport[] = [];
let flushScheduled = false;

function flushAll(): void {
  const batch = dirty;
  dirty = [];
  flushScheduled = false;
  for (let i = 0; i < batch.length; i++) batch[i]!.flush();
}

/** What the server learns from a transport. */
export interface TransportOwner {
  readonly limits: ResolvedLimits;
  readonly stats: RouteStats;
  readonly wheel: HeartbeatWheel;
  /** The TCP connection is gone. */
  socketClosed(transport: WsTransport): void;
}

/** One accepted websocket connection. */
export class WsTransport implements ActorTransport, HeartbeatEntry {
  actor: ConnectionActor | undefined;
  lastInbound = 0;
  nextPingAt = 0;
  slot = -1;
  private out: Buffer | Buffer[] | null = null;
  private outBytes = 0;
  private ended = false;
  private failure: OrreryError | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly socket: Duplex,
    readonly owner: TransportOwner,
  ) {
    (ws as WebSocket & WithTransport)[kTransport] = this;
    (socket as Duplex & WithTransport)[kTransport] = this;
    ws.on('message', onWsMessage);
    ws.on('error', onWsError);
    ws.on('close', onWsClose);
    socket.on('data', onSocketData);
  }

  /** Bytes waiting to be written (outbox + socket buffer). */
  get bufferedBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  send(frame: DataFrame, shared: boolean): void {
    if (this.ended) return;
    const buffered = this.outBytes + this.socket.writableLength;
    if (buffered > this.owner.limits.maxBufferedBytes) {
      this.slowConsumer(buffered);
      return;
    }
    const bytes = shared ? encodeShared(frame) : encodeDataFrame(frame);
    this.push(bytes);
    this.owner.stats.framesOut++;
    this.owner.stats.bytesOut += bytes.length;
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
    this.owner.wheel.remove(this);
    this.ws.close(code, reason);
  }

  /** Destroy the TCP connection at once (shutdown grace exceeded). */
  abort(): void {
    this.ended = true;
    this.out = null;
    this.ws.terminate();
  }

  heartbeatPing(): void {
    if (!this.ended) this.push(PING_FRAME);
  }

  heartbeatIdle(): void {
    this.slot = -1;
    this.actor?.beginClose(1001, 'idle timeout', { type: 'timeout' });
  }

  /** Write the outbox: one write for the whole tick. */
  flush(): void {
    const out = this.out;
    if (out === null) return;
    const bytes = this.outBytes;
    this.out = null;
    this.outBytes = 0;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (!Array.isArray(out)) {
      socket.write(out);
    } else if (bytes <= CONCAT_LIMIT) {
      socket.write(Buffer.concat(out, bytes));
    } else {
      socket.cork();
      for (const chunk of out) socket.write(chunk);
      socket.uncork();
    }
  }

  private push(bytes: Buffer): void {
    const out = this.out;
    if (out === null) {
      this.out = bytes;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAll);
      }
    } else if (Array.isArray(out)) {
      out.push(bytes);
    } else {
      this.out = [out, bytes];
    }
    this.outBytes += bytes.length;
  }

  private slowConsumer(buffered: number): void {
    // What is still in the outbox cannot reach a consumer this slow; the close frame goes next.
    this.out = null;
    this.outBytes = 0;
    const limit = this.owner.limits.maxBufferedBytes;
    this.actor?.beginClose(1013, 'slow consumer', {
      type: 'error',
      error: new OrreryError('ORRERY_SLOW_CONSUMER', `${buffered} bytes were waiting for the client (limit ${limit})`, { closeCode: 1013 }),
    });
  }

  /** @internal ws events */
  onMessage(data: Buffer, isBinary: boolean): void {
    this.owner.stats.framesIn++;
    this.owner.stats.bytesIn += data.length;
    this.actor?.clientFrame(isBinary ? { type: 'binary', data } : new ReceivedTextFrame(data));
  }

  /** @internal */
  onError(error: Error): void {
    this.failure = mapWsError(error, this.owner.limits.maxMessageBytes);
    this.ended = true;
    this.out = null;
    this.owner.wheel.remove(this);
    this.actor?.transportEnded({ type: 'error', error: this.failure });
  }

  /** @internal */
  onClose(code: number, reason: Buffer): void {
    this.ended = true;
    this.out = null;
    this.owner.wheel.remove(this);
    this.actor?.transportEnded(this.closeReason(code, reason));
    this.owner.socketClosed(this);
  }

  private closeReason(code: number, reason: Buffer): TerminateReason {
    if (this.failure !== undefined) return { type: 'error', error: this.failure };
    if (code === 1006) {
      return { type: 'error', error: new OrreryError('ORRERY_CONNECTION_LOST', 'the TCP connection dropped without a close frame') };
    }
    if (code === 1005) return { type: 'remote' };
    return { type: 'remote', code, reason: reason.toString('utf8') };
  }
}

function onWsMessage(this: WebSocket & WithTransport, data: Buffer, isBinary: boolean): void {
  this[kTransport]?.onMessage(data, isBinary);
}
function onWsError(this: WebSocket & WithTransport, error: Error): void {
  this[kTransport]?.onError(error);
}
function onWsClose(this: WebSocket & WithTransport, code: number, reason: Buffer): void {
  this[kTransport]?.onClose(code, reason);
}
function onSocketData(this: Duplex & WithTransport): void {
  const t = this[kTransport];
  if (t !== undefined) t.lastInbound = t.owner.wheel.now;
}

/** ws's receiver errors → Orrery errors with the close code ws sends. */
export function mapWsError(error: Error, maxMessageBytes: number): OrreryError {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return new OrreryError('ORRERY_MESSAGE_TOO_BIG', `an inbound message exceeded maxMessageBytes (${maxMessageBytes})`, { cause: error, closeCode: 1009 });
    case 'WS_ERR_INVALID_UTF8':
      return new OrreryError('ORRERY_INVALID_UTF8', 'a text message was not valid UTF-8', { cause: error, closeCode: 1007 });
    default:
      return new OrreryError('ORRERY_PROTOCOL_ERROR', `websocket protocol error: ${error.message}`, { cause: error, closeCode: statusOf(error) ?? 1002 });
  }
}

function statusOf(error: Error): number | undefined {
  for (const sym of Object.getOwnPropertySymbols(error)) {
    if (sym.description === 'status-code') {
      const value = (error as unknown as Record<symbol, unknown>)[sym];
      return typeof value === 'number' ? value : undefined;
    }
  }
  return undefined;
}
