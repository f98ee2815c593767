/**
 * Turning what typed callbacks return into frames.
 *
 * Encode-once: a message object that reaches many connections (a group publish whose
 * `handleServerMessage` returns it, or the default forward) is validated and encoded once —
 * a WeakMap maps the message object to its text frame object, and the transport caches the
 * wire bytes per frame object (`encodeShared`), so N recipients cost one JSON.stringify and
 * one frame build. Replies and messages from `init` / `messages.*` are per connection and
 * are not cached.
 */
import {
  assertServerMessage,
  assertValid,
  encodeFailure,
  encodeMessage,
  encodeResult,
  OrreryError,
  type AnyProtocol,
  type RequestId,
  type RequestSpec,
} from '@orrery/protocol';
import { MessageFrame } from '../frames.js';
import type { Frame, TextFrame } from '../types.js';
import { RequestFailure } from './fail.js';

const NO_FRAMES: readonly Frame[] = Object.freeze([]);

/** Encodes one handler's outgoing messages and replies. */
export class OutgoingEncoder {
  private readonly cache = new WeakMap<object, TextFrame>();

  constructor(
    private readonly protocol: AnyProtocol,
    private readonly validate: boolean,
  ) {}

  /**
   * The frames for `list`, the messages a callback returned. `shared`: the messages may reach
   * many connections (cache per object). Throws `ORRERY_INVALID_RESULT` / `ORRERY_INVALID_MESSAGE`.
   */
  frames(list: unknown, where: string, shared: boolean, first?: TextFrame): readonly Frame[] {
    if (!Array.isArray(list)) {
      throw new OrreryError('ORRERY_INVALID_RESULT', `${where} must return [state, messages] with messages an array, got ${typeof list}`);
    }
    if (list.length === 0) return first === undefined ? NO_FRAMES : [first];
    const out: Frame[] = first === undefined ? [] : [first];
    for (let i = 0; i < list.length; i++) {
      const item: unknown = list[i];
      if (typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'close') out.push(item as Frame);
      else out.push(shared ? this.shared(item, where) : this.message(item, where));
    }
    return out;
  }

  /** A registry message's frame, cached per message object. */
  shared(message: unknown, where: string): TextFrame {
    if (typeof message === 'object' && message !== null) {
      const cached = this.cache.get(message);
      if (cached !== undefined) return cached;
      const frame = this.message(message, where);
      this.cache.set(message, frame);
      return frame;
    }
    return this.message(message, where);
  }

  /** One server message's frame. */
  message(message: unknown, where: string): TextFrame {
    assertServerMessage(this.protocol, message, where, this.validate);
    return new MessageFrame(encodeMessage(message.name, message.data));
  }

  /** The frame answering request `id`. */
  reply(id: RequestId, name: string, spec: RequestSpec, reply: unknown, where: string): TextFrame {
    if (reply instanceof RequestFailure) {
      if (spec.errors === undefined || !spec.errors.includes(reply.code)) {
        throw new OrreryError(
          'ORRERY_INVALID_RESULT',
          `${where} failed with "${reply.code}", which is not among requests.${name}.errors (${spec.errors?.join(', ') || 'none declared'})`,
        );
      }
      return { type: 'text', data: encodeFailure(id, reply.code, String(reply.message)) };
    }
    if (this.validate) assertValid(spec.output, reply, name, where);
    return { type: 'text', data: encodeResult(id, reply) };
  }
}

/** A close frame built by the typed layer. */
export function closeFrame(code: number, reason: string): Frame {
  return { type: 'close', code, reason };
}
