/**
 * ws's static `Sender.frame` (exported by ws, missing from @types/ws): builds a frame once
 * so that a broadcast writes the same bytes to every socket.
 */
import * as ws from 'ws';

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}

const Sender = (ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } }).Sender;

/** An unmasked server frame (header + payload in one buffer) for `data`. */
export function frameOnce(data: Buffer, opcode = 0x1): Buffer {
  const list = Sender.frame(data, { fin: true, rsv1: false, opcode, mask: false, readOnly: false });
  return list.length === 1 ? list[0]! : Buffer.concat(list);
}
