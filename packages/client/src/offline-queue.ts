/**
 * The offline queue: what `send` and `request` are given while the connection is not open,
 * sent in order once it is (after the server's `welcome`).
 *
 * Bounded by count (`maxMessages`) and age (`ttlMs`); what happens at the bound is the
 * client's policy (client.ts), never a silent drop. Each entry is encoded when queued, so a
 * later change to the caller's object does not change what is sent.
 */

/** One queued frame. */
export interface QueuedFrame {
  /** The encoded frame. */
  readonly text: string;
  /** When it was queued (ms since the epoch). */
  readonly at: number;
  /** The message as given to `send` (absent for requests). */
  readonly message?: { readonly name: string; readonly data: unknown };
  /** The request id, for requests. */
  readonly requestId?: number;
}

/** A FIFO of frames with O(1) push and shift. */
export class OfflineQueue {
  private items: (QueuedFrame | undefined)[] = [];
  private head = 0;
  private live = 0;

  /** Entries waiting. */
  get size(): number {
    return this.live;
  }

  push(frame: QueuedFrame): void {
    this.items.push(frame);
    this.live++;
  }

  /** The oldest entry, left in place; `undefined` when empty. */
  peek(): QueuedFrame | undefined {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
    return this.items[this.head];
  }

  /** The oldest entry, removed; `undefined` when empty. */
  shift(): QueuedFrame | undefined {
    while (this.head < this.items.length) {
      const frame = this.items[this.head];
      this.items[this.head++] = undefined;
      if (frame !== undefined) {
        this.live--;
        this.compact();
        return frame;
      }
    }
    this.compact();
    return undefined;
  }

  /** Remove the entry of request `id` (it timed out or was aborted while queued). */
  removeRequest(id: number): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      if (this.items[i]?.requestId === id) {
        this.items[i] = undefined;
        this.live--;
        return true;
      }
    }
    return false;
  }

  /** Remove and return the messages (not requests) older than `ttlMs`, oldest first. */
  takeExpired(now: number, ttlMs: number): QueuedFrame[] {
    const expired: QueuedFrame[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const frame = this.items[i];
      if (frame === undefined || frame.requestId !== undefined) continue;
      if (now - frame.at < ttlMs) break; // entries are in age order
      expired.push(frame);
      this.items[i] = undefined;
      this.live--;
    }
    return expired;
  }

  /** Remove and return everything, oldest first. */
  drain(): QueuedFrame[] {
    const all = this.items.slice(this.head).filter((f): f is QueuedFrame => f !== undefined);
    this.items = [];
    this.head = 0;
    this.live = 0;
    return all;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
