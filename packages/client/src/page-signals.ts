/**
 * Browser signals that a connection may be back or dead: `online` on the window, and
 * `visibilitychange` to `visible` on the document (a tab woken from the background, where
 * timers were throttled). The client reconnects at once when it is waiting to retry, and
 * probes with a heartbeat ping when it is open. `offline` makes it probe the open connection
 * with a short deadline, so a dead one is noticed in seconds instead of at the next heartbeat.
 *
 * Listeners are attached only while the client is active and removed on `close()` and on a
 * terminal close, so a closed client leaves nothing registered.
 */

/** Something with addEventListener / removeEventListener (a window, a document, an EventTarget). */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Where the signals come from. In browsers: `{ window, document }`. */
export interface PageEnvironment {
  readonly window?: EventTargetLike;
  readonly document?: EventTargetLike & { readonly visibilityState?: string };
}

/** The browser's window and document when present; nothing in Node. */
export function defaultPageEnvironment(): PageEnvironment {
  const g = globalThis as { addEventListener?: unknown; document?: PageEnvironment['document'] };
  if (typeof g.addEventListener !== 'function' || g.document === undefined) return {};
  return { window: globalThis as unknown as EventTargetLike, document: g.document };
}

/** Listens for `online` and `visibilitychange` while attached. */
export class PageSignals {
  private attached = false;
  private readonly onOnline = (): void => this.wake();
  private readonly onOffline = (): void => this.suspect();
  private readonly onVisibility = (): void => {
    if (this.env.document?.visibilityState === 'visible') this.wake();
  };

  constructor(
    private readonly env: PageEnvironment,
    private readonly wake: () => void,
    private readonly suspect: () => void = () => {},
  ) {}

  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.env.window?.addEventListener('online', this.onOnline);
    this.env.window?.addEventListener('offline', this.onOffline);
    this.env.document?.addEventListener('visibilitychange', this.onVisibility);
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.env.window?.removeEventListener('online', this.onOnline);
    this.env.window?.removeEventListener('offline', this.onOffline);
    this.env.document?.removeEventListener('visibilitychange', this.onVisibility);
  }
}
