/**
 * The lines of the room on screen: history (tRPC), live messages (websocket) and your own
 * messages while they are being sent. Deduplicated by id — the history and the live feed
 * overlap on join, and your own message arrives both as the reply to `say` and as the
 * room's broadcast — and ordered by time.
 */
import type { ChatEntryValue } from '../shared/chat-protocol.js';

/** A line as the view shows it. */
export type LogLine =
  | { readonly state: 'delivered'; readonly entry: ChatEntryValue }
  | { readonly state: 'pending' | 'failed'; readonly entry: ChatEntryValue; readonly localId: string; readonly error?: string };

/** Most lines kept on screen. */
export const MAX_LINES = 300;

/** The room's lines. */
export class MessageLog {
  private readonly lines = new Map<string, LogLine>();
  private localSeq = 0;

  /** Add lines from the history or the live feed (known ids are ignored). */
  add(...entries: ChatEntryValue[]): void {
    for (const entry of entries) if (!this.lines.has(entry.id)) this.lines.set(entry.id, { state: 'delivered', entry });
    this.trim();
  }

  /** A message of yours on its way; returns its local id. */
  pending(room: string, from: string, text: string): string {
    const localId = `local-${++this.localSeq}`;
    this.lines.set(localId, { state: 'pending', localId, entry: { kind: 'user', id: localId, room, from, text, at: Date.now() } });
    return localId;
  }

  /**
   * The server took the message: it is now line `id` (which the broadcast may have added
   * already). It keeps its place (the time it was written here), so a burst of your own
   * messages stays in the order you wrote it, delivered or not.
   */
  confirm(localId: string, id: string): void {
    const line = this.lines.get(localId);
    this.lines.delete(localId);
    if (line !== undefined && !this.lines.has(id)) this.lines.set(id, { state: 'delivered', entry: { ...line.entry, id } });
  }

  /** Take a failed message off the list (to send it again); returns its text. */
  remove(localId: string): string | undefined {
    const line = this.lines.get(localId);
    this.lines.delete(localId);
    return line?.entry.text;
  }

  /** The message was not delivered: keep it on screen, marked, with the reason. */
  fail(localId: string, error: string): void {
    const line = this.lines.get(localId);
    if (line !== undefined) this.lines.set(localId, { state: 'failed', localId, entry: line.entry, error });
  }

  /** Every line, oldest first. */
  all(): LogLine[] {
    return [...this.lines.values()].sort((a, b) => a.entry.at - b.entry.at);
  }

  /** Forget everything (switching rooms). */
  clear(): void {
    this.lines.clear();
  }

  private trim(): void {
    if (this.lines.size <= MAX_LINES) return;
    for (const line of this.all().slice(0, this.lines.size - MAX_LINES)) this.lines.delete(line.entry.id);
  }
}
