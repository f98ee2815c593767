import { describe, expect, it } from 'vitest';
import {
  FrameError,
  FrameParser,
  MaskSource,
  OP_BINARY,
  OP_PING,
  OP_TEXT,
  clientFrame,
  clientHeaderLength,
} from '../src/wire/frames.js';
import { frameOnce } from '../src/servers/ws-sender.js';

/** Unmask a client frame by hand (RFC 6455 §5.3): returns header fields, mask and payload. */
function decodeClientFrame(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; mask: Buffer; payload: Buffer } {
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = frame.subarray(offset, offset + 4);
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = frame[offset + 4 + i]! ^ mask[i & 3]!;
  return { fin: (frame[0]! & 0x80) !== 0, opcode: frame[0]! & 0x0f, masked: (frame[1]! & 0x80) !== 0, mask, payload };
}

describe('client frames', () => {
  it('masks every frame with a fresh non-zero mask, and the payload decodes back', () => {
    const masks = new MaskSource();
    const payload = Buffer.from('~00000001.000000000001xxxxxxxxxx');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const frame = clientFrame(OP_TEXT, payload, masks);
      const decoded = decodeClientFrame(frame);
      expect(decoded.fin).toBe(true);
      expect(decoded.opcode).toBe(OP_TEXT);
      expect(decoded.masked).toBe(true);
      expect(decoded.mask.equals(Buffer.alloc(4))).toBe(false);
      expect(decoded.payload.equals(payload)).toBe(true);
      // The bytes on the wire differ from the payload: masking really happened.
      expect(frame.subarray(6).equals(payload)).toBe(false);
      seen.add(decoded.mask.toString('hex'));
    }
    expect(seen.size).toBeGreaterThan(190);
  });

  it('uses the 16-bit and 64-bit length forms at 126 and 65536 bytes', () => {
    const masks = new MaskSource();
    for (const size of [0, 125, 126, 65535, 65536]) {
      const payload = Buffer.alloc(size, 0x61);
      const frame = clientFrame(OP_BINARY, payload, masks);
      expect(frame.length).toBe(clientHeaderLength(size) + size);
      expect(decodeClientFrame(frame).payload.equals(payload)).toBe(true);
    }
    expect(clientHeaderLength(125)).toBe(6);
    expect(clientHeaderLength(126)).toBe(8);
    expect(clientHeaderLength(65536)).toBe(14);
  });

  it('is accepted by the ws receiver with the exact payload', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const port = (wss.address() as { port: number }).port;
    const received = new Promise<{ data: string; isBinary: boolean }>((resolve) => {
      wss.once('connection', (ws) => ws.once('message', (data, isBinary) => resolve({ data: String(data), isBinary })));
    });
    const { LoadClient } = await import('../src/load/client.js');
    const client = new LoadClient(0, { host: '127.0.0.1', port, path: '/', protocol: 'ws' }, undefined, new MaskSource(), {
      message: () => {},
      closed: () => {},
    });
    await client.ready;
    client.write(clientFrame(OP_TEXT, Buffer.from('hello, masked world'), new MaskSource()));
    expect(await received).toEqual({ data: 'hello, masked world', isBinary: false });
    client.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});

describe('FrameParser', () => {
  const serverFrame = (data: Buffer): Buffer => frameOnce(data);

  it('reads frames split at every byte boundary, and several frames in one chunk', () => {
    const check = (payloads: Buffer[], steps: number[]): void => {
      const wire = Buffer.concat(payloads.map((p) => serverFrame(p)));
      for (const step of steps) {
        const got: string[] = [];
        const parser = new FrameParser((opcode, buf, start, end) => got.push(`${opcode}:${buf.subarray(start, end).toString('latin1')}`));
        for (let i = 0; i < wire.length; i += step) parser.push(wire.subarray(i, i + step));
        expect(got).toEqual(payloads.map((p) => `${OP_TEXT}:${p.toString('latin1')}`));
      }
    };
    check([Buffer.from('a'), Buffer.alloc(300, 0x62), Buffer.from(''), Buffer.alloc(126, 0x64)], [1, 2, 3, 7, 1 << 20]);
    check([Buffer.alloc(70_000, 0x63), Buffer.from('z')], [1000, 4096, 1 << 20]);
  });

  it('refuses a masked server frame and a fragmented control frame', () => {
    const parser = new FrameParser(() => {});
    expect(() => parser.push(clientFrame(OP_TEXT, Buffer.from('x'), new MaskSource()))).toThrow(FrameError);
    const badPing = Buffer.from([OP_PING, 0x00]); // FIN clear
    expect(() => new FrameParser(() => {}).push(badPing)).toThrow(/bad control frame/);
  });
});
