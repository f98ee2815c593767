/**
 * Checking a server message against a protocol at run time — for code that publishes to the
 * registry from outside a typed handler (an HTTP route, a tRPC procedure), where the type
 * system may have been bypassed (`as`, JSON from elsewhere).
 */
import type { AnyProtocol } from './define.js';
import { OrreryError } from './errors.js';
import type { ServerMessage } from './infer.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { formatIssues, isPending, runSchema } from './validate.js';

/**
 * Throw `ORRERY_INVALID_MESSAGE` unless `message` is `{ name, data }` with a server message
 * name of `protocol` and (with `validate`) data its schema accepts. Schemas must answer
 * synchronously here.
 *
 * @param where - where the message comes from, for the error message (`'messages.say'`)
 * @param validate - also validate `data`, not only the name (default true)
 *
 * @example
 * assertServerMessage(chat, body); // body: unknown, e.g. from an HTTP request
 * await registry.group.publish('lobby', body);
 */
export function assertServerMessage<P extends AnyProtocol>(
  protocol: P,
  message: unknown,
  where = 'publish',
  validate = true,
): asserts message is ServerMessage<P> {
  const m = message as { name?: unknown; data?: unknown } | null;
  if (typeof m !== 'object' || m === null || typeof m.name !== 'string') {
    throw new OrreryError('ORRERY_INVALID_MESSAGE', `${describe(message)} (from ${where}) is not a server message; expected { name, data }`);
  }
  const schema = protocol.serverSchemas.get(m.name);
  if (schema === undefined) {
    const known = [...protocol.serverSchemas.keys()].join(', ') || 'none';
    throw new OrreryError('ORRERY_INVALID_MESSAGE', `server message "${m.name}" (from ${where}) is not defined by the protocol (server messages: ${known})`);
  }
  if (validate) assertValid(schema, m.data, m.name, where);
}

/**
 * Throw `ORRERY_INVALID_MESSAGE` unless `schema` accepts `data` synchronously; `name` and
 * `where` say what was checked (`"said"`, `'messages.say'`).
 */
export function assertValid(schema: StandardSchemaV1, data: unknown, name: string, where: string): void {
  const result = runSchema(schema, data);
  if (isPending(result)) {
    throw new OrreryError('ORRERY_INVALID_MESSAGE', `the schema of "${name}" (from ${where}) is async; this check needs a synchronous schema`);
  }
  if (result.issues !== undefined) {
    throw new OrreryError('ORRERY_INVALID_MESSAGE', `"${name}" (from ${where}) does not match its schema: ${formatIssues(result.issues)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without a string "name"' : `a ${typeof value}`;
}
