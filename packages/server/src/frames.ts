/**
 * Frames: checking what callbacks return, and building server frames (RFC 6455 §5.2,
 * unmasked, FIN set, one allocation per frame).
 *
 * Text frames from clients keep their received bytes and decode to a string only when
 * `data` is read; echoing such a frame back sends the original bytes (no decode, no encode).
 * A frame object returned from `handleServerMessage` is encoded once and the bytes are
 * reused for every connection that sends the same object (a broadcast).
 */
import { isSendableCloseCode, MAX_CLOSE_REASON_BYTES, OrreryError } from '@orrery/protocol';
import type { DataFrame, Frame, TextFrame } from './types.js';

/** A text frame received from a client: decoded to a string on first read of `data`. */
export class ReceivedTextFrame implements TextFrame {
  #bytes: Buffer | undefined;
  #text: string | undefined;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  get type(): 'text' {
    return 'text';
  }

  get data(): string {
    if (this.#text === undefined) {
      this.#text = this.#bytes!.toString('utf8');
      this.#bytes = undefined;
    }
    return this.#text;
  }

  /** The received UTF-8 bytes, while not yet decoded. */
  rawBytes(): Buffer | undefined {
    return this.#bytes;
  }

  toJSON(): { type: 'text'; data: string } {
    return { type: 'text', data: this.data };
  }
}

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

function headerLength(payload: number): number {
  return payload < 126 ? 2 : payload < 65536 ? 4 : 10;
}

function writeHeader(target: Buffer, opcode: number, payload: number): number {
  target[0] = 0x80 | opcode;
  if (payload < 126) {
    target[1] = payload;
    return 2;
  }
  if (payload < 65536) {
    target[1] = 126;
    target.writeUInt16BE(payload, 2);
    return 4;
  }
  target[1] = 127;
  target.writeUInt32BE(Math.floor(payload / 0x1_0000_0000), 2);
  target.writeUInt32BE(payload >>> 0, 6);
  return 10;
}

/** One complete server frame (header + payload) for bytes. */
export function frameBytes(opcode: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  const offset = writeHeader(out, opcode, payload.length);
  out.set(payload, offset);
  return out;
}

/** One complete server text frame for a string. */
export function frameText(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  out.write(text, writeHeader(out, OPCODE_TEXT, length), length, 'utf8');
  return out;
}

/** The wire bytes of a checked data frame. */
export function encodeDataFrame(frame: DataFrame): Buffer {
  if (frame.type === 'text') {
    if (frame instanceof ReceivedTextFrame) {
      const raw = frame.rawBytes();
      if (raw !== undefined) return frameBytes(OPCODE_TEXT, raw);
    }
    return frameText(frame.data);
  }
  return frameBytes(OPCODE_BINARY, frame.data);
}

const encodedCache = new WeakMap<object, Buffer>();

/** Like {@link encodeDataFrame}, reusing the bytes when the same frame object is sent again. */
export function encodeShared(frame: DataFrame): Buffer {
  let bytes = encodedCache.get(frame);
  if (bytes === undefined) {
    bytes = encodeDataFrame(frame);
    encodedCache.set(frame, bytes);
  }
  return bytes;
}

/**
 * A typed server message (`{"t":"msg",...}` built by the typed layer). On a resumable route
 * each connection numbers it: the shared part is encoded once (`prefix`) and `,"seq":N}`
 * appended per connection. Elsewhere it is an ordinary text frame.
 */
export class MessageFrame implements TextFrame {
  #prefix: Buffer | undefined;
  constructor(readonly data: string) {}

  get type(): 'text' {
    return 'text';
  }

  /** UTF-8 bytes of `data` without its closing brace (computed once). */
  prefix(): Buffer {
    return (this.#prefix ??= Buffer.from(this.data.slice(0, -1), 'utf8'));
  }
}

/** The typed layer's `welcome`; a resumable connection replaces it with its session's. */
export class WelcomeFrame implements TextFrame {
  constructor(readonly data: string) {}
  get type(): 'text' {
    return 'text';
  }
}

/** The wire bytes of `frame` numbered `seq`, with the client acknowledgement `ack` when given. */
export function sequencedFrame(frame: MessageFrame, seq: number, ack: number | undefined): Buffer {
  const prefix = frame.prefix();
  const suffix = ack === undefined ? `,"seq":${seq}}` : `,"a":${ack},"seq":${seq}}`;
  const length = prefix.length + suffix.length;
  const out = Buffer.allocUnsafe(headerLength(length) + length);
  const offset = writeHeader(out, OPCODE_TEXT, length);
  prefix.copy(out, offset);
  out.write(suffix, offset + prefix.length, 'latin1');
  return out;
}

/** The prebuilt ping frame (no payload). */
export const PING_FRAME: Buffer = Buffer.from([0x89, 0x00]);

/** The outcome of checking a callback's frame list. */
export interface CheckedFrames {
  /** Data frames to send, in order (before the first close). */
  readonly count: number;
  /** The first close frame, if any (frames after it are dropped). */
  readonly close: { code: number; reason: string } | undefined;
}

/**
 * Check `[state, frames]` from `callback`. Throws `ORRERY_INVALID_RESULT` or
 * `ORRERY_INVALID_FRAME` (a handler error) and sends nothing when anything is wrong.
 */
export function checkResult(result: unknown, callback: string): CheckedFrames {
  if (!Array.isArray(result) || result.length !== 2 || !Array.isArray(result[1])) {
    throw new OrreryError(
      'ORRERY_INVALID_RESULT',
      `${callback} must return [state, frames] (an array of two, the second an array of frames), got ${preview(result)}`,
    );
  }
  const frames = result[1] as unknown[];
  for (let i = 0; i < frames.length; i++) {
    const close = checkFrame(frames[i], i, callback);
    if (close !== undefined) return { count: i, close };
  }
  return { count: frames.length, close: undefined };
}

const NO_CLOSE = undefined;

/** Check one frame; returns the close details for a close frame. */
function checkFrame(frame: unknown, index: number, callback: string): { code: number; reason: string } | undefined {
  if (typeof frame === 'object' && frame !== null) {
    const f = frame as Partial<Frame> & { type?: unknown; data?: unknown };
    if (f.type === 'text') {
      if (typeof f.data === 'string' || frame instanceof ReceivedTextFrame) return NO_CLOSE;
      throw badFrame(callback, index, `a text frame's data must be a string, got ${preview(f.data)}`);
    }
    if (f.type === 'binary') {
      if (f.data instanceof Uint8Array) return NO_CLOSE;
      throw badFrame(callback, index, `a binary frame's data must be a Uint8Array (or Buffer), got ${preview(f.data)}`);
    }
    if (f.type === 'close') return checkClose(f as { code?: unknown; reason?: unknown }, index, callback);
  }
  throw badFrame(callback, index, `expected {type: 'text' | 'binary' | 'close', ...}, got ${preview(frame)}`);
}

function checkClose(f: { code?: unknown; reason?: unknown }, index: number, callback: string): { code: number; reason: string } {
  const code = f.code ?? 1000;
  if (typeof code !== 'number' || !isSendableCloseCode(code)) {
    throw badFrame(callback, index, `close code ${preview(f.code)} cannot be sent (use 1000–1003, 1007–1014 or 3000–4999)`);
  }
  const reason = f.reason ?? '';
  if (typeof reason !== 'string') throw badFrame(callback, index, `close reason must be a string, got ${preview(reason)}`);
  const bytes = Buffer.byteLength(reason, 'utf8');
  if (bytes > MAX_CLOSE_REASON_BYTES) {
    throw badFrame(callback, index, `close reason is ${bytes} bytes; the limit is ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`);
  }
  return { code, reason };
}

function badFrame(callback: string, index: number, detail: string): OrreryError {
  return new OrreryError('ORRERY_INVALID_FRAME', `frame ${index} returned by ${callback}: ${detail}`);
}

function preview(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
  if (typeof value === 'string') return `a string (${value.length} chars)`;
  return typeof value === 'undefined' ? 'undefined' : `${typeof value} ${String(value)}`;
}
