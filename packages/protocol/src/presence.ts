/**
 * The presence messages of the `orrery.v1` wire (docs/presence.md), shared by
 * `@orrery/server/presence` and `@orrery/client/presence`: a subscribed connection first gets
 * `presence_state`, then `presence_diff` at most once per interval. They are ordinary protocol
 * messages (`{"t":"msg","n":"presence_diff","d":…}`): spread {@link presenceMessages} into the
 * `server` section of the protocol, and both sides validate them like any other message.
 *
 * The schemas are written by hand against the Standard Schema interface — no validator library
 * is pulled in; the metadata is checked with the schema you pass (zod/mini, valibot, …). Apps
 * that do not use presence lose all of it to tree-shaking.
 */
import type { StandardSchemaV1 } from './standard-schema.js';

/** One tracked connection of a member. */
export interface PresenceEntry<Meta = unknown> {
  /** The member's id on the server (a connection's `conn.id`: unique in the cluster). */
  readonly id: string;
  /** Its metadata (`null` when it was tracked without any). */
  readonly meta: Meta;
}

/** A member of a group: a key (a user id) and each of its connections' metadata. */
export interface PresenceMember<Meta = unknown> {
  readonly key: string;
  readonly metas: readonly PresenceEntry<Meta>[];
}

/** Data of `presence_state`: the whole group. */
export interface PresenceStateData<Meta = unknown> {
  readonly group: string;
  readonly members: readonly PresenceMember<Meta>[];
}

/**
 * Data of `presence_diff`: what changed since the last message, by connection. Apply `leaves`
 * first, then `joins`; an updated connection is in both (its old metadata in `leaves`, its new
 * one in `joins`). A key whose last connection left is a member leaving; a key that had no
 * connection before is a member joining. Applying a diff twice changes nothing.
 */
export interface PresenceDiffData<Meta = unknown> {
  readonly group: string;
  readonly joins: readonly PresenceMember<Meta>[];
  readonly leaves: readonly PresenceMember<Meta>[];
}

/** Name of the first message of a subscriber. */
export const PRESENCE_STATE = 'presence_state';
/** Name of the batched change messages (at most one per group per interval). */
export const PRESENCE_DIFF = 'presence_diff';

/** `presence_state` as a protocol message. */
export interface PresenceStateMessage<Meta = unknown> {
  readonly name: typeof PRESENCE_STATE;
  readonly data: PresenceStateData<Meta>;
}

/** `presence_diff` as a protocol message. */
export interface PresenceDiffMessage<Meta = unknown> {
  readonly name: typeof PRESENCE_DIFF;
  readonly data: PresenceDiffData<Meta>;
}

/** What presence delivers to a subscribed member. */
export type PresenceMessage<Meta = unknown> = PresenceStateMessage<Meta> | PresenceDiffMessage<Meta>;

type Out<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;
type In<S> = S extends StandardSchemaV1<infer I, unknown> ? I : unknown;

/** The two presence message schemas, for a protocol's `server` section. */
export interface PresenceMessageSchemas<MetaIn, MetaOut> {
  readonly presence_state: StandardSchemaV1<PresenceStateData<MetaIn>, PresenceStateData<MetaOut>>;
  readonly presence_diff: StandardSchemaV1<PresenceDiffData<MetaIn>, PresenceDiffData<MetaOut>>;
}

type Issue = StandardSchemaV1.Issue;
type Path = (string | number)[];

/**
 * Schemas of `presence_state` and `presence_diff`, with each connection's metadata checked by
 * `meta` (default: any JSON value). `meta` must validate synchronously.
 *
 * @example
 * import * as z from 'zod/mini';
 * export const chat = defineProtocol({
 *   server: { said: Said, ...presenceMessages(z.object({ name: z.string() })) },
 * });
 */
export function presenceMessages<M extends StandardSchemaV1 | undefined = undefined>(
  meta?: M,
): PresenceMessageSchemas<M extends StandardSchemaV1 ? In<M> : unknown, M extends StandardSchemaV1 ? Out<M> : unknown> {
  const check = meta === undefined ? undefined : (meta as StandardSchemaV1)['~standard'];
  const members = (value: unknown, path: Path, issues: Issue[]): unknown[] | undefined => {
    if (!Array.isArray(value)) return void issues.push({ message: 'expected an array of members', path });
    return value.map((m, i) => member(m, [...path, i], issues, check));
  };
  const schema = <T>(build: (value: Record<string, unknown>, issues: Issue[]) => T): StandardSchemaV1<never, T> => ({
    '~standard': {
      version: 1,
      vendor: 'orrery',
      validate: (value) => {
        const issues: Issue[] = [];
        if (!isRecord(value) || typeof value.group !== 'string') return { issues: [{ message: 'expected { group: string, … }', path: [] }] };
        const out = build(value, issues);
        return issues.length > 0 ? { issues } : { value: out };
      },
    },
  });
  return {
    presence_state: schema((v, issues) => ({ group: v.group, members: members(v.members, ['members'], issues) })),
    presence_diff: schema((v, issues) => ({
      group: v.group,
      joins: members(v.joins, ['joins'], issues),
      leaves: members(v.leaves, ['leaves'], issues),
    })),
  } as unknown as PresenceMessageSchemas<M extends StandardSchemaV1 ? In<M> : unknown, M extends StandardSchemaV1 ? Out<M> : unknown>;
}

function member(value: unknown, path: Path, issues: Issue[], meta: StandardSchemaV1.Props | undefined): unknown {
  if (!isRecord(value) || typeof value.key !== 'string' || !Array.isArray(value.metas)) {
    issues.push({ message: 'expected { key: string, metas: [...] }', path });
    return value;
  }
  const metas = value.metas.map((entry: unknown, i) => {
    const at = [...path, 'metas', i];
    if (!isRecord(entry) || typeof entry.id !== 'string' || !('meta' in entry)) {
      issues.push({ message: 'expected { id: string, meta }', path: at });
      return entry;
    }
    if (meta === undefined) return entry;
    const result = meta.validate(entry.meta);
    if (result instanceof Promise) {
      issues.push({ message: 'presence metadata schemas must validate synchronously', path: [...at, 'meta'] });
      return entry;
    }
    if (result.issues !== undefined) {
      for (const issue of result.issues) issues.push({ message: issue.message, path: [...at, 'meta', ...(issue.path ?? [])] });
      return entry;
    }
    return result.value === entry.meta ? entry : { id: entry.id, meta: result.value };
  });
  return { key: value.key, metas };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
