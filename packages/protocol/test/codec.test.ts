import { describe, expect, it } from 'vitest';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeFailure,
  encodeMessage,
  encodeRequest,
  encodeResult,
  OrreryError,
  PING_TEXT,
  PONG_TEXT,
  WELCOME_TEXT,
} from '@orrery/protocol';

function decodeFails(decode: (text: string) => unknown, text: string): OrreryError {
  try {
    decode(text);
  } catch (error) {
    expect(error).toBeInstanceOf(OrreryError);
    expect((error as OrreryError).code).toBe('ORRERY_DECODE_ERROR');
    return error as OrreryError;
  }
  throw new Error(`decoding ${text} did not fail`);
}

describe('codec: encoding', () => {
  it('builds frames in the documented key order', () => {
    expect(encodeMessage('said', { text: 'hi' })).toBe('{"t":"msg","n":"said","d":{"text":"hi"}}');
    expect(encodeRequest(7, 'history', { room: 'a' })).toBe('{"t":"req","id":7,"n":"history","d":{"room":"a"}}');
    expect(encodeResult(7, [1, 2])).toBe('{"t":"res","id":7,"d":[1,2]}');
    expect(encodeFailure(7, 'NOT_FOUND', 'no "room"')).toBe('{"t":"err","id":7,"e":{"code":"NOT_FOUND","message":"no \\"room\\""}}');
  });

  it('omits d when the payload is undefined, and keeps null', () => {
    expect(encodeMessage('typing', undefined)).toBe('{"t":"msg","n":"typing"}');
    expect(encodeResult(1, undefined)).toBe('{"t":"res","id":1}');
    expect(encodeResult(1, null)).toBe('{"t":"res","id":1,"d":null}');
  });

  it('escapes names', () => {
    const text = encodeMessage('a"b\n', 1);
    expect(JSON.parse(text)).toEqual({ t: 'msg', n: 'a"b\n', d: 1 });
  });

  it('refuses data JSON cannot represent with ORRERY_NOT_SERIALIZABLE', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeMessage('x', cyclic)).toThrow(expect.objectContaining({ code: 'ORRERY_NOT_SERIALIZABLE' }));
    expect(() => encodeMessage('x', { n: 1n })).toThrow(expect.objectContaining({ code: 'ORRERY_NOT_SERIALIZABLE' }));
  });

  it('round-trips every encoder through the matching decoder', () => {
    expect(decodeClientFrame(encodeMessage('say', { text: 'x' }))).toEqual({ t: 'msg', n: 'say', d: { text: 'x' } });
    expect(decodeClientFrame(encodeRequest(3, 'h', undefined))).toEqual({ t: 'req', id: 3, n: 'h' });
    expect(decodeClientFrame(PING_TEXT)).toEqual({ t: 'ping' });
    expect(decodeClientFrame('{"t":"ack","seq":5}')).toEqual({ t: 'ack', seq: 5 });
    expect(decodeServerFrame(encodeMessage('said', 1))).toEqual({ t: 'msg', n: 'said', d: 1 });
    expect(decodeServerFrame(encodeResult(3, 'ok'))).toEqual({ t: 'res', id: 3, d: 'ok' });
    expect(decodeServerFrame(encodeFailure(3, 'C', 'm'))).toEqual({ t: 'err', id: 3, e: { code: 'C', message: 'm' } });
    expect(decodeServerFrame(PONG_TEXT)).toEqual({ t: 'pong' });
    expect(decodeServerFrame(WELCOME_TEXT)).toEqual({ t: 'welcome' });
    expect(decodeServerFrame('{"t":"msg","n":"said","d":1,"seq":9}')).toEqual({ t: 'msg', n: 'said', d: 1, seq: 9 });
  });
});

describe('codec: decoding refuses malformed envelopes with ORRERY_DECODE_ERROR', () => {
  it('not JSON, not an object', () => {
    expect(decodeFails(decodeClientFrame, 'hello').message).toMatch(/not JSON/);
    expect(decodeFails(decodeClientFrame, '[1,2]').message).toMatch(/not a JSON object/);
    expect(decodeFails(decodeServerFrame, 'null').message).toMatch(/not a JSON object/);
  });

  it('unknown or missing kinds', () => {
    expect(decodeFails(decodeClientFrame, '{"t":"join"}').message).toBe('unknown client frame kind "join" (expected "msg", "req", "ping" or "ack")');
    expect(decodeFails(decodeClientFrame, '{"n":"say"}').message).toMatch(/t is missing/);
    // server kinds are not client kinds and vice versa
    decodeFails(decodeClientFrame, PONG_TEXT);
    decodeFails(decodeServerFrame, PING_TEXT);
  });

  it('missing or bad fields', () => {
    expect(decodeFails(decodeClientFrame, '{"t":"msg"}').message).toBe('a "msg" frame needs "n", a non-empty string');
    expect(decodeFails(decodeClientFrame, '{"t":"msg","n":""}').message).toMatch(/non-empty string/);
    expect(decodeFails(decodeClientFrame, '{"t":"req","n":"h"}').message).toMatch(/needs "id"/);
    decodeFails(decodeClientFrame, '{"t":"req","id":-1,"n":"h"}');
    decodeFails(decodeClientFrame, '{"t":"req","id":1.5,"n":"h"}');
    decodeFails(decodeClientFrame, '{"t":"req","id":"1","n":"h"}');
    decodeFails(decodeClientFrame, '{"t":"ack"}');
    decodeFails(decodeServerFrame, '{"t":"msg","n":"x","seq":"1"}');
    decodeFails(decodeServerFrame, '{"t":"err","id":1,"e":"boom"}');
    decodeFails(decodeServerFrame, '{"t":"err","id":1,"e":{"code":1,"message":"m"}}');
    decodeFails(decodeServerFrame, '{"t":"welcome","resumed":"yes"}');
  });

  it('__proto__ keys stay plain data', () => {
    const env = decodeClientFrame('{"t":"msg","n":"say","d":{"__proto__":{"polluted":true}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });
});
