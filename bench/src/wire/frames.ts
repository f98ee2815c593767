/**
 * Websocket frames as the load generator writes and reads them (RFC 6455 §5.2).
 *
 * Client frames are masked honestly: every frame gets a fresh 4-byte mask drawn from a
 * random pool, never all zero (ws skips unmasking for an all-zero mask, which would flatter
 * the server). Server frames are parsed without copying when a frame lies within one chunk;
 * only a frame split across chunks is reassembled.
 */
import { randomFillSync } from 'node:crypto';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const POOL_SIZE = 64 * 1024;

/** Random, never-zero 4-byte masks from a refilled pool. */
export class MaskSource {
  private readonly pool = Buffer.allocUnsafe(POOL_SIZE);
  private pointer = POOL_SIZE;

  /** Write a fresh non-zero mask into `target` at `offset`. */
  writeMask(target: Buffer, offset: number): void {
    for (;;) {
      if (this.pointer + 4 > POOL_SIZE) {
        randomFillSync(this.pool);
        this.pointer = 0;
      }
      const p = this.pointer;
      this.pointer += 4;
      const pool = this.pool;
      if ((pool[p]! | pool[p + 1]! | pool[p + 2]! | pool[p + 3]!) === 0) continue;
      target[offset] = pool[p]!;
      target[offset + 1] = pool[p + 1]!;
      target[offset + 2] = pool[p + 2]!;
      target[offset + 3] = pool[p + 3]!;
      return;
    }
  }
}

/** Bytes a masked client frame header takes for a payload of `length` bytes. */
export function clientHeaderLength(length: number): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + 4;
}

/**
 * Write a complete masked client frame (FIN set) for `payload` into `target` at `offset`;
 * returns the offset after it. `target` needs `clientHeaderLength(payload.length) + payload.length`.
 */
export function writeClientFrame(target: Buffer, offset: number, opcode: number, payload: Uint8Array, masks: MaskSource): number {
  const length = payload.length;
  let o = offset;
  target[o++] = 0x80 | opcode;
  if (length < 126) {
    target[o++] = 0x80 | length;
  } else if (length < 65536) {
    target[o++] = 0x80 | 126;
    target.writeUInt16BE(length, o);
    o += 2;
  } else {
    target[o++] = 0x80 | 127;
    target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), o);
    target.writeUInt32BE(length >>> 0, o + 4);
    o += 8;
  }
  masks.writeMask(target, o);
  const m0 = target[o]!;
  const m1 = target[o + 1]!;
  const m2 = target[o + 2]!;
  const m3 = target[o + 3]!;
  o += 4;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    target[o + i] = payload[i]! ^ m0;
    target[o + i + 1] = payload[i + 1]! ^ m1;
    target[o + i + 2] = payload[i + 2]! ^ m2;
    target[o + i + 3] = payload[i + 3]! ^ m3;
  }
  for (; i < length; i++) target[o + i] = payload[i]! ^ target[o - 4 + (i & 3)]!;
  return o + length;
}

/** One masked client frame in a buffer of its own. */
export function clientFrame(opcode: number, payload: Uint8Array, masks: MaskSource): Buffer {
  const out = Buffer.allocUnsafe(clientHeaderLength(payload.length) + payload.length);
  writeClientFrame(out, 0, opcode, payload, masks);
  return out;
}

/** Receives each complete frame: the payload is `buf[start, end)` (valid only during the call). */
export type FrameSink = (opcode: number, buf: Buffer, start: number, end: number) => void;

/** Thrown for frames a server must never send (masked, reserved bits, oversize control frames). */
export class FrameError extends Error {}

/**
 * A streaming parser of server frames. Fragmented messages are delivered fragment by
 * fragment with the first fragment's opcode (the load generator only counts and reads
 * prefixes; servers under test do not fragment small messages).
 */
export class FrameParser {
  private rest: Buffer | undefined;
  private messageOpcode = 0;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let offset = 0;
    const end = buf.length;
    while (offset < end) {
      const next = this.parseOne(buf, offset, end);
      if (next < 0) break;
      offset = next;
    }
    if (offset < end) this.rest = buf.subarray(offset);
  }

  /** Parse the frame at `offset`; returns the offset after it, or -1 when incomplete. */
  private parseOne(buf: Buffer, offset: number, end: number): number {
    if (end - offset < 2) return -1;
    const b0 = buf[offset]!;
    const b1 = buf[offset + 1]!;
    if ((b0 & 0x70) !== 0) throw new FrameError(`reserved bits set (0x${b0.toString(16)})`);
    if ((b1 & 0x80) !== 0) throw new FrameError('a server frame was masked');
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (end - offset < 4) return -1;
      length = buf.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (end - offset < 10) return -1;
      length = buf.readUInt32BE(offset + 2) * 0x1_0000_0000 + buf.readUInt32BE(offset + 6);
      header = 10;
    }
    const start = offset + header;
    if (end - start < length) return -1;
    let opcode = b0 & 0x0f;
    if (opcode >= 0x8) {
      if (length > 125 || (b0 & 0x80) === 0) throw new FrameError(`bad control frame (opcode ${opcode}, ${length} bytes)`);
    } else if (opcode === OP_CONTINUATION) {
      opcode = this.messageOpcode;
    } else {
      this.messageOpcode = opcode;
    }
    this.sink(opcode, buf, start, start + length);
    return start + length;
  }
}
