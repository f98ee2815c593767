/**
 * Options of presence, their defaults, and the checks on what callers pass (keys, metadata).
 */
import { OrreryError } from '@orrery/protocol';
import { assertJsonValue, assertName } from '../registry/validate.js';

/** Options of presence (every node of a cluster should use the same values). */
export interface PresenceOptions {
  /**
   * How often subscribers get the changes of a group: at most one `presence_diff` per group
   * per interval, carrying every change since the last one. Shorter is livelier and costs more
   * messages in busy groups.
   * @default 500
   */
  diffIntervalMs?: number;
  /**
   * Largest metadata of one tracked connection, in UTF-8 bytes of its JSON. Larger metadata
   * throws `ORRERY_PRESENCE_META_TOO_LARGE` at the call; nothing is tracked.
   * @default 1_024
   */
  maxMetaBytes?: number;
  /**
   * Most members (distinct keys) of one group, cluster-wide. A track that would add one more
   * rejects with `ORRERY_PRESENCE_FULL` and tracks nothing; connections of keys already in the
   * group are still tracked (up to `maxConnectionsPerKey`).
   * @default 10_000
   */
  maxMembers?: number;
  /**
   * Most tracked connections of one key in one group, cluster-wide (tabs of one user). One
   * more rejects with `ORRERY_PRESENCE_FULL`.
   * @default 32
   */
  maxConnectionsPerKey?: number;
}

/** Options after defaults. */
export interface ResolvedPresenceOptions {
  readonly diffIntervalMs: number;
  readonly maxMetaBytes: number;
  readonly maxMembers: number;
  readonly maxConnectionsPerKey: number;
}

/** Defaults of {@link PresenceOptions}. */
export const presenceDefaults = {
  diffIntervalMs: 500,
  maxMetaBytes: 1_024,
  maxMembers: 10_000,
  maxConnectionsPerKey: 32,
} as const;

function integer(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', `presence: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return v;
}

/** Apply defaults; throw `ORRERY_INVALID_OPTIONS` on values out of range. */
export function resolvePresenceOptions(options: PresenceOptions = {}): ResolvedPresenceOptions {
  return {
    diffIntervalMs: integer(options.diffIntervalMs, presenceDefaults.diffIntervalMs, 'diffIntervalMs', 1, 60_000),
    maxMetaBytes: integer(options.maxMetaBytes, presenceDefaults.maxMetaBytes, 'maxMetaBytes', 4, 1_048_576),
    maxMembers: integer(options.maxMembers, presenceDefaults.maxMembers, 'maxMembers', 1, 10_000_000),
    maxConnectionsPerKey: integer(options.maxConnectionsPerKey, presenceDefaults.maxConnectionsPerKey, 'maxConnectionsPerKey', 1, 100_000),
  };
}

/**
 * Check a key and metadata; returns the metadata's JSON. Throws `ORRERY_INVALID_NAME` (a key
 * that is not 1–256 UTF-8 bytes), `ORRERY_NOT_SERIALIZABLE` (metadata that is not a JSON
 * value) or `ORRERY_PRESENCE_META_TOO_LARGE`.
 */
export function checkTrack(key: unknown, meta: unknown, maxMetaBytes: number): string {
  assertName(key, 'presence key');
  assertJsonValue(meta);
  const json = JSON.stringify(meta);
  // A UTF-16 unit is at most 3 UTF-8 bytes: count only when it could matter.
  if (json.length * 3 > maxMetaBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxMetaBytes) {
      throw new OrreryError(
        'ORRERY_PRESENCE_META_TOO_LARGE',
        `presence metadata is ${bytes} bytes of JSON; the limit is ${maxMetaBytes} (maxMetaBytes) — keep it small (a name, an avatar URL, a status) and load the rest on demand`,
      );
    }
  }
  return json;
}

/** `ORRERY_REGISTRY_CLOSED` for a call on closed presence (a rejected promise). */
export function closedError(): Promise<never> {
  return Promise.reject(new OrreryError('ORRERY_REGISTRY_CLOSED', 'presence is closed; create a new one (and a new registry)'));
}
