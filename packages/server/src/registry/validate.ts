import { OrreryError } from '@orrery/protocol';

/** Longest unique name or group name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 256;
/** Deepest nesting a registry message may have (also stops cycles). */
export const MAX_MESSAGE_DEPTH = 64;

/**
 * Throw `ORRERY_INVALID_NAME` unless `name` is a string of 1–256 UTF-8 bytes.
 * `what` names the argument in the message ("unique name", "group").
 */
export function assertName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string') {
    throw new OrreryError('ORRERY_INVALID_NAME', `${what} must be a string, got ${describe(name)}`);
  }
  if (name.length === 0) {
    throw new OrreryError('ORRERY_INVALID_NAME', `${what} must not be empty`);
  }
  // 85 UTF-16 units are at most 255 UTF-8 bytes: skip the count for short names.
  if (name.length > 85 && Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw new OrreryError(
      'ORRERY_INVALID_NAME',
      `${what} is ${Buffer.byteLength(name, 'utf8')} bytes; the limit is ${MAX_NAME_BYTES} UTF-8 bytes`,
    );
  }
}

/**
 * Throw `ORRERY_NOT_SERIALIZABLE` unless `value` is a JSON value: null, a boolean, a finite
 * number, a string, an array or a plain object of JSON values. Dates, Maps, class instances,
 * functions, `undefined`, `NaN`, BigInt and cycles are refused, so that a message behaves the
 * same on the in-memory backend (which passes the object itself) and on Redis (which encodes it).
 */
export function assertJsonValue(value: unknown): void {
  const problem = findNonJson(value, 0);
  if (problem !== undefined) {
    throw new OrreryError('ORRERY_NOT_SERIALIZABLE', `registry message is not a JSON value: ${problem}`);
  }
}

function findNonJson(value: unknown, depth: number, path = '$'): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}`;
    case 'object': {
      if (value === null) return undefined;
      if (depth >= MAX_MESSAGE_DEPTH) return `${path} nests deeper than ${MAX_MESSAGE_DEPTH} levels (or is cyclic)`;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = findNonJson(value[i], depth + 1, `${path}[${i}]`);
          if (p !== undefined) return p;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return `${path} is a ${describe(value)}, not a plain object`;
      }
      for (const key in value) {
        const p = findNonJson((value as Record<string, unknown>)[key], depth + 1, `${path}.${key}`);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    default:
      return `${path} is ${describe(value)}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  if (typeof value === 'bigint') return 'a BigInt';
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
