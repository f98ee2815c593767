/**
 * `Conn`: what every callback of a connection sees. Built from the upgrade request before
 * `connect`; `assigns` set in `connect` travel with it to every later callback.
 *
 * To keep idle connections small (no retained HTTP request), `headers` and `cookies` are
 * readable in `connect` and `init` only, unless the route sets `retainRequest: true`; copy
 * what later callbacks need into `assigns`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OrreryError } from '@orrery/protocol';
import type { Registry } from './registry/view.js';
import type { RegistryMember } from './registry/types.js';

/** The request facts a Conn is built from. */
export interface ConnInit {
  id: string;
  route: string;
  path: string;
  pathParams: Readonly<Record<string, string>>;
  rawQuery: string;
  method: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  registry: Registry<unknown>;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

interface ConnInternals {
  setMember(conn: Conn<object, unknown>, member: RegistryMember | undefined): void;
  member(conn: Conn<object, unknown>): RegistryMember | undefined;
  responseHeaders(conn: Conn<object, unknown>): Readonly<Record<string, string>>;
  /** The 101 was sent: response headers are frozen; the subprotocol is known. */
  upgraded(conn: Conn<object, unknown>, protocol: string): void;
  /** `init` finished: drop the request headers unless retained. */
  releaseRequest(conn: Conn<object, unknown>): void;
}
let internals: ConnInternals | undefined;

/**
 * One websocket connection as handlers see it.
 *
 * @typeParam A - assigns, set in `connect` with {@link Conn.assign}
 * @typeParam M - messages the route's registry carries
 */
export class Conn<A extends object = Record<string, unknown>, M = unknown> {
  /** Unique id of this connection (in logs and registry entries). */
  readonly id: string;
  /** Name of the route that accepted it. */
  readonly route: string;
  /** Request path, without the query string. */
  readonly path: string;
  /** Values of `:param` segments of the route's path. */
  readonly pathParams: Readonly<Record<string, string>>;
  /** Always `'GET'` for a websocket upgrade. */
  readonly method: string;
  /** Peer address of the TCP connection. */
  readonly remoteAddress: string;
  /** The route's registry namespace. */
  readonly registry: Registry<M>;
  /** Values set in `connect` (user id, …); every later callback sees them. */
  assigns: A;
  /** When the handshake arrived (ms since the epoch). */
  readonly connectedAt: number;

  #protocol = '';
  #rawQuery: string;
  #query: URLSearchParams | undefined;
  #headers: IncomingHttpHeaders | undefined;
  #cookies: Readonly<Record<string, string>> | undefined;
  #responseHeaders: Record<string, string> | undefined;
  #upgraded = false;
  #member: RegistryMember | undefined;

  static {
    internals = {
      setMember: (conn, member) => { conn.#member = member; },
      member: (conn) => conn.#member,
      responseHeaders: (conn) => conn.#responseHeaders ?? NO_HEADERS,
      upgraded: (conn, protocol) => {
        conn.#upgraded = true;
        conn.#protocol = protocol;
        conn.#responseHeaders = undefined;
      },
      releaseRequest: (conn) => {
        conn.#headers = undefined;
        conn.#cookies = undefined;
      },
    };
  }

  constructor(init: ConnInit) {
    this.id = init.id;
    this.route = init.route;
    this.path = init.path;
    this.pathParams = init.pathParams;
    this.method = init.method;
    this.remoteAddress = init.remoteAddress;
    this.registry = init.registry as Registry<M>;
    this.#rawQuery = init.rawQuery;
    this.#headers = init.headers;
    this.assigns = {} as A;
    this.connectedAt = Date.now();
  }

  /** The websocket subprotocol the server selected (`''` when none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** Parsed query string (parsed on first access). */
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#rawQuery));
  }

  /** Request headers (lower-case names). Readable in `connect` and `init` only, unless retained. */
  get headers(): Readonly<IncomingHttpHeaders> {
    if (this.#headers === undefined) throw released('headers');
    return this.#headers;
  }

  /** Request cookies. Readable in `connect` and `init` only, unless retained. */
  get cookies(): Readonly<Record<string, string>> {
    if (this.#headers === undefined) throw released('cookies');
    return (this.#cookies ??= parseCookies(this.#headers.cookie));
  }

  /** Merge values into `assigns`. Returns `this`, so `connect` can `return conn.assign({...})`. */
  assign(values: Partial<A>): this {
    Object.assign(this.assigns, values);
    return this;
  }

  /** Set a header on the 101 response (in `connect` only). */
  setResponseHeader(name: string, value: string): this {
    if (this.#upgraded) {
      throw new OrreryError('ORRERY_REQUEST_RELEASED', 'response headers can only be set in connect, before the 101 is sent');
    }
    if (!HEADER_NAME.test(name)) {
      throw new OrreryError('ORRERY_INVALID_HEADER', `invalid response header name ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string' || HEADER_VALUE_FORBIDDEN.test(value)) {
      throw new OrreryError('ORRERY_INVALID_HEADER', `response header ${name} must be a string without CR, LF or NUL`);
    }
    (this.#responseHeaders ??= {})[name] = value;
    return this;
  }
}

function released(what: string): OrreryError {
  return new OrreryError(
    'ORRERY_REQUEST_RELEASED',
    `conn.${what} is only readable in connect and init; copy what you need into conn.assigns, or set retainRequest: true on the route`,
  );
}

function parseCookies(header: string | undefined): Readonly<Record<string, string>> {
  const cookies: Record<string, string> = {};
  if (header === undefined) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name === '' || name in cookies) continue;
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

function connInternals(): ConnInternals {
  if (internals === undefined) throw new Error('unreachable: Conn static block did not run');
  return internals;
}

/** The live registry member behind a connection (undefined during connect and after terminate). */
export function memberOfConn(conn: Conn<object, unknown>): RegistryMember | undefined {
  return connInternals().member(conn);
}

/** @internal server-side lifecycle hooks; not exported from the package. */
export const connLifecycle = {
  setMember: (conn: Conn<object, unknown>, member: RegistryMember | undefined): void => connInternals().setMember(conn, member),
  responseHeaders: (conn: Conn<object, unknown>): Readonly<Record<string, string>> => connInternals().responseHeaders(conn),
  upgraded: (conn: Conn<object, unknown>, protocol: string): void => connInternals().upgraded(conn, protocol),
  releaseRequest: (conn: Conn<object, unknown>): void => connInternals().releaseRequest(conn),
};
