import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PREFIX_LENGTH, blankPayload, findPrefix, monoUs, readSeq, readTs, stampPayload } from '../src/wire/payload.js';

describe('payload prefix', () => {
  it('round-trips sequence and timestamp at a fixed offset, found inside an envelope', () => {
    const payload = blankPayload(64);
    const ts = monoUs();
    stampPayload(payload, 0, 0xdeadbeef, ts);
    const envelope = Buffer.concat([Buffer.from('42["m","'), payload, Buffer.from('"]')]);
    const at = findPrefix(envelope, 0, envelope.length);
    expect(at).toBe(8);
    expect(readSeq(envelope, at)).toBe(0xdeadbeef);
    expect(readTs(envelope, at)).toBe(Math.floor(ts));
    expect(payload.length).toBe(64);
    expect(/^[\x20-\x7e]+$/.test(payload.toString('latin1'))).toBe(true);
  });

  it('reports a missing or cut prefix as -1', () => {
    const payload = blankPayload(PREFIX_LENGTH);
    stampPayload(payload, 0, 1, 2);
    expect(findPrefix(payload, 0, payload.length)).toBe(0);
    expect(findPrefix(payload, 0, PREFIX_LENGTH - 1)).toBe(-1);
    expect(findPrefix(Buffer.from('no marker here'), 0, 14)).toBe(-1);
    const broken = Buffer.from(payload);
    broken[3] = 0x7a; // 'z' is not a hex digit
    expect(readSeq(broken, 0)).toBe(-1);
    expect(() => blankPayload(PREFIX_LENGTH - 1)).toThrow(RangeError);
  });

  it('uses a clock that another process reads the same (CLOCK_MONOTONIC µs)', () => {
    const before = monoUs();
    const child = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.hrtime.bigint() / 1000n))']).toString());
    const after = monoUs();
    expect(child).toBeGreaterThanOrEqual(before);
    expect(child).toBeLessThanOrEqual(after);
  });
});
