/**
 * Outgoing messages as each server kind expects them, built from one template per size:
 * plain text for raw websocket servers and Orrery's raw handlers, a Socket.IO event
 * `42["m","…"]` for Socket.IO, an `orrery.v1` client message for Orrery's typed layer. The payload prefix is stamped in place, then the frame is masked into a new
 * buffer (one allocation per message; nothing is stringified).
 */
import { MaskSource, OP_TEXT, clientFrame, clientHeaderLength, writeClientFrame } from '../wire/frames.js';
import { blankPayload, stampPayload } from '../wire/payload.js';
import type { WireProtocol } from './client.js';

const SIO_HEAD = Buffer.from('42["m","');
const SIO_TAIL = Buffer.from('"]');
const ORRERY_HEAD = Buffer.from('{"t":"msg","n":"say","d":{"text":"');
const ORRERY_TAIL = Buffer.from('"}}');

/** A reusable message template of `bytes` payload bytes. */
export class Envelope {
  private readonly template: Buffer;
  private readonly offset: number;

  constructor(protocol: WireProtocol, bytes: number, private readonly masks: MaskSource) {
    const payload = blankPayload(bytes);
    if (protocol === 'sio') {
      this.template = Buffer.concat([SIO_HEAD, payload, SIO_TAIL]);
      this.offset = SIO_HEAD.length;
    } else if (protocol === 'orrery') {
      this.template = Buffer.concat([ORRERY_HEAD, payload, ORRERY_TAIL]);
      this.offset = ORRERY_HEAD.length;
    } else {
      this.template = payload;
      this.offset = 0;
    }
  }

  /** One masked text frame carrying `seq` and `tsUs`. */
  frame(seq: number, tsUs: number): Buffer {
    stampPayload(this.template, this.offset, seq, tsUs);
    return clientFrame(OP_TEXT, this.template, this.masks);
  }

  /** `count` masked frames back to back in one buffer (one write: a burst). */
  frames(count: number, firstSeq: number, tsUs: number): Buffer {
    const one = clientHeaderLength(this.template.length) + this.template.length;
    const out = Buffer.allocUnsafe(one * count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      stampPayload(this.template, this.offset, firstSeq + i, tsUs);
      offset = writeClientFrame(out, offset, OP_TEXT, this.template, this.masks);
    }
    return out;
  }
}
