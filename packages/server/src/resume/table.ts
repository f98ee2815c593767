/**
 * The sessions of one resumable route on this node: live and parked ones, the bounds on
 * parked memory, and short-lived tombstones so a late client learns why it was not resumed.
 */
import type { ResumeRefusal } from '@orrery/protocol';
import type { ResolvedResume } from './options.js';

/** What the table needs from a session. */
export interface TableSession {
  readonly sid: number;
  /** Bytes its replay buffer holds. */
  readonly replayBytes: number;
  /** End a parked session now (its client will be told `reason`). */
  expire(reason: ResumeRefusal): void;
}

const MAX_TOMBSTONES = 10_000;

/** One route's sessions on this node. */
export class SessionTable<S extends TableSession = TableSession> {
  private nextSid = 0;
  private readonly sessions = new Map<number, S>();
  /** Parked sessions, oldest first (Set keeps insertion order). */
  private readonly parked = new Set<S>();
  private readonly tombstones = new Map<number, ResumeRefusal>();
  /** Bytes held by parked sessions' buffers. */
  parkedBytes = 0;

  constructor(readonly options: ResolvedResume) {}

  /** Sessions on this node (live and parked). */
  get size(): number {
    return this.sessions.size;
  }

  /** Sessions waiting for their client. */
  get parkedCount(): number {
    return this.parked.size;
  }

  newSid(): number {
    return ++this.nextSid;
  }

  add(session: S): void {
    this.sessions.set(session.sid, session);
  }

  get(sid: number): S | undefined {
    return this.sessions.get(sid);
  }

  /** Why session `sid` cannot be resumed: it ended (`expired`, `overflow`, …) or was never known here. */
  refusal(sid: number): ResumeRefusal {
    return this.tombstones.get(sid) ?? 'unknown';
  }

  park(session: S): void {
    if (this.parked.has(session)) return;
    this.parked.add(session);
    this.parkedBytes += session.replayBytes;
    this.enforce();
  }

  unpark(session: S): void {
    if (this.parked.delete(session)) this.parkedBytes -= session.replayBytes;
  }

  /** A parked session's buffer grew or shrank by `delta` bytes. */
  adjust(session: S, delta: number): void {
    if (!this.parked.has(session)) return;
    this.parkedBytes += delta;
    if (delta > 0) this.enforce();
  }

  /** The session ended; remember why for a while. */
  remove(session: S, why: ResumeRefusal): void {
    if (this.sessions.get(session.sid) !== session) return;
    this.unpark(session);
    this.sessions.delete(session.sid);
    if (this.tombstones.size >= MAX_TOMBSTONES) {
      const oldest = this.tombstones.keys().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
    this.tombstones.set(session.sid, why);
  }

  /** Every session (for shutdown). */
  all(): S[] {
    return [...this.sessions.values()];
  }

  private enforce(): void {
    const { maxParked, maxParkedBytes } = this.options;
    while (this.parked.size > 0 && (this.parked.size > maxParked || this.parkedBytes > maxParkedBytes)) {
      const oldest = this.parked.values().next().value as S;
      this.unpark(oldest);
      oldest.expire('overflow');
    }
  }
}
