/**
 * Session tokens and the resume request subprotocol `orrery.resume.<token>.<lastSeq>`.
 *
 * A token is `<owning node id, hex>-<session number, base 36>-<128-bit secret, base64url>`:
 * any node can tell which node holds the session; only the holder can check the secret.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { RESUME_PROTOCOL_PREFIX } from '@orrery/protocol';

/** A parsed session token. */
export interface SessionToken {
  readonly node: string;
  readonly sid: number;
  readonly secret: string;
}

/** A resume request read from the offered subprotocols. */
export interface ResumeRequest {
  readonly token: SessionToken;
  readonly lastSeq: number;
}

/** A fresh random secret. */
export function newSecret(): string {
  return randomBytes(16).toString('base64url');
}

/** The wire form of a token. */
export function formatToken(node: string, sid: number, secret: string): string {
  return `${Buffer.from(node, 'utf8').toString('hex')}-${sid.toString(36)}-${secret}`;
}

/** Parse a token; `undefined` when malformed. */
export function parseToken(text: string): SessionToken | undefined {
  const a = text.indexOf('-');
  const b = a < 0 ? -1 : text.indexOf('-', a + 1);
  if (a <= 0 || b < 0) return undefined;
  const nodeHex = text.slice(0, a);
  const sidText = text.slice(a + 1, b);
  const secret = text.slice(b + 1);
  if (!/^(?:[0-9a-f]{2})+$/.test(nodeHex) || !/^[0-9a-z]{1,11}$/.test(sidText) || !/^[A-Za-z0-9_-]{22}$/.test(secret)) return undefined;
  return { node: Buffer.from(nodeHex, 'hex').toString('utf8'), sid: parseInt(sidText, 36), secret };
}

/**
 * The resume request among the offered subprotocols: `undefined` when none was offered,
 * `'malformed'` when one was offered but cannot be read.
 */
export function findResumeRequest(offered: ReadonlySet<string>): ResumeRequest | 'malformed' | undefined {
  for (const protocol of offered) {
    if (!protocol.startsWith(RESUME_PROTOCOL_PREFIX)) continue;
    const rest = protocol.slice(RESUME_PROTOCOL_PREFIX.length);
    const dot = rest.lastIndexOf('.');
    const token = dot > 0 ? parseToken(rest.slice(0, dot)) : undefined;
    const lastSeq = Number(rest.slice(dot + 1));
    if (token === undefined || !Number.isSafeInteger(lastSeq) || lastSeq < 0 || rest.slice(dot + 1) === '') return 'malformed';
    return { token, lastSeq };
  }
  return undefined;
}

/** Constant-time comparison of two secrets. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
