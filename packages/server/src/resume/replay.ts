/**
 * The replay buffer of one resumable session: the wire frames of server messages the client
 * has not acknowledged, bounded by count and bytes. Sequence numbers are contiguous, so an
 * entry's seq is `first + index`.
 */
export class ReplayBuffer {
  private frames: Buffer[] = [];
  private head = 0;
  /** Seq of `frames[head]`. */
  private first = 1;
  /** Bytes held. */
  bytes = 0;
  /** The highest seq dropped by a bound before it was acknowledged (0: none). */
  private lostThrough = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Messages held. */
  get size(): number {
    return this.frames.length - this.head;
  }

  /** Keep frame `seq` (the next seq: `first + size`). */
  push(seq: number, frame: Buffer): void {
    if (this.size === 0) this.first = seq;
    this.frames.push(frame);
    this.bytes += frame.length;
    while (this.size > 0 && (this.size > this.maxMessages || this.bytes > this.maxBytes)) {
      this.lostThrough = this.first;
      this.dropFirst();
    }
  }

  /** The client has every message up to `seq`. */
  ack(seq: number): void {
    while (this.size > 0 && this.first <= seq) this.dropFirst();
  }

  /** Frames after `lastSeq`, in order — or `undefined` when some of them were lost. */
  since(lastSeq: number): Buffer[] | undefined {
    if (this.lostThrough > lastSeq) return undefined;
    const skip = Math.max(0, lastSeq + 1 - this.first);
    return this.frames.slice(this.head + skip);
  }

  /** Whether messages the client has not seen were dropped (the session cannot resume without a gap). */
  get lossy(): boolean {
    return this.lostThrough > 0;
  }

  private dropFirst(): void {
    const frame = this.frames[this.head]!;
    this.frames[this.head] = undefined as unknown as Buffer;
    this.bytes -= frame.length;
    this.head++;
    this.first++;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head >= 256 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }
}
