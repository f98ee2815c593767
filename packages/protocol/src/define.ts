/**
 * `defineProtocol`: the one place message types are written. Server, client and tRPC infer
 * everything from the object it returns.
 *
 * Three sections, each optional:
 * - `client` — messages the client sends (`client.send('say', …)` → the handler's `messages.say`);
 * - `server` — messages the server sends (`[state, [{ name: 'said', data }]]`, `publish`) →
 *   the client's `on('said', …)`;
 * - `requests` — request/response pairs (`client.request('history', input)` → the handler's
 *   `requests.history`, which replies with `output` or fails with one of `errors`).
 *
 * Every schema is a Standard Schema (zod 4 full or `zod/mini`, valibot, arktype …).
 */
import { OrreryError } from './errors.js';
import { BUILTIN_REQUEST_FAILURES } from './request-error.js';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';

/** A request: what the client sends, what the server answers, and the errors it may answer with. */
export interface RequestSpec<
  I extends StandardSchemaV1 = StandardSchemaV1,
  O extends StandardSchemaV1 = StandardSchemaV1,
  E extends readonly string[] = readonly string[],
> {
  /** The request's input (validated by the server; a failure is an `INVALID_INPUT` reply). */
  readonly input: I;
  /** The reply (validated by the client; a failure rejects the request with `INVALID_OUTPUT`). */
  readonly output: O;
  /**
   * Application error codes the handler may `fail(...)` with, e.g. `['NOT_FOUND', 'FORBIDDEN']`.
   * Upper-case by convention; must not reuse a built-in code (`TIMEOUT`, `INVALID_INPUT` …).
   * @default []
   */
  readonly errors?: E;
}

/** What {@link defineProtocol} takes. */
export interface ProtocolSpec {
  /** Client → server messages, by name. */
  readonly client?: Readonly<Record<string, StandardSchemaV1>>;
  /** Server → client messages, by name. */
  readonly server?: Readonly<Record<string, StandardSchemaV1>>;
  /** Requests, by name. */
  readonly requests?: Readonly<Record<string, RequestSpec>>;
}

/** A protocol made by {@link defineProtocol}. The type parameter carries every message type. */
export interface Protocol<D extends ProtocolSpec = ProtocolSpec> {
  readonly kind: 'orrery.protocol';
  /** The definition as given. */
  readonly spec: D;
  /** Client message schemas by name (runtime lookup). */
  readonly clientSchemas: ReadonlyMap<string, StandardSchemaV1>;
  /** Server message schemas by name (runtime lookup). */
  readonly serverSchemas: ReadonlyMap<string, StandardSchemaV1>;
  /** Request definitions by name (runtime lookup). */
  readonly requestSpecs: ReadonlyMap<string, RequestSpec>;
}

/** Any protocol, whatever its messages. */
export type AnyProtocol = Protocol<ProtocolSpec>;

/**
 * Define a protocol shared by server and client.
 *
 * @example
 * import * as z from 'zod/mini'; // or 'zod', valibot, arktype …
 * export const chat = defineProtocol({
 *   client: { say: z.object({ text: z.string().check(z.minLength(1), z.maxLength(2000)) }) },
 *   server: { said: z.object({ from: z.string(), text: z.string(), at: z.number() }) },
 *   requests: {
 *     history: { input: z.object({ room: z.string() }), output: z.array(Message), errors: ['NOT_FOUND'] },
 *   },
 * });
 *
 * @throws OrreryError `ORRERY_INVALID_OPTIONS` when a schema is not a Standard Schema, a name
 *   is empty, or an error code is not a non-empty string or reuses a built-in code.
 */
export function defineProtocol<const D extends ProtocolSpec>(spec: D): Protocol<D> {
  if (typeof spec !== 'object' || spec === null) invalid('defineProtocol takes an object { client?, server?, requests? }');
  return {
    kind: 'orrery.protocol',
    spec,
    clientSchemas: schemaSection(spec.client, 'client'),
    serverSchemas: schemaSection(spec.server, 'server'),
    requestSpecs: requestSection(spec.requests),
  };
}

/** True when `value` was made by {@link defineProtocol}. */
export function isProtocol(value: unknown): value is AnyProtocol {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'orrery.protocol';
}

function entries(section: unknown, where: string): [string, unknown][] {
  if (section === undefined) return [];
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    invalid(`defineProtocol: ${where} must be an object of name → schema`);
  }
  const list = Object.entries(section);
  for (const [name] of list) if (name === '') invalid(`defineProtocol: ${where} has an empty name`);
  return list;
}

function schemaSection(section: unknown, where: string): Map<string, StandardSchemaV1> {
  const map = new Map<string, StandardSchemaV1>();
  for (const [name, schema] of entries(section, where)) {
    map.set(name, checkSchema(schema, `${where}.${name}`));
  }
  return map;
}

function requestSection(section: unknown): Map<string, RequestSpec> {
  const map = new Map<string, RequestSpec>();
  for (const [name, value] of entries(section, 'requests')) {
    if (typeof value !== 'object' || value === null) invalid(`defineProtocol: requests.${name} must be { input, output, errors? }`);
    const req = value as Partial<RequestSpec>;
    checkSchema(req.input, `requests.${name}.input`);
    checkSchema(req.output, `requests.${name}.output`);
    checkErrors(req.errors, name);
    map.set(name, req as RequestSpec);
  }
  return map;
}

function checkSchema(schema: unknown, where: string): StandardSchemaV1 {
  if (!isStandardSchema(schema)) {
    invalid(`defineProtocol: ${where} is not a Standard Schema (use zod ≥ 4, zod/mini, valibot ≥ 1 or any schema with a "~standard" property)`);
  }
  return schema;
}

function checkErrors(errors: unknown, name: string): void {
  if (errors === undefined) return;
  if (!Array.isArray(errors)) invalid(`defineProtocol: requests.${name}.errors must be an array of error codes`);
  for (const code of errors as unknown[]) {
    if (typeof code !== 'string' || code === '') invalid(`defineProtocol: requests.${name}.errors must hold non-empty strings`);
    if ((BUILTIN_REQUEST_FAILURES as readonly string[]).includes(code)) {
      invalid(`defineProtocol: requests.${name}.errors: ${code} is a built-in code; pick another name`);
    }
  }
}

function invalid(message: string): never {
  throw new OrreryError('ORRERY_INVALID_OPTIONS', message);
}
