/**
 * How the Redis registry reports trouble: typed errors for callers, and log lines for
 * everything nobody awaits.
 *
 * Handler code often fires `conn.registry.group.publish(...)` without `await`. A rejection
 * nobody handles would crash Node (`--unhandled-rejections=throw`, the default). So every
 * promise the registry returns is marked handled before it is returned, and every cluster
 * fault is logged here — the caller that awaits still gets the rejection, the caller that
 * does not loses nothing but the message, and the process never crashes or fails silently.
 * Repeated warnings are rate-limited: one line per kind per window, with the count of the
 * ones left out.
 */
import { OrreryError } from '@orrery/protocol';
import type { LogFields, Logger } from '@orrery/server';

/** `ORRERY_REGISTRY_UNAVAILABLE` for a failed Redis call. */
export function unavailable(op: string, cause: unknown, detail = ''): OrreryError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new OrreryError(
    'ORRERY_REGISTRY_UNAVAILABLE',
    `registry ${op} failed: Redis is unreachable or not answering (${why})${detail}; the node reconnects and re-asserts its names and groups by itself — retry later`,
    { cause },
  );
}

/** `ORRERY_REGISTRY_CLOSED`, rejected after `close()`. */
export function closedError(): OrreryError {
  return new OrreryError('ORRERY_REGISTRY_CLOSED', 'the Redis registry is closed; create a new one with redisRegistry()');
}

const noop = (): void => {};

/** Mark `promise` handled (no unhandledRejection) and return it unchanged. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

/** A rejected promise that is already marked handled. */
export function rejected(error: OrreryError): Promise<never> {
  return handled(Promise.reject(error));
}

/** Rate-limited, never-throwing logging of registry faults. */
export class FaultReporter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly nodeId: string, private readonly windowMs = 5_000) {}

  /** A warning that may repeat fast (same `kind` → at most one line per window). */
  warn(kind: string, message: string, fields: LogFields = {}): void {
    const now = Date.now();
    const entry = this.last.get(kind);
    if (entry !== undefined && now - entry.at < this.windowMs) {
      entry.suppressed++;
      this.safe('debug', message, fields);
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(kind, { at: now, suppressed: 0 });
    this.safe('warn', message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.safe('error', message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    this.safe('info', message, fields);
  }

  /** Forget the rate-limit windows (after recovery, the next fault is news again); returns how many warnings were left out. */
  reset(): number {
    let suppressed = 0;
    for (const entry of this.last.values()) suppressed += entry.suppressed;
    this.last.clear();
    return suppressed;
  }

  private safe(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: LogFields): void {
    try {
      this.logger[level](message, { registry: 'redis', node: this.nodeId, ...fields });
    } catch {
      // A broken logger must not break the registry.
    }
  }
}
