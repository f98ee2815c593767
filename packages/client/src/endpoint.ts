/**
 * Where to connect: the URL, query parameters and bearer token, each a value or a (possibly
 * async) provider that is called again before every connection attempt — so a refreshed
 * token is used on the next reconnect.
 *
 * The token travels as the subprotocol `orrery.bearer.<base64url(UTF-8)>`, offered after
 * `orrery.v1` (browsers cannot set headers on a websocket, and a token in the URL ends up in
 * logs); the server reads it with `bearerToken(conn)` from @orrery/server.
 */
import { ORRERY_SUBPROTOCOL, OrreryError } from '@orrery/protocol';

/** A value, or a function giving it (sync or async), called before every connection attempt. */
export type Provider<T> = T | (() => T | PromiseLike<T>);

/** What an attempt connects to. */
export interface Endpoint {
  readonly url: string;
  readonly protocols: string[];
}

/** The endpoint options of the client. */
export interface EndpointOptions {
  readonly url: Provider<string | URL>;
  readonly params?: Provider<Readonly<Record<string, string | undefined>> | undefined>;
  readonly token?: Provider<string | undefined>;
}

const BEARER_PREFIX = 'orrery.bearer.';

/** Resolve the providers and build the endpoint. Rejects with `ORRERY_ENDPOINT_FAILED`. */
export async function resolveEndpoint(options: EndpointOptions): Promise<Endpoint> {
  let raw: unknown;
  let params: Readonly<Record<string, string | undefined>> | undefined;
  let token: string | undefined;
  try {
    [raw, params, token] = await Promise.all([call(options.url), call(options.params), call(options.token)]);
  } catch (error) {
    throw new OrreryError('ORRERY_ENDPOINT_FAILED', `the url, params or token provider failed: ${String(error)}`, { cause: error });
  }
  if (typeof raw !== 'string' && !(raw instanceof URL)) {
    throw new OrreryError('ORRERY_ENDPOINT_FAILED', `the url provider returned ${typeof raw}; it must return a string or a URL`);
  }
  const url = websocketUrl(raw);
  for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  const protocols = [ORRERY_SUBPROTOCOL];
  if (token !== undefined && token !== '') protocols.push(BEARER_PREFIX + base64url(token));
  return { url: url.href, protocols };
}

/**
 * `raw` as a ws:/wss: URL: http(s) maps to ws(s); a relative URL resolves against the page's
 * location in browsers. Throws `ORRERY_ENDPOINT_FAILED`.
 */
export function websocketUrl(raw: string | URL): URL {
  let url: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    url = new URL(String(raw), base);
  } catch (error) {
    throw new OrreryError('ORRERY_ENDPOINT_FAILED', `${JSON.stringify(String(raw))} is not a URL; give ws://host/path, wss://…, or a path in a browser`, { cause: error });
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new OrreryError('ORRERY_ENDPOINT_FAILED', `${url.href}: a websocket URL must use ws:, wss:, http: or https:`);
  }
  url.hash = '';
  return url;
}

function call<T>(provider: Provider<T> | undefined): T | PromiseLike<T> | undefined {
  return typeof provider === 'function' ? (provider as () => T | PromiseLike<T>)() : provider;
}

function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
