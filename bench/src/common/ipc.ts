/**
 * The control channel between the runner and its child processes (servers, load
 * generators): request/reply over Node's IPC channel, typed by a command map.
 *
 * A child exits as soon as the channel closes, so a runner that dies (even by SIGKILL)
 * never leaves a server or load generator behind.
 */

/** Commands a child understands: name → argument and result types. */
export type CommandMap<M> = { [K in keyof M]: { args: unknown; result: unknown } };

/** A request from the runner. */
export interface IpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

/** A child's answer (or its `ready` announcement, id 0). */
export interface IpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** The handlers a child registers, one per command. */
export type CommandHandlers<M extends CommandMap<M>> = {
  [K in keyof M]: (args: M[K]['args']) => M[K]['result'] | Promise<M[K]['result']>;
};

function send(reply: IpcReply): void {
  if (process.connected) process.send?.(reply);
}

/**
 * Serve commands in a child process; announce `ready` (reply id 0) with `readyResult`.
 * `exit` is always understood: it runs `onExit`, answers, and ends the process.
 */
export function serveCommands<M extends CommandMap<M>>(
  handlers: CommandHandlers<M>,
  readyResult: unknown,
  onExit: () => Promise<void> | void,
): void {
  if (process.send === undefined) throw new Error('this script is a child of bench/run.mjs; start it through the runner');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const request = raw as IpcRequest;
    if (request.cmd === 'exit') {
      Promise.resolve()
        .then(onExit)
        .catch(() => {})
        .finally(() => {
          send({ id: request.id, ok: true });
          setTimeout(() => process.exit(0), 20);
        });
      return;
    }
    const handler = (handlers as Record<string, ((args: unknown) => unknown) | undefined>)[request.cmd];
    if (handler === undefined) {
      send({ id: request.id, ok: false, error: `unknown command ${request.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args))
      .then(
        (result) => send({ id: request.id, ok: true, result }),
        (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  send({ id: 0, ok: true, result: readyResult });
}

/** The child's configuration, passed as JSON in an environment variable. */
export function childConfig<T>(): T {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (raw === undefined) throw new Error('BENCH_CHILD_CONFIG is not set; start this script through bench/run.mjs');
  return JSON.parse(raw) as T;
}
