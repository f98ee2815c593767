/**
 * Where the tRPC layer finds the registry: a route's registry (`server.registry(route)`, in
 * a process that serves websockets), or a backend namespace (`backend.namespace(routeName)`,
 * in a process that only serves tRPC but shares the Redis registry with the websocket nodes).
 * Either way, messages go through `typedRegistry` of `@orrery/server`: checked against the
 * protocol before anything is sent.
 */
import { OrreryError, type AnyProtocol, type ServerMessage } from '@orrery/protocol';
import { createRegistryView, typedRegistry, type Registry, type RegistryNamespace } from '@orrery/server';

/**
 * A registry the tRPC layer can use: `server.registry(route)` (the route's namespace), or
 * `backend.namespace(name)` of a registry backend (`name` is the route's name: its
 * `options.name`, by default its path).
 */
export type RegistrySource<P extends AnyProtocol> = Registry<unknown> | Registry<ServerMessage<P>> | RegistryNamespace;

/** A source, or a function returning one on each use (so a router can be built before the server). */
export type RegistryOption<P extends AnyProtocol> = RegistrySource<P> | (() => RegistrySource<P>);

/** The resolved registries: untyped (for members) and typed (checked publish / sendMessage). */
export interface ResolvedRegistry<P extends AnyProtocol> {
  readonly raw: Registry<unknown>;
  readonly typed: Registry<ServerMessage<P>>;
}

/** Resolves a {@link RegistryOption} on each use, wrapping each distinct source once. */
export function registryResolver<P extends AnyProtocol>(protocol: P, option: RegistryOption<P>): () => ResolvedRegistry<P> {
  if (typeof option !== 'function' && !isSource(option)) throw notASource(option);
  let last: { source: RegistrySource<P>; resolved: ResolvedRegistry<P> } | undefined;
  return () => {
    const source = typeof option === 'function' ? option() : option;
    if (last?.source === source) return last.resolved;
    if (!isSource(source)) throw notASource(source);
    const raw = isNamespace(source) ? createRegistryView<unknown>(source) : (source as Registry<unknown>);
    last = { source, resolved: { raw, typed: typedRegistry(protocol, raw) } };
    return last.resolved;
  };
}

function isNamespace(source: RegistrySource<AnyProtocol>): source is RegistryNamespace {
  return typeof (source as Partial<RegistryNamespace>).publish === 'function';
}

function isSource(value: unknown): value is RegistrySource<AnyProtocol> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { group?: { publish?: unknown }; publish?: unknown; removeMember?: unknown };
  return typeof v.removeMember === 'function' && (typeof v.publish === 'function' || typeof v.group?.publish === 'function');
}

function notASource(value: unknown): OrreryError {
  return new OrreryError(
    'ORRERY_INVALID_OPTIONS',
    `orreryTrpc: registry must be server.registry(route), backend.namespace(routeName), or a function returning one; got ${value === null ? 'null' : typeof value}`,
  );
}
