/**
 * Types inferred from a protocol: written once in `defineProtocol`, used by the server's typed
 * handler, the client and the tRPC integration.
 *
 * Each message has two views: what the sender supplies (the schema's *input*) and what the
 * receiver gets after validation (its *output*). They differ only for schemas with defaults
 * or transforms.
 *
 * @example
 * type Said = ReceivedServerPayload<typeof chat, 'said'>; // what client.on('said') gets
 * type Out = ServerMessage<typeof chat>;                  // what a handler or publish sends
 */
import type { Protocol, ProtocolSpec, RequestSpec } from './define.js';
import type { BuiltinRequestFailure } from './request-error.js';
import type { StandardSchemaV1 } from './standard-schema.js';

type SpecOf<P> = P extends Protocol<infer D> ? D : never;
type Schemas = Readonly<Record<string, StandardSchemaV1>>;
type Requests = Readonly<Record<string, RequestSpec>>;
// Absent sections have no names: `{}` has `keyof` never.
type EmptySection = Record<never, never>;

/** The protocol's client → server schemas. */
export type ClientSchemas<P> = SpecOf<P> extends { readonly client?: infer C extends Schemas } ? C : EmptySection;
/** The protocol's server → client schemas. */
export type ServerSchemas<P> = SpecOf<P> extends { readonly server?: infer S extends Schemas } ? S : EmptySection;
/** The protocol's requests. */
export type RequestSpecs<P> = SpecOf<P> extends { readonly requests?: infer R extends Requests } ? R : EmptySection;

/** Names of client → server messages. */
export type ClientMessageName<P> = keyof ClientSchemas<P> & string;
/** Names of server → client messages. */
export type ServerMessageName<P> = keyof ServerSchemas<P> & string;
/** Names of requests. */
export type RequestName<P> = keyof RequestSpecs<P> & string;

type In<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : never;
type Out<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : never;
type InputSchema<R> = R extends { readonly input: infer I } ? I : never;
type OutputSchema<R> = R extends { readonly output: infer O } ? O : never;

/** What the client passes to `send(name, …)`. */
export type ClientPayload<P, N extends ClientMessageName<P>> = In<ClientSchemas<P>[N]>;
/** What the server handler's `messages[name]` receives (validated). */
export type ReceivedClientPayload<P, N extends ClientMessageName<P>> = Out<ClientSchemas<P>[N]>;
/** What the server sends as `data` of message `name`. */
export type ServerPayload<P, N extends ServerMessageName<P>> = In<ServerSchemas<P>[N]>;
/** What the client's `on(name, …)` listener receives (validated). */
export type ReceivedServerPayload<P, N extends ServerMessageName<P>> = Out<ServerSchemas<P>[N]>;

/** What the client passes to `request(name, …)`. */
export type RequestInput<P, N extends RequestName<P>> = In<InputSchema<RequestSpecs<P>[N]>>;
/** What the server's `requests[name]` receives (validated). */
export type ReceivedRequestInput<P, N extends RequestName<P>> = Out<InputSchema<RequestSpecs<P>[N]>>;
/** What the server's `requests[name]` replies with. */
export type RequestReply<P, N extends RequestName<P>> = In<OutputSchema<RequestSpecs<P>[N]>>;
/** What `client.request(name, …)` resolves with (validated). */
export type RequestOutput<P, N extends RequestName<P>> = Out<OutputSchema<RequestSpecs<P>[N]>>;
/** The application error codes request `name` may fail with (its `errors`). */
export type RequestErrorCode<P, N extends RequestName<P>> =
  RequestSpecs<P>[N] extends { readonly errors: readonly (infer C extends string)[] } ? C : never;
/** Every reason a client may see request `name` fail with: its own codes and the built-in ones. */
export type RequestFailureReason<P, N extends RequestName<P>> = RequestErrorCode<P, N> | BuiltinRequestFailure;

/** A server → client message as the server sends it: `{ name, data }`, one member per name. */
export type ServerMessage<P> = {
  [N in ServerMessageName<P>]: { readonly name: N; readonly data: ServerPayload<P, N> };
}[ServerMessageName<P>];

/** A client → server message as the client sends it: `{ name, data }`, one member per name. */
export type ClientMessage<P> = {
  [N in ClientMessageName<P>]: { readonly name: N; readonly data: ClientPayload<P, N> };
}[ClientMessageName<P>];

/** The spec type inside a protocol type. */
export type ProtocolSpecOf<P> = SpecOf<P> & ProtocolSpec;
