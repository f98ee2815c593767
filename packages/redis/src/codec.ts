/**
 * Payloads on the registry's shard channels: JSON text, encoded once per call whatever the
 * number of recipients.
 *
 * - group channel: `["g", originNodeId, message]` (the channel names the group; the origin
 *   lets the publishing node skip its own copy — it delivered locally already);
 * - inbox channel: `["d", namespace, name, message]`.
 *
 * Anything else on our channels (another program's PUBLISH, a corrupted payload) decodes to
 * `undefined`: the caller logs it and drops it.
 */

/** A decoded group message. */
export interface GroupPayload {
  readonly kind: 'g';
  readonly origin: string;
  readonly message: unknown;
}

/** A decoded `sendMessage` delivery. */
export interface DirectPayload {
  readonly kind: 'd';
  readonly ns: string;
  readonly name: string;
  readonly message: unknown;
}

/** Encode a group message (once per publish). */
export function encodeGroup(origin: string, message: unknown): string {
  return JSON.stringify(['g', origin, message]);
}

/** Encode a `sendMessage` delivery. */
export function encodeDirect(ns: string, name: string, message: unknown): string {
  return JSON.stringify(['d', ns, name, message]);
}

/** Decode a payload; `undefined` when it is not one of ours. */
export function decodePayload(text: string): GroupPayload | DirectPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (value.length === 3 && value[0] === 'g' && typeof value[1] === 'string') {
    return { kind: 'g', origin: value[1], message: value[2] as unknown };
  }
  if (value.length === 4 && value[0] === 'd' && typeof value[1] === 'string' && typeof value[2] === 'string') {
    return { kind: 'd', ns: value[1], name: value[2], message: value[3] as unknown };
  }
  return undefined;
}
