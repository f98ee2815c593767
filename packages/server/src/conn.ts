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

/** What every connection of one route shares (one object per route, not per connection). */
export interface ConnSite {
  /** Prefix of connection ids (the node id and a dot). */
  readonly idPrefix: string;
  /** Route name. */
  readonly route: string;
  readonly registry: Registry<unknown>;
}

/** The request facts a Conn is built from. */
export interface ConnInit {
  site: ConnSite;
  /** Sequence number of the connection on this node (the id is `idPrefix` + base-36 seq). */
  seq: number;
  path: string;
  pathParams: Readonly<Record<string, string>>;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
}

/** Handshake-only parts, dropped after init (no retained request per idle connection). */
interface RequestPart {
  headers: IncomingHttpHeaders;
  cookies: Readonly<Record<string, string>> | undefined;
  responseHeaders: Record<string, string> | undefined;
  upgraded: boolean;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** connectedAt is kept relative to this, so it stays a small integer. */
const EPOCH = Date.now();

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
  /** Request path, without the query string. */
  readonly path: string;
  /** Values of `:param` segments of the route's path. */
  readonly pathParams: Readonly<Record<string, string>>;
  /** Peer address of the TCP connection. */
  readonly remoteAddress: string;

  #site: ConnSite;
  #seq: number;
  #connectedAt: number;
  #assigns: A | undefined;
  #protocol = '';
  /** The raw query string until first read, then its parsed form. */
  #query: string | URLSearchParams;
  #request: RequestPart | undefined;
  #member: RegistryMember | undefined;

  static {
    internals = {
      setMember: (conn, member) => { conn.#member = member; },
      member: (conn) => conn.#member,
      responseHeaders: (conn) => conn.#request?.responseHeaders ?? NO_HEADERS,
      upgraded: (conn, protocol) => {
        conn.#protocol = protocol;
        if (conn.#request !== undefined) {
          conn.#request.upgraded = true;
          conn.#request.responseHeaders = undefined;
        }
      },
      releaseRequest: (conn) => { conn.#request = undefined; },
    };
  }

  constructor(init: ConnInit) {
    this.#site = init.site;
    this.#seq = init.seq;
    this.path = init.path;
    this.pathParams = init.pathParams;
    this.remoteAddress = internAddress(init.remoteAddress);
    this.#query = init.rawQuery;
    this.#request = { headers: init.headers, cookies: undefined, responseHeaders: undefined, upgraded: false };
    this.#connectedAt = Date.now() - EPOCH;
  }

  /** Unique id of this connection in the cluster (in logs and registry entries). */
  get id(): string {
    return this.#site.idPrefix + this.#seq.toString(36);
  }

  /** Name of the route that accepted it. */
  get route(): string {
    return this.#site.route;
  }

  /** The route's registry namespace. */
  get registry(): Registry<M> {
    return this.#site.registry as Registry<M>;
  }

  /** Always `'GET'`: websocket upgrades are GET requests. */
  get method(): 'GET' {
    return 'GET';
  }

  /** When the handshake arrived (ms since the epoch). */
  get connectedAt(): number {
    return EPOCH + this.#connectedAt;
  }

  /** Values set in `connect` (user id, …); every later callback sees them. */
  get assigns(): A {
    return (this.#assigns ??= {} as A);
  }

  set assigns(value: A) {
    this.#assigns = value;
  }

  /** The websocket subprotocol the server selected (`''` when none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** Parsed query string (parsed on first access). */
  get query(): URLSearchParams {
    const query = this.#query;
    if (typeof query !== 'string') return query;
    return (this.#query = new URLSearchParams(query));
  }

  /** Request headers (lower-case names). Readable in `connect` and `init` only, unless retained. */
  get headers(): Readonly<IncomingHttpHeaders> {
    if (this.#request === undefined) throw released('headers');
    return this.#request.headers;
  }

  /** Request cookies. Readable in `connect` and `init` only, unless retained. */
  get cookies(): Readonly<Record<string, string>> {
    const request = this.#request;
    if (request === undefined) throw released('cookies');
    return (request.cookies ??= parseCookies(request.headers.cookie));
  }

  /** Merge values into `assigns`. Returns `this`, so `connect` can `return conn.assign({...})`. */
  assign(values: Partial<A>): this {
    Object.assign(this.assigns, values);
    return this;
  }

  /** Set a header on the 101 response (in `connect` only). */
  setResponseHeader(name: string, value: string): this {
    const request = this.#request;
    if (request === undefined || request.upgraded) {
      throw new OrreryError('ORRERY_REQUEST_RELEASED', 'response headers can only be set in connect, before the 101 is sent');
    }
    if (!HEADER_NAME.test(name)) {
      throw new OrreryError('ORRERY_INVALID_HEADER', `invalid response header name ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string' || HEADER_VALUE_FORBIDDEN.test(value)) {
      throw new OrreryError('ORRERY_INVALID_HEADER', `response header ${name} must be a string without CR, LF or NUL`);
    }
    (request.responseHeaders ??= {})[name] = value;
    return this;
  }
}

/**
 * Connections often share a peer address (a load balancer, a NAT): keep one string per
 * address instead of one per connection. Bounded, so hostile address churn cannot grow it.
 */
const addresses = new Map<string, string>();
function internAddress(address: string): string {
  const known = addresses.get(address);
  if (known !== undefined) return known;
  if (addresses.size >= 1024) addresses.clear();
  addresses.set(address, address);
  return address;
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
