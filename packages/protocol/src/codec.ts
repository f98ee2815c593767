/**
 * Encoding and decoding `orrery.v1` envelopes (see envelope.ts).
 *
 * Encoders build the JSON text directly in the fixed key order; a payload that JSON cannot
 * represent (BigInt, a cycle) throws `ORRERY_NOT_SERIALIZABLE`. Decoders check the envelope's
 * shape (not the payload: that is the schema's job) and throw `ORRERY_DECODE_ERROR` with a
 * message that names what is wrong.
 */
import type {
  ClientEnvelope,
  FailureEnvelope,
  RequestId,
  ServerEnvelope,
} from './envelope.js';
import { OrreryError } from './errors.js';

/** `,"d":<json>` for a payload, or `''` when it is undefined (the field is then absent). */
function dataField(data: unknown): string {
  if (data === undefined) return '';
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new OrreryError('ORRERY_NOT_SERIALIZABLE', `message data cannot be encoded as JSON: ${(error as Error).message}`, { cause: error });
  }
  return json === undefined ? '' : `,"d":${json}`;
}

/** A `msg` frame (the same shape in both directions). */
export function encodeMessage(name: string, data: unknown): string {
  return `{"t":"msg","n":${JSON.stringify(name)}${dataField(data)}}`;
}

/** A `req` frame. */
export function encodeRequest(id: RequestId, name: string, input: unknown): string {
  return `{"t":"req","id":${id},"n":${JSON.stringify(name)}${dataField(input)}}`;
}

/** A `res` frame. */
export function encodeResult(id: RequestId, output: unknown): string {
  return `{"t":"res","id":${id}${dataField(output)}}`;
}

/** An `err` frame. */
export function encodeFailure(id: RequestId, code: string, message: string): string {
  return `{"t":"err","id":${id},"e":{"code":${JSON.stringify(code)},"message":${JSON.stringify(message)}}}`;
}

function decodeError(message: string, cause?: unknown): OrreryError {
  return new OrreryError('ORRERY_DECODE_ERROR', message, { cause });
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw decodeError(`frame is not JSON (${(error as Error).message}); orrery.v1 frames are JSON objects like {"t":"msg",...}`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw decodeError('frame is not a JSON object; orrery.v1 frames are JSON objects like {"t":"msg",...}');
  }
  return value as Record<string, unknown>;
}

function needName(env: Record<string, unknown>): void {
  if (typeof env.n !== 'string' || env.n === '') throw decodeError(`a "${String(env.t)}" frame needs "n", a non-empty string`);
}

function needId(env: Record<string, unknown>): void {
  const id = env.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw decodeError(`a "${String(env.t)}" frame needs "id", an integer from 0 to 2^53-1`);
  }
}

function needSeq(value: unknown, kind: string, optional: boolean): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw decodeError(`"seq" of a "${kind}" frame must be a non-negative integer`);
  }
}

/** An optional sequence field (`cs`, `a`) of resumable connections must be a non-negative integer. */
function needSeqField(env: Record<string, unknown>, key: 'cs' | 'a'): void {
  const value = env[key];
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw decodeError(`"${key}" of a "${String(env.t)}" frame must be a non-negative integer`);
  }
}

/** Decode a frame a client sent. @throws OrreryError `ORRERY_DECODE_ERROR` */
export function decodeClientFrame(text: string): ClientEnvelope {
  const env = parseObject(text);
  switch (env.t) {
    case 'msg':
      needName(env);
      needSeqField(env, 'cs');
      needSeqField(env, 'a');
      break;
    case 'req':
      needId(env);
      needName(env);
      needSeqField(env, 'a');
      break;
    case 'ping':
      needSeqField(env, 'a');
      break;
    case 'ack':
      needSeq(env.seq, 'ack', false);
      break;
    default:
      throw decodeError(`unknown client frame kind ${describeKind(env.t)} (expected "msg", "req", "ping" or "ack")`);
  }
  return env as unknown as ClientEnvelope;
}

/** Decode a frame a server sent. @throws OrreryError `ORRERY_DECODE_ERROR` */
export function decodeServerFrame(text: string): ServerEnvelope {
  const env = parseObject(text);
  switch (env.t) {
    case 'msg':
      needName(env);
      needSeq(env.seq, 'msg', true);
      break;
    case 'res':
      needId(env);
      break;
    case 'err':
      needId(env);
      checkFailure(env.e);
      break;
    case 'welcome':
      if (env.session !== undefined && typeof env.session !== 'string') throw decodeError('"session" of a "welcome" frame must be a string');
      if (env.resumed !== undefined && typeof env.resumed !== 'boolean') throw decodeError('"resumed" of a "welcome" frame must be a boolean');
      break;
    case 'pong':
      break;
    case 'ack':
      needSeq(env.seq, 'ack', false);
      break;
    default:
      throw decodeError(`unknown server frame kind ${describeKind(env.t)} (expected "welcome", "msg", "res", "err", "pong" or "ack")`);
  }
  return env as unknown as ServerEnvelope;
}

function checkFailure(e: unknown): asserts e is FailureEnvelope['e'] {
  const f = e as { code?: unknown; message?: unknown } | null;
  if (typeof f !== 'object' || f === null || typeof f.code !== 'string' || typeof f.message !== 'string') {
    throw decodeError('an "err" frame needs "e": {"code": string, "message": string}');
  }
}

function describeKind(t: unknown): string {
  return typeof t === 'string' ? JSON.stringify(t.length > 20 ? `${t.slice(0, 20)}…` : t) : `(t is ${t === undefined ? 'missing' : typeof t})`;
}
