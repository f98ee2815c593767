/**
 * The websocket implementation: the browser's `WebSocket`, or `ws` in Node — chosen by
 * isomorphic-ws through its `browser` field, so a browser bundle contains no Node code.
 *
 * The client talks to a socket only through {@link WebsocketLike}, the part of the WHATWG
 * WebSocket interface both implement.
 */
import WebSocketImpl from 'isomorphic-ws';

/** A websocket class: the browser's `WebSocket`, `ws`, or any with the WHATWG shape. */
export type WebsocketConstructor = abstract new (url: string, protocols?: string | string[]) => object;

/** The part of a websocket the client uses. */
export interface WebsocketLike {
  readonly readyState: number;
  binaryType: string;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string; readonly wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: destroy the TCP connection without a close handshake. */
  terminate?(): void;
}

/** `readyState` of an open socket. */
export const OPEN = 1;

/** The implementation to use when the options name none, or `undefined` when there is none. */
export function defaultWebsocket(): WebsocketConstructor | undefined {
  const impl = (WebSocketImpl as unknown as WebsocketConstructor | null) ?? (globalThis as { WebSocket?: WebsocketConstructor }).WebSocket;
  return impl ?? undefined;
}

/** Open a socket with `Impl`. */
export function openWebsocket(Impl: WebsocketConstructor, url: string, protocols: string[]): WebsocketLike {
  return new (Impl as unknown as new (url: string, protocols: string[]) => WebsocketLike)(url, protocols);
}
