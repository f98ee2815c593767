/**
 * Logging and counters. The server logs one line when a connection opens and one when it
 * ends (connected_at, frames received/sent, reason), and keeps per-route counters that
 * `server.stats()` returns and {@link formatPrometheus} renders for a `/metrics` route.
 */

/** Fields of a structured log line. */
export type LogFields = Record<string, unknown>;

/** The logger hook. Any of pino, winston or console fits with a small adapter. */
export interface Logger {
  debug(message: string, fields: LogFields): void;
  info(message: string, fields: LogFields): void;
  warn(message: string, fields: LogFields): void;
  error(message: string, fields: LogFields): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** Log level threshold. */
export type LogLevel = (typeof LEVELS)[number];

/**
 * A logger that writes JSON lines to stderr at or above `level`.
 * @param level @default 'warn' — connection lines are `info`, handler errors `error`.
 */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (lvl: LogLevel) => (message: string, fields: LogFields) => {
    if (LEVELS.indexOf(lvl) < threshold) return;
    process.stderr.write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), msg: message, ...serializable(fields) })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function serializable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, code: (value as { code?: unknown }).code, stack: value.stack } : value;
  }
  return out;
}

/** Wrap a user logger so that a throwing logger can never break a connection. */
export function safeLogger(logger: Logger): Logger {
  const guard = (fn: Logger[keyof Logger]) => (message: string, fields: LogFields) => {
    try {
      fn.call(logger, message, fields);
    } catch {
      // A broken logger must not take connections down with it.
    }
  };
  return { debug: guard(logger.debug), info: guard(logger.info), warn: guard(logger.warn), error: guard(logger.error) };
}

/** Counters of one route on this process. */
export interface RouteStats {
  route: string;
  path: string;
  /** Open connections (gauge). */
  connections: number;
  /** Connections accepted since start. */
  connectionsTotal: number;
  /** Rejected handshakes by HTTP status. */
  rejections: Record<number, number>;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Events dropped because their connection ended before they ran. */
  mailboxDropped: number;
  handlerErrors: number;
  /** Resumable routes: sessions resumed (on this node or through a relay). */
  sessionsResumed: number;
  /** Resumable routes: resume requests refused, by reason. */
  resumeRefusals: Record<string, number>;
  /** Resumable routes: client messages dropped as resends of processed ones. */
  duplicatesDropped: number;
  /** Resumable routes: sessions waiting for their client (gauge). */
  sessionsParked: number;
}

/** Fresh zeroed counters. */
export function createRouteStats(route: string, path: string): RouteStats {
  return {
    route, path, connections: 0, connectionsTotal: 0, rejections: {},
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, mailboxDropped: 0, handlerErrors: 0,
    sessionsResumed: 0, resumeRefusals: {}, duplicatesDropped: 0, sessionsParked: 0,
  };
}

/** A snapshot of the server's counters. */
export interface ServerStats {
  routes: RouteStats[];
  registry: { kind: string; nodeId: string; names: number; groups: number; memberships: number };
}

/** Render stats in the Prometheus text exposition format. */
export function formatPrometheus(stats: ServerStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) lines.push(`${name}{${labels}} ${value}`);
  };
  const label = (r: RouteStats) => `route="${escapeLabel(r.route)}"`;
  const per = (pick: (r: RouteStats) => number): [string, number][] => stats.routes.map((r) => [label(r), pick(r)]);
  metric('orrery_websocket_connections', 'gauge', 'Open websocket connections.', per((r) => r.connections));
  metric('orrery_websocket_connections_total', 'counter', 'Accepted websocket connections.', per((r) => r.connectionsTotal));
  metric('orrery_websocket_rejections_total', 'counter', 'Rejected websocket handshakes.', stats.routes.flatMap((r) =>
    Object.entries(r.rejections).map(([status, n]): [string, number] => [`${label(r)},status="${status}"`, n])));
  metric('orrery_websocket_frames_received_total', 'counter', 'Client messages handled.', per((r) => r.framesIn));
  metric('orrery_websocket_frames_sent_total', 'counter', 'Frames sent to clients.', per((r) => r.framesOut));
  metric('orrery_websocket_bytes_received_total', 'counter', 'Bytes of client messages.', per((r) => r.bytesIn));
  metric('orrery_websocket_bytes_sent_total', 'counter', 'Bytes of frames sent.', per((r) => r.bytesOut));
  metric('orrery_websocket_mailbox_dropped_total', 'counter', 'Events dropped because their connection had ended.', per((r) => r.mailboxDropped));
  metric('orrery_websocket_handler_errors_total', 'counter', 'Handler callbacks that threw or returned invalid results.', per((r) => r.handlerErrors));
  metric('orrery_websocket_sessions_resumed_total', 'counter', 'Resumable sessions resumed.', per((r) => r.sessionsResumed));
  metric('orrery_websocket_resume_refusals_total', 'counter', 'Resume requests refused.', stats.routes.flatMap((r) =>
    Object.entries(r.resumeRefusals).map(([reason, n]): [string, number] => [`${label(r)},reason="${escapeLabel(reason)}"`, n])));
  metric('orrery_websocket_duplicates_dropped_total', 'counter', 'Resent client messages dropped (already processed).', per((r) => r.duplicatesDropped));
  metric('orrery_websocket_sessions_parked', 'gauge', 'Resumable sessions waiting for their client.', per((r) => r.sessionsParked));
  const reg = `backend="${escapeLabel(stats.registry.kind)}",node="${escapeLabel(stats.registry.nodeId)}"`;
  metric('orrery_registry_names', 'gauge', 'Unique names held by local members.', [[reg, stats.registry.names]]);
  metric('orrery_registry_groups', 'gauge', 'Groups with local members.', [[reg, stats.registry.groups]]);
  metric('orrery_registry_memberships', 'gauge', 'Group memberships of local members.', [[reg, stats.registry.memberships]]);
  return `${lines.join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
