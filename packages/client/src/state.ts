/**
 * The connection state the client exposes: one immutable snapshot, replaced on every change,
 * so it works as an external store (`subscribe` + `state`, e.g. React's useSyncExternalStore).
 *
 * ```
 *  connecting ──welcome──► open ──drop / retryable close──► reconnecting ──welcome──► open
 *      │                    │                                   │
 *      └─terminal close─────┴──────── close() ──────────────────┴──► closed ──connect()──► connecting
 * ```
 */
import type { OrreryError } from '@orrery/protocol';

/** Where the connection is. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** How a websocket closed, as the client saw it. */
export interface CloseInfo {
  /** The close code; 1006 when the connection dropped, timed out or was declared dead. */
  readonly code: number;
  /** The close reason (`'heartbeat timeout'`, `'connect timeout'` for the client's own verdicts). */
  readonly reason: string;
  /** True when the close handshake completed. */
  readonly wasClean: boolean;
}

/** A snapshot of the connection. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** Failed attempts in a row (0 while open). */
  readonly attempt: number;
  /** While `reconnecting` and waiting: the backoff delay before the next attempt. */
  readonly retryDelayMs?: number;
  /** The last close of a websocket of this client. */
  readonly lastClose?: CloseInfo;
  /**
   * When `closed` by the server or by giving up: why (`ORRERY_REJECTED` for 4000 + HTTP
   * status, `ORRERY_CONNECTION_CLOSED` otherwise). Absent after `close()`.
   */
  readonly error?: OrreryError;
}

/** A listener of state changes. */
export type StateListener = (state: ConnectionState) => void;

/** Holds the current snapshot and tells listeners about each new one. */
export class StateStore {
  private current: ConnectionState;
  private readonly listeners = new Set<StateListener>();

  constructor(initial: ConnectionState, private readonly report: (error: unknown) => void) {
    this.current = initial;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Replace the snapshot and notify. */
  set(next: ConnectionState): void {
    this.current = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (error) {
        this.report(error);
      }
    }
  }

  subscribe(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
