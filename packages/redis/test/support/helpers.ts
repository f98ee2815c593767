/** Small helpers shared by the Redis registry suites. */
import type { LogFields, Logger } from '@orrery/server';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `check()` holds; throws naming `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A logger that keeps its lines, to assert on what was reported. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; fields: LogFields }[] = [];
  debug(message: string, fields: LogFields): void { this.lines.push({ level: 'debug', message, fields }); }
  info(message: string, fields: LogFields): void { this.lines.push({ level: 'info', message, fields }); }
  warn(message: string, fields: LogFields): void { this.lines.push({ level: 'warn', message, fields }); }
  error(message: string, fields: LogFields): void { this.lines.push({ level: 'error', message, fields }); }
  /** Lines whose message contains `text`. */
  find(text: string): { level: string; message: string; fields: LogFields }[] {
    return this.lines.filter((l) => l.message.includes(text));
  }
}
