/**
 * The client half of resumable connections (docs/protocol.md §6). When the server's `welcome`
 * carries a `session`, the connection is resumable and this class:
 *
 * - tracks the last in-order server `seq`: a duplicate (`seq ≤ last`) is dropped, a gap is a
 *   protocol error (the caller reports it and drops the socket, so the next attempt resumes
 *   from the last good `seq` — nothing is skipped silently);
 * - acknowledges cumulatively: `a` piggy-backed on outgoing `msg` / `req` / `ping`, and an
 *   `ack` frame `ackDelayMs` after a message arrived unacknowledged, or at once every 64;
 * - numbers outgoing `msg` frames with `cs` and keeps each until the server confirms it (`a`
 *   on a server `msg`, a server `ack`, `cseq` in a resumed welcome). At most `maxUnconfirmed`
 *   are outstanding: past that, {@link message} refuses and the caller keeps the message in the
 *   offline queue until a confirmation makes room — backpressure, never a silent drop;
 * - offers `orrery.resume.<token>.<lastSeq>` on the next attempt, and on the welcome either
 *   resends what is unconfirmed (resumed) or hands it to the caller to report (refused).
 *
 * The state outlives sockets; {@link end} (a clean `close()`, a terminal close) forgets it.
 */
import { OrreryError, RESUME_PROTOCOL_PREFIX, type ClientMessage, type ResumeRefusal, type WelcomeEnvelope } from '@orrery/protocol';

/** Options of resumable connections. */
export interface ResumeOptions {
  /**
   * Most client messages sent and not yet confirmed by the server. When that many are
   * outstanding, `send` queues (returns `'queued'`) until a confirmation makes room; the offline
   * queue's bounds and overflow policy then apply.
   * @default 256
   */
  readonly maxUnconfirmed: number;
  /** Acknowledge received server messages this long after the first unacknowledged one (at once every 64). @default 200 */
  readonly ackDelayMs: number;
}

/**
 * Why a resume did not happen: the server's refusal (docs/protocol.md §6), `'unknown'` also
 * when a refusal named no reason, or `'unsupported'` when the server answered with a welcome
 * that is not resumable at all (the route no longer resumes).
 */
export type NotResumedReason = ResumeRefusal | 'unsupported';

/**
 * The outcome of a resume request, one per welcome that answers one.
 * - `resumed: true`: the session goes on; `missed` server messages follow (each exactly once,
 *   in order) and `resent` unconfirmed client messages were sent again (the server drops those
 *   it had processed).
 * - `resumed: false`: a fresh session began (the server ran `init` again). Server messages
 *   sent while away are lost — reload what you show. `unconfirmed` are the client messages the
 *   old session may or may not have processed; they are not resent. What was queued offline is
 *   sent to the new session.
 */
export type ResumeEvent<P> =
  | { readonly resumed: true; readonly missed: number; readonly resent: number }
  | {
      readonly resumed: false;
      readonly reason: NotResumedReason;
      readonly unconfirmed: readonly ClientMessage<P>[];
      /** `ORRERY_NOT_RESUMED`, with a message that says the reason (also reported to `onError`). */
      readonly error: OrreryError;
    };

/**
 * What the inbound side does with a server message: deliver it, drop it (a duplicate, or a
 * late frame of a socket already given up: not counted, so a resume replays it), or report a gap.
 */
export type SeqVerdict = 'deliver' | 'drop' | 'gap';

interface Unconfirmed {
  readonly cs: number;
  /** The `msg` frame without `cs` and `a`. */
  readonly text: string;
  readonly message: ClientMessage<unknown>;
}

const ACK_EVERY = 64;

const int = (value: unknown): number | undefined => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined);

/** `text` (a JSON object) with `extra` (`,"k":v…` or '') inserted before its closing brace. */
const withFields = (text: string, extra: string): string => (extra === '' ? text : `${text.slice(0, -1)}${extra}}`);

/** One client's resumable session, across its sockets. */
export class ResumeSession {
  private token: string | undefined;
  /** The token the current attempt offered. */
  private offered: string | undefined;
  /** The current connection is open and resumable. */
  private active = false;
  private lastSeq = 0;
  private ackedSeq = 0;
  private nextCs = 1;
  private unconfirmed: Unconfirmed[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param raw - send a frame on the current socket; false when it is not open
   * @param room - the window was full and a confirmation made room
   */
  constructor(
    private readonly options: ResumeOptions,
    private readonly raw: (text: string) => boolean,
    private readonly room: () => void,
  ) {}

  /** There is a session to resume. */
  get resumable(): boolean {
    return this.token !== undefined;
  }

  /** The subprotocols the next attempt offers: the resume request, when there is a session. */
  offer(): string[] {
    this.offered = this.token;
    return this.token === undefined ? [] : [`${RESUME_PROTOCOL_PREFIX}${this.token}.${this.lastSeq}`];
  }

  /**
   * The server's welcome. Returns the outcome when the attempt had asked for a resume. On a
   * resume, call {@link resend} next.
   */
  welcome(env: WelcomeEnvelope): ResumeEvent<unknown> | undefined {
    const offered = this.offered;
    this.offered = undefined;
    this.token = typeof env.session === 'string' && env.session !== '' ? env.session : undefined;
    this.active = this.token !== undefined;
    if (this.active && env.resumed === true && offered !== undefined) {
      this.confirm(int(env.cseq) ?? 0);
      this.ackedSeq = this.lastSeq; // the resume request carried lastSeq
      return { resumed: true, missed: Math.max(0, (int(env.seq) ?? this.lastSeq) - this.lastSeq), resent: this.unconfirmed.length };
    }
    const unconfirmed = this.reset();
    if (offered === undefined) return undefined;
    const reason: NotResumedReason = !this.active ? 'unsupported' : (env.reason ?? 'unknown');
    const error = new OrreryError(
      'ORRERY_NOT_RESUMED',
      `the connection was not resumed (${reason}): a fresh session began, server messages sent while away are lost — reload what you show; ${unconfirmed.length} sent message(s) may or may not have been processed`,
    );
    return { resumed: false, reason, unconfirmed: unconfirmed.map((u) => u.message), error };
  }

  /** After a resumed welcome: send the unconfirmed messages again, in order, with their `cs`. */
  resend(): void {
    for (const u of this.unconfirmed) if (!this.transmit(u)) return;
  }

  /** A server `msg` with `seq` and / or `a`. */
  sequence(seq: number | undefined, a: unknown): SeqVerdict {
    const confirmed = int(a);
    if (confirmed !== undefined) this.confirm(confirmed);
    if (seq === undefined || this.token === undefined) return 'deliver';
    if (!this.active || seq <= this.lastSeq) return 'drop';
    if (seq !== this.lastSeq + 1) return 'gap';
    this.lastSeq = seq;
    if (this.lastSeq - this.ackedSeq >= ACK_EVERY) this.ack();
    else this.timer ??= setTimeout(() => this.ack(), this.options.ackDelayMs);
    return 'deliver';
  }

  /** What a gap is reported as. */
  gapError(seq: number): OrreryError {
    return new OrreryError('ORRERY_PROTOCOL_ERROR', `server message seq ${seq} after ${this.lastSeq}: ${seq - this.lastSeq - 1} message(s) missing; reconnecting to resume from ${this.lastSeq}`);
  }

  /** The server processed client messages up to `cs` (server `ack`, `a`, resumed `cseq`). */
  confirm(cs: number): void {
    let n = 0;
    while (n < this.unconfirmed.length && this.unconfirmed[n]!.cs <= cs) n++;
    if (n === 0) return;
    const wasFull = this.unconfirmed.length >= this.options.maxUnconfirmed;
    this.unconfirmed.splice(0, n);
    if (wasFull && this.active) this.room();
  }

  /** Send a `msg` frame; false when it must wait (not open, or `maxUnconfirmed` outstanding). */
  message(text: string, message: ClientMessage<unknown>): boolean {
    if (!this.active) return this.raw(text);
    if (this.unconfirmed.length >= this.options.maxUnconfirmed) return false;
    const entry = { cs: this.nextCs, text, message };
    if (!this.transmit(entry)) return false;
    this.nextCs++;
    this.unconfirmed.push(entry);
    return true;
  }

  /** Send any other frame (`req`, `ping`), with `a` when the acknowledgement moved. */
  send(text: string): boolean {
    const a = this.ackField();
    if (!this.raw(withFields(text, a))) return false;
    if (a !== '') this.acked();
    return true;
  }

  /** The socket is gone; the session waits for the next attempt. */
  lost(): void {
    this.active = false;
    this.stopTimer();
  }

  /** Forget the session (clean close, terminal close); returns what was unconfirmed. */
  end(): ClientMessage<unknown>[] {
    this.lost();
    this.token = undefined;
    this.offered = undefined;
    return this.reset().map((u) => u.message);
  }

  private transmit(u: Unconfirmed): boolean {
    const a = this.ackField();
    if (!this.raw(withFields(u.text, `,"cs":${u.cs}${a}`))) return false;
    if (a !== '') this.acked();
    return true;
  }

  private ack(): void {
    this.stopTimer();
    if (this.lastSeq > this.ackedSeq && this.raw(`{"t":"ack","seq":${this.lastSeq}}`)) this.ackedSeq = this.lastSeq;
  }

  private ackField(): string {
    return this.active && this.lastSeq > this.ackedSeq ? `,"a":${this.lastSeq}` : '';
  }

  private acked(): void {
    this.ackedSeq = this.lastSeq;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private reset(): Unconfirmed[] {
    const unconfirmed = this.unconfirmed;
    this.unconfirmed = [];
    this.lastSeq = 0;
    this.ackedSeq = 0;
    this.nextCs = 1;
    return unconfirmed;
  }
}
