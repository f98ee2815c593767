import * as wsModule from 'ws';
import { describe, expect, it } from 'vitest';
import { encodeDataFrame, encodeShared, frameText, ReceivedTextFrame } from '../src/frames.js';
import { compilePath } from '../src/router.js';

type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const reference = (opcode: number, payload: Buffer) => Buffer.concat(Sender.frame(payload, { fin: true, opcode, mask: false, readOnly: true, rsv1: false }));

describe('server frames', () => {
  it('match ws Sender.frame byte for byte at every length boundary', () => {
    for (const size of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const text = 'a'.repeat(size);
      expect(frameText(text).equals(reference(0x1, Buffer.from(text)))).toBe(true);
      const bytes = Buffer.alloc(size, 0xab);
      expect(encodeDataFrame({ type: 'binary', data: bytes }).equals(reference(0x2, bytes))).toBe(true);
    }
    const multi = 'é✓😀';
    expect(frameText(multi).equals(reference(0x1, Buffer.from(multi)))).toBe(true);
  });

  it('a received text frame decodes lazily and is echoed from its bytes', () => {
    const bytes = Buffer.from('héllo');
    const frame = new ReceivedTextFrame(bytes);
    expect(frame.rawBytes()).toBe(bytes);
    expect(encodeDataFrame(frame).equals(reference(0x1, bytes))).toBe(true);
    expect(frame.data).toBe('héllo');
    expect(frame.rawBytes()).toBeUndefined();
    expect(encodeDataFrame(frame).equals(reference(0x1, bytes))).toBe(true);
    expect(JSON.stringify(frame)).toBe('{"type":"text","data":"héllo"}');
  });

  it('a shared frame object is encoded once', () => {
    const frame = { type: 'text', data: 'broadcast' } as const;
    expect(encodeShared(frame)).toBe(encodeShared(frame));
    expect(encodeShared({ ...frame })).not.toBe(encodeShared(frame));
  });
});

describe('route paths', () => {
  it('match literals, params, trailing slashes and rest segments', () => {
    expect(compilePath('/echo').match('/echo')).toEqual({});
    expect(compilePath('/echo').match('/echo/')).toEqual({});
    expect(compilePath('/echo').match('/echoes')).toBeUndefined();
    expect(compilePath('/rooms/:room').match('/rooms/a%20b')).toEqual({ room: 'a b' });
    expect(compilePath('/rooms/:room').match('/rooms/')).toBeUndefined();
    expect(compilePath('/rooms/:room').match('/rooms/a/b')).toBeUndefined();
    expect(compilePath('/a/:x/b/:y').match('/a/1/b/2')).toEqual({ x: '1', y: '2' });
    expect(compilePath('/files/*').match('/files/a/b.txt')).toEqual({ rest: 'a/b.txt' });
    expect(compilePath('/files/*path').match('/files/')).toEqual({ path: '' });
    expect(compilePath('/rooms/:room').match('/rooms/%E0%A4%A')).toBe('bad-encoding');
  });

  it('refuse malformed patterns', () => {
    expect(() => compilePath('rooms')).toThrowError(/must start with/);
    expect(() => compilePath('/a/:x/:x')).toThrowError(/bad or repeated/);
    expect(() => compilePath('/a/*/b')).toThrowError(/must be the last/);
    expect(() => compilePath('/a/:')).toThrowError(/bad or repeated/);
  });
});
