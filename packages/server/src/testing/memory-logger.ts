/**
 * A logger that keeps its lines, to assert on what a server or backend reported.
 *
 * @example
 * const logger = new MemoryLogger();
 * createWebsocketServer({ port: 0, routes, logger });
 * expect(logger.find('websocket connected')).toHaveLength(1);
 */
import type { LogFields, Logger } from '../observability.js';

/** One recorded log line. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** A {@link Logger} that records every line. */
export class MemoryLogger implements Logger {
  readonly lines: LoggedLine[] = [];
  debug(message: string, fields: LogFields): void { this.lines.push({ level: 'debug', message, fields }); }
  info(message: string, fields: LogFields): void { this.lines.push({ level: 'info', message, fields }); }
  warn(message: string, fields: LogFields): void { this.lines.push({ level: 'warn', message, fields }); }
  error(message: string, fields: LogFields): void { this.lines.push({ level: 'error', message, fields }); }
  /** Lines whose message contains `text`. */
  find(text: string): LoggedLine[] {
    return this.lines.filter((l) => l.message.includes(text));
  }
}
