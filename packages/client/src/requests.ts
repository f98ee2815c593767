/**
 * Requests in flight: ids, timeouts, abort signals and settling. A failure is an ordinary
 * outcome — the promise rejects with a `RequestError` whose `reason` says which (see
 * `BUILTIN_REQUEST_FAILURES` in @orrery/protocol) — and every request settles exactly once:
 * by its reply, its timeout, its signal, the connection dropping after it was sent
 * (`DISCONNECTED`: it may or may not have run), or the client closing (`CLOSED`).
 */
import {
  formatIssues,
  isPending,
  RequestError,
  runSchema,
  type OrreryErrorCode,
  type RequestSpec,
  type StandardSchemaV1,
} from '@orrery/protocol';

interface Pending {
  readonly name: string;
  readonly spec: RequestSpec;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: RequestError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
  sent: boolean;
}

const CODE_OF: Readonly<Record<string, OrreryErrorCode>> = {
  TIMEOUT: 'ORRERY_REQUEST_TIMEOUT',
  ABORTED: 'ORRERY_REQUEST_ABORTED',
  DISCONNECTED: 'ORRERY_REQUEST_ABORTED',
  QUEUE_OVERFLOW: 'ORRERY_QUEUE_OVERFLOW',
  INVALID_OUTPUT: 'ORRERY_INVALID_MESSAGE',
};

/** Build the error of a request that failed locally (not by the server's reply). */
export function localFailure(name: string, reason: string, message: string, code?: OrreryErrorCode, closeCode?: number): RequestError {
  return new RequestError(code ?? CODE_OF[reason] ?? 'ORRERY_REQUEST_FAILED', name, reason, message, { closeCode });
}

/** The table of requests that have not settled yet. */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** @param unqueue - drop a request that is still in the offline queue */
  constructor(private readonly unqueue: (id: number) => void) {}

  get size(): number {
    return this.pending.size;
  }

  /** Register a request; returns its id and promise. */
  create(name: string, spec: RequestSpec, timeoutMs: number, signal: AbortSignal | undefined): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    let resolve!: (value: unknown) => void;
    let reject!: (error: RequestError) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => this.fail(id, 'TIMEOUT', `request "${name}" got no reply within ${timeoutMs} ms`), timeoutMs);
    const onAbort = signal === undefined ? undefined : () => this.fail(id, 'ABORTED', `request "${name}" was aborted`);
    signal?.addEventListener('abort', onAbort!, { once: true });
    this.pending.set(id, { name, spec, resolve, reject, timer, signal, onAbort, sent: false });
    return { id, promise };
  }

  /** The request's frame went out on an open socket. */
  markSent(id: number): void {
    const p = this.pending.get(id);
    if (p !== undefined) p.sent = true;
  }

  /** A `res` frame: validate the output, then resolve. Unknown ids (late replies) are ignored. */
  result(id: number, data: unknown): void {
    const p = this.take(id);
    if (p === undefined) return;
    const checked = runSchema(p.spec.output as StandardSchemaV1, data);
    if (isPending(checked)) {
      checked.then(
        (r) => settleChecked(p, r),
        (error: unknown) => p.reject(localFailure(p.name, 'INVALID_OUTPUT', `the output schema of "${p.name}" threw: ${String(error)}`)),
      );
    } else {
      settleChecked(p, checked);
    }
  }

  /** An `err` frame. Unknown ids (late replies) are ignored. */
  failure(id: number, code: string, message: string): void {
    const p = this.take(id);
    if (p !== undefined) p.reject(new RequestError('ORRERY_REQUEST_FAILED', p.name, code, message));
  }

  /** Fail one request locally. */
  fail(id: number, reason: string, message: string, code?: OrreryErrorCode, closeCode?: number): void {
    const p = this.take(id);
    if (p === undefined) return;
    if (!p.sent) this.unqueue(id);
    p.reject(localFailure(p.name, reason, message, code, closeCode));
  }

  /** The socket is gone: fail the requests sent on it (the queued ones wait for the next). */
  failSent(message: string): void {
    for (const [id, p] of this.pending) if (p.sent) this.fail(id, 'DISCONNECTED', `request "${p.name}": ${message}`);
  }

  /** Fail every request (client closed, or a terminal close). */
  failAll(reason: string, message: string, code: OrreryErrorCode, closeCode?: number): void {
    for (const [id, p] of this.pending) this.fail(id, reason, `request "${p.name}": ${message}`, code, closeCode);
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    return p;
  }
}

function settleChecked(p: Pending, checked: StandardSchemaV1.Result<unknown>): void {
  if (checked.issues === undefined) p.resolve(checked.value);
  else p.reject(localFailure(p.name, 'INVALID_OUTPUT', `the reply to "${p.name}" does not match its output schema: ${formatIssues(checked.issues)}`));
}
