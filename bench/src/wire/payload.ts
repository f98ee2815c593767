/**
 * The benchmark payload: a fixed-format ASCII prefix that the load generator reads without
 * parsing JSON, wherever the server's envelope puts it.
 *
 * ```
 * ~SSSSSSSS.TTTTTTTTTTTT xxxx…      (~ marker, 8 hex digits sequence, 12 hex digits µs timestamp)
 * ```
 *
 * The marker `~` never occurs in the envelopes under test before the payload (Socket.IO's
 * `42["m","…"]`, Orrery's raw text), so `indexOf(0x7e)` (memchr) finds the prefix. The
 * padding is plain `x`, JSON-safe. The timestamp is {@link monoUs}: CLOCK_MONOTONIC,
 * comparable across processes on one host.
 */

export const MARKER = 0x7e;
/** Marker + 8 + dot + 12. */
export const PREFIX_LENGTH = 22;

const HEX = Buffer.from('0123456789abcdef');
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX[i]!] = i;

/** Microseconds on the monotonic clock (shared by every process on the host). */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function writeHex(target: Buffer, offset: number, value: number, digits: number): void {
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    target[offset + i] = HEX[v % 16]!;
    v = Math.floor(v / 16);
  }
}

function readHex(buf: Buffer, offset: number, digits: number): number {
  let v = 0;
  for (let i = 0; i < digits; i++) {
    const d = HEX_VALUE[buf[offset + i]!]!;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** A payload of `size` bytes (≥ PREFIX_LENGTH) with padding; fill the prefix with {@link stampPayload}. */
export function blankPayload(size: number): Buffer {
  if (size < PREFIX_LENGTH) throw new RangeError(`payload size ${size} is below the ${PREFIX_LENGTH}-byte prefix`);
  const out = Buffer.alloc(size, 0x78);
  out[0] = MARKER;
  out[9] = 0x2e;
  return out;
}

/** Write sequence number and timestamp into a payload made by {@link blankPayload} (at `offset`). */
export function stampPayload(payload: Buffer, offset: number, seq: number, tsUs: number): void {
  writeHex(payload, offset + 1, seq >>> 0, 8);
  writeHex(payload, offset + 10, Math.max(0, Math.floor(tsUs)), 12);
}

/** Where the prefix starts in `buf[start, end)`, or -1. */
export function findPrefix(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(MARKER, start);
  return at >= 0 && at + PREFIX_LENGTH <= end ? at : -1;
}

/** The sequence number at a prefix found by {@link findPrefix} (-1 when malformed). */
export function readSeq(buf: Buffer, at: number): number {
  return readHex(buf, at + 1, 8);
}

/** The timestamp (µs) at a prefix found by {@link findPrefix} (-1 when malformed). */
export function readTs(buf: Buffer, at: number): number {
  return readHex(buf, at + 10, 12);
}
