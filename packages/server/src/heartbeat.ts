/**
 * Heartbeats and idle timeouts for every connection of a route, driven by one timer.
 *
 * A timing wheel of `tickMs` slots: each connection sits in the slot of its next due time
 * (its next ping, or the moment it would become idle, whichever is first). A tick visits one
 * slot only, so the work per tick is the connections due in it — never a sweep over all of
 * them (raw ws's single ping sweep over 19k sockets stalls the loop ~0.5 s) and never a
 * timer per socket. First pings get a random phase so that connections opened together do
 * not ping together.
 *
 * Inbound traffic only writes a number (`lastInbound = wheel.now`); nothing moves in the
 * wheel until the connection's slot comes round. Times are whole ticks since the wheel was
 * made, so they stay small integers (V8 Smis: no heap number per connection or per write).
 */

/** What the wheel schedules: one per connection. */
export interface HeartbeatEntry {
  /** Wheel clock (ticks) at the last inbound frame. */
  lastInbound: number;
  /** Tick at which the next ping is due. */
  nextPingAt: number;
  /** Slot index, or -1 when not in the wheel. */
  slot: number;
  /** Send a ping. */
  heartbeatPing(): void;
  /** No inbound traffic for idleTimeoutMs: close. The wheel has already removed the entry. */
  heartbeatIdle(): void;
}

/** One timer for all connections with the same ping interval and idle timeout. */
export class HeartbeatWheel {
  /** Coarse clock in ticks, refreshed every tick: cheap to read on every inbound frame. */
  now = 0;
  readonly tickMs: number;
  private readonly origin = Date.now();
  private readonly pingTicks: number;
  private readonly idleTicks: number;
  private readonly slots: Set<HeartbeatEntry>[];
  private cursor = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private size = 0;

  constructor(pingIntervalMs: number, idleTimeoutMs: number) {
    // ~100 ticks per interval (at most 250 ms each): a tick's work is ~1/50 of the connections
    // (first pings land in half an interval), also for short ping intervals. With /8, a 5 s
    // interval gave 20 ticks, and 19k connections stalled the loop 22–25 ms (6–11 ms now; bench C1).
    this.tickMs = Math.max(5, Math.min(250, Math.floor(Math.min(pingIntervalMs, idleTimeoutMs) / 100)));
    this.pingTicks = Math.max(1, Math.round(pingIntervalMs / this.tickMs));
    this.idleTicks = Math.max(1, Math.round(idleTimeoutMs / this.tickMs));
    const count = Math.max(this.pingTicks, this.idleTicks) + 2;
    this.slots = Array.from({ length: count }, () => new Set<HeartbeatEntry>());
  }

  /** Number of scheduled connections. */
  get count(): number {
    return this.size;
  }

  /** Schedule a new connection. */
  add(entry: HeartbeatEntry): void {
    this.now = this.clock();
    if (this.timer === undefined) {
      this.cursor = this.now;
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    entry.lastInbound = this.now;
    entry.nextPingAt = this.now + Math.max(1, Math.round(this.pingTicks * (0.5 + Math.random() * 0.5)));
    this.size++;
    this.place(entry);
  }

  /** Unschedule a connection (closed). Idempotent. */
  remove(entry: HeartbeatEntry): void {
    if (entry.slot < 0) return;
    this.slots[entry.slot]!.delete(entry);
    entry.slot = -1;
    this.size--;
    if (this.size === 0) this.stop();
  }

  /** Stop the timer (the wheel restarts on the next add). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private clock(): number {
    return Math.floor((Date.now() - this.origin) / this.tickMs);
  }

  private place(entry: HeartbeatEntry): void {
    const due = Math.min(entry.nextPingAt, entry.lastInbound + this.idleTicks);
    // Never schedule into a slot the cursor has passed: the earliest is the next tick.
    const tick = Math.max(due, this.cursor + 1);
    entry.slot = tick % this.slots.length;
    this.slots[entry.slot]!.add(entry);
  }

  private tick(): void {
    this.now = this.clock();
    const target = this.now;
    // Catch up on slots a blocked event loop made us miss (bounded by one revolution).
    const from = Math.max(this.cursor + 1, target - this.slots.length + 1);
    for (let t = from; t <= target; t++) {
      this.cursor = t;
      this.visit(this.slots[t % this.slots.length]!);
    }
    this.cursor = target;
  }

  private visit(slot: Set<HeartbeatEntry>): void {
    if (slot.size === 0) return;
    const due = [...slot];
    slot.clear();
    const now = this.now;
    for (const entry of due) {
      entry.slot = -1;
      if (now - entry.lastInbound >= this.idleTicks) {
        this.size--;
        entry.heartbeatIdle();
        continue;
      }
      if (now >= entry.nextPingAt) {
        entry.nextPingAt = now + this.pingTicks;
        entry.heartbeatPing();
      }
      this.place(entry);
    }
    if (this.size === 0) this.stop();
  }
}
