/**
 * The queueing policy around the offline queue: what happens to a frame the client cannot
 * send now, at the queue's bounds, and when the connection opens or ends. Nothing is
 * dropped silently — a dropped message is reported as an error event with the message, a
 * dropped request rejects.
 */
import { OrreryError, type AnyProtocol, type ClientMessage, type OrreryErrorCode } from '@orrery/protocol';
import { OfflineQueue, type QueuedFrame } from './offline-queue.js';
import type { ResolvedClientOptions } from './options.js';
import { PendingRequests } from './requests.js';
import type { ClientErrorEvent } from './types.js';

/** A sink for frames that may go out now or later. */
export interface FrameSink {
  /** Send a request (or other) frame at once; false when that is not possible now. */
  send(text: string): boolean;
  /** Send a client message at once; false when it must wait (not open, or the resume window is full). */
  message(text: string, message: ClientMessage<AnyProtocol>): boolean;
}

/** The offline queue, the requests in flight, and the policy between them. */
export class Outbox {
  readonly requests: PendingRequests;
  private readonly queue = new OfflineQueue();

  constructor(
    private readonly options: ResolvedClientOptions['queue'],
    private readonly report: (event: ClientErrorEvent<AnyProtocol>) => void,
  ) {
    this.requests = new PendingRequests((id) => this.queue.removeRequest(id));
  }

  /**
   * A client message: sent on `sink` when it is given, nothing waits before it and it takes
   * it; else queued. Throws on overflow (`reject`).
   */
  message(text: string, message: ClientMessage<AnyProtocol>, sink: FrameSink | undefined): 'sent' | 'queued' {
    if (this.queue.size === 0 && sink?.message(text, message) === true) return 'sent';
    this.enqueue({ text, at: Date.now(), message });
    return 'queued';
  }

  /** A request's frame: sent, or queued; a full queue (`reject`) fails the request. */
  request(id: number, text: string, sink: FrameSink | undefined): void {
    if (this.queue.size === 0 && sink?.send(text) === true) {
      this.requests.markSent(id);
      return;
    }
    try {
      this.enqueue({ text, at: Date.now(), requestId: id });
    } catch (error) {
      this.requests.fail(id, 'QUEUE_OVERFLOW', (error as Error).message);
    }
  }

  /**
   * The connection opened (or the resume window made room): report expired messages, then send
   * the rest in order, up to the first one the sink cannot take now.
   */
  flush(sink: FrameSink): void {
    for (const expired of this.queue.takeExpired(Date.now(), this.options.ttlMs)) this.expired(expired);
    for (let frame = this.queue.peek(); frame !== undefined; frame = this.queue.peek()) {
      if (frame.message === undefined ? !sink.send(frame.text) : !sink.message(frame.text, frame.message as ClientMessage<AnyProtocol>)) return;
      this.queue.shift();
      if (frame.requestId !== undefined) this.requests.markSent(frame.requestId);
    }
  }

  /** The application closed the client: empty the queue and return the unsent messages. */
  takeUnsent(): ClientMessage<AnyProtocol>[] {
    return this.queue.drain().flatMap((f) => (f.message === undefined ? [] : [f.message as ClientMessage<AnyProtocol>]));
  }

  /**
   * The connection ended for good: report every queued entry as not sent, and each message
   * `unconfirmed` (sent on a resumable connection, not confirmed) as possibly not processed.
   */
  dropAll(code: OrreryErrorCode, why: string, unconfirmed: readonly ClientMessage<unknown>[] = []): void {
    for (const message of unconfirmed) this.report({ error: new OrreryError(code, `message "${message.name}" was sent but not confirmed; it may or may not have been processed: ${why}`), message: message as ClientMessage<AnyProtocol> });
    for (const frame of this.queue.drain()) this.dropped(frame, code, `not sent: ${why}`);
  }

  private enqueue(frame: QueuedFrame): void {
    const { maxMessages, overflow, ttlMs } = this.options;
    for (const expired of this.queue.takeExpired(frame.at, ttlMs)) this.expired(expired);
    if (this.queue.size >= maxMessages) {
      const message = `the offline queue is full (queue.maxMessages = ${maxMessages})`;
      if (overflow === 'reject' || maxMessages === 0) throw new OrreryError('ORRERY_QUEUE_OVERFLOW', `${message}; not queued`);
      const oldest = this.queue.shift();
      if (oldest !== undefined) this.dropped(oldest, 'ORRERY_QUEUE_OVERFLOW', `${message}; dropped the oldest entry`);
    }
    this.queue.push(frame);
  }

  private expired(frame: QueuedFrame): void {
    this.dropped(frame, 'ORRERY_QUEUE_EXPIRED', `queued longer than queue.ttlMs (${this.options.ttlMs} ms); not sent`);
  }

  /** Report an entry that will not be sent (a request rejects instead). */
  private dropped(frame: QueuedFrame, code: OrreryErrorCode, message: string): void {
    if (frame.requestId !== undefined) {
      this.requests.fail(frame.requestId, code === 'ORRERY_QUEUE_OVERFLOW' ? 'QUEUE_OVERFLOW' : 'CLOSED', message, code);
      return;
    }
    const dropped = frame.message as ClientMessage<AnyProtocol>;
    this.report({ error: new OrreryError(code, `message "${dropped.name}" ${message}`), message: dropped });
  }
}
