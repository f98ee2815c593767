/**
 * Dead-connection detection. A browser cannot see websocket pings, so the client runs its own
 * heartbeat in the envelope: after `intervalMs` without any inbound frame it sends `ping`
 * (the server answers `pong`), and when nothing at all arrives within `timeoutMs` after that
 * ping the connection is declared dead. So a silently dead connection is detected at most
 * `intervalMs + timeoutMs` after the last frame received (default 15 s + 10 s = 25 s), plus
 * timer lateness (background tabs throttle timers; the client probes at once when the page
 * becomes visible or the network comes back). When the browser says it went `offline`, the
 * client probes at once with the short `offlineTimeoutMs`: a connection that cannot answer
 * within it is given up (and resumed once the network is back).
 *
 * One timer per connection; an inbound frame costs one `Date.now()`, no timer reset.
 */

/** Heartbeat parameters. */
export interface HeartbeatOptions {
  /** Silence after which the client pings. @default 15_000 */
  readonly intervalMs: number;
  /** How long after a ping any frame must arrive. @default 10_000 */
  readonly timeoutMs: number;
  /** How long a probe after the browser's `offline` event waits for an answer. @default 2_000 */
  readonly offlineTimeoutMs: number;
}

/** Watches one open connection. */
export class HeartbeatMonitor {
  private lastInbound = 0;
  private pingSentAt = 0;
  private awaiting = false;
  /** How long the ping that is out may go unanswered. */
  private deadline = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly tick = (): void => this.check();

  /**
   * @param ping - send a ping frame
   * @param dead - the connection is dead; `silentMs` is how long nothing arrived
   */
  constructor(
    private readonly options: HeartbeatOptions,
    private readonly ping: () => void,
    private readonly dead: (silentMs: number) => void,
  ) {}

  /** Start watching (the connection just opened). */
  start(): void {
    this.lastInbound = Date.now();
    this.awaiting = false;
    this.arm(this.options.intervalMs);
  }

  /** A frame arrived. */
  touch(): void {
    this.lastInbound = Date.now();
  }

  /**
   * Ping now (the page became visible, the network came back or went away); the answer must
   * come within `timeoutMs` (a ping already out gets the shorter of its deadline and that).
   */
  probe(timeoutMs = this.options.timeoutMs): void {
    if (this.timer === undefined) return;
    const now = Date.now();
    if (!this.awaiting) {
      this.sendPing(now, timeoutMs);
      return;
    }
    this.deadline = Math.min(this.deadline, now - this.pingSentAt + timeoutMs);
    this.arm(this.deadline - (now - this.pingSentAt));
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.awaiting = false;
  }

  private check(): void {
    this.timer = undefined;
    const now = Date.now();
    if (this.awaiting) {
      if (this.lastInbound >= this.pingSentAt) {
        this.awaiting = false; // something arrived after the ping: alive
      } else if (now - this.pingSentAt >= this.deadline) {
        this.dead(now - this.lastInbound);
        return;
      } else {
        this.arm(this.deadline - (now - this.pingSentAt));
        return;
      }
    }
    const silent = now - this.lastInbound;
    if (silent >= this.options.intervalMs) this.sendPing(now, this.options.timeoutMs);
    else this.arm(this.options.intervalMs - silent);
  }

  private sendPing(now: number, timeoutMs: number): void {
    this.awaiting = true;
    this.pingSentAt = now;
    this.deadline = timeoutMs;
    this.arm(timeoutMs);
    this.ping();
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, Math.max(1, ms));
  }
}
