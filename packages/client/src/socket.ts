/**
 * One connection attempt's websocket: opens it, bounds the time to the server's `welcome`,
 * and reports its frames and its one close to the client. Once closed or abandoned it is
 * detached: no handler of it runs again (a no-op `onerror` stays, because `ws` throws on an
 * 'error' event nobody listens to).
 */
import { RESUME_LATER_CLOSE_CODE } from '@orrery/protocol';
import type { CloseInfo } from './state.js';
import { OPEN, openWebsocket, type WebsocketConstructor, type WebsocketLike } from './platform.js';

/** Who hears a socket's events. */
export interface SocketOwner {
  socketFrame(socket: ClientSocket, data: unknown): void;
  socketClosed(socket: ClientSocket, close: CloseInfo): void;
}

const ignore = (): void => {};

/** A websocket of one attempt. */
export class ClientSocket {
  private ws: WebsocketLike | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;

  /** Throws when the implementation refuses the URL or protocols. */
  constructor(Impl: WebsocketConstructor, url: string, protocols: string[], private readonly owner: SocketOwner, connectTimeoutMs: number) {
    const ws = openWebsocket(Impl, url, protocols);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.owner.socketFrame(this, event.data);
    ws.onclose = (event) => this.closed({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    ws.onerror = ignore; // a close event follows every error
    this.connectTimer = setTimeout(() => this.abandon('connect timeout'), connectTimeoutMs);
  }

  /** The socket is open at the websocket level (it may still be waiting for `welcome`). */
  get open(): boolean {
    return this.ws !== undefined && this.ws.readyState === OPEN;
  }

  /** The server's welcome arrived: the connect timeout no longer applies. */
  welcomed(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  /** Send a frame; false when the socket is not open (the caller queues it). */
  send(text: string): boolean {
    if (!this.open) return false;
    this.ws!.send(text);
    return true;
  }

  /** Close with a close handshake; reports nothing further. */
  close(code: number, reason: string): void {
    const ws = this.detach();
    try {
      ws?.close(code, reason);
    } catch {
      // closing a socket that is already closing
    }
  }

  /** Drop the socket at once (dead, or too slow to open) and report a 1006 close with `reason`. */
  abandon(reason: string): void {
    if (this.drop(reason)) this.owner.socketClosed(this, { code: 1006, reason, wasClean: false });
  }

  /**
   * Drop the socket without reporting: destroy the TCP connection where the platform can
   * (`ws` in Node: the server sees a drop and parks a resumable session), else (browsers)
   * close with {@link RESUME_LATER_CLOSE_CODE}, which the server also parks on.
   */
  drop(reason: string): boolean {
    const ws = this.detach();
    if (ws === undefined) return false;
    try {
      if (typeof ws.terminate === 'function') ws.terminate();
      else ws.close(RESUME_LATER_CLOSE_CODE, reason);
    } catch {
      // already closed
    }
    return true;
  }

  private closed(close: CloseInfo): void {
    if (this.detach() !== undefined) this.owner.socketClosed(this, close);
  }

  private detach(): WebsocketLike | undefined {
    const ws = this.ws;
    if (ws === undefined) return undefined;
    this.ws = undefined;
    this.welcomed();
    ws.onmessage = null;
    ws.onclose = null;
    return ws;
  }
}
