/**
 * Frames from the server: decoded, validated and handed on in arrival order. An invalid
 * frame (not an envelope, an unknown message name, data failing its schema, a binary frame)
 * is reported as an error event and dropped; it never reaches a listener and never throws.
 * When a schema is async, later frames wait behind it so listeners still see arrival order.
 */
import {
  decodeServerFrame,
  formatIssues,
  isPending,
  OrreryError,
  runSchema,
  type AnyProtocol,
  type ServerEnvelope,
  type StandardSchemaV1,
  type WelcomeEnvelope,
} from '@orrery/protocol';

/** What the dispatcher hands decoded frames to. */
export interface InboundTarget {
  welcome(env: WelcomeEnvelope): void;
  /** A `msg` with `seq` or `a` (resumable connections); false: drop it. */
  sequenced(seq: number | undefined, a: unknown, frame: string): boolean;
  /** A server `ack`: client messages up to `seq` were processed. */
  ack(seq: number): void;
  message(name: string, data: unknown): void;
  result(id: number, data: unknown): void;
  failure(id: number, code: string, message: string): void;
  invalid(error: OrreryError, frame: string): void;
}

/** Decodes and orders one client's inbound frames. */
export class InboundDispatcher {
  private backlog: unknown[] | undefined;

  constructor(
    private readonly protocol: AnyProtocol,
    private readonly target: InboundTarget,
  ) {}

  receive(data: unknown): void {
    if (this.backlog !== undefined) this.backlog.push(data);
    else this.process(data);
  }

  private process(data: unknown): void {
    if (typeof data !== 'string') {
      this.target.invalid(new OrreryError('ORRERY_DECODE_ERROR', 'the server sent a binary frame; orrery.v1 frames are JSON text'), '');
      return;
    }
    let env: ServerEnvelope;
    try {
      env = decodeServerFrame(data);
    } catch (error) {
      this.target.invalid(error as OrreryError, data);
      return;
    }
    switch (env.t) {
      case 'msg':
        if ((env.seq !== undefined || env.a !== undefined) && !this.target.sequenced(env.seq, env.a, data)) return;
        this.message(env.n, env.d, data);
        return;
      case 'ack':
        this.target.ack(env.seq);
        return;
      case 'res':
        this.target.result(env.id, env.d);
        return;
      case 'err':
        this.target.failure(env.id, env.e.code, env.e.message);
        return;
      case 'welcome':
        this.target.welcome(env);
        return;
      default:
        return; // pong: the heartbeat saw the frame arrive
    }
  }

  private message(name: string, data: unknown, frame: string): void {
    const schema = this.protocol.serverSchemas.get(name);
    if (schema === undefined) {
      this.target.invalid(new OrreryError('ORRERY_INVALID_MESSAGE', `the server sent message "${name}", which the protocol does not define`), frame);
      return;
    }
    const checked = runSchema(schema, data);
    if (!isPending(checked)) {
      this.deliver(name, checked, frame);
      return;
    }
    this.backlog = [];
    checked.then(
      (result) => this.deliver(name, result, frame),
      (error: unknown) => this.target.invalid(new OrreryError('ORRERY_INVALID_MESSAGE', `the schema of "${name}" threw: ${String(error)}`, { cause: error }), frame),
    ).then(() => this.drain());
  }

  private deliver(name: string, checked: StandardSchemaV1.Result<unknown>, frame: string): void {
    if (checked.issues !== undefined) {
      this.target.invalid(new OrreryError('ORRERY_INVALID_MESSAGE', `server message "${name}" does not match its schema: ${formatIssues(checked.issues)}`), frame);
    } else {
      this.target.message(name, checked.value);
    }
  }

  private drain(): void {
    const waiting = this.backlog ?? [];
    this.backlog = undefined;
    for (let i = 0; i < waiting.length; i++) {
      this.process(waiting[i]);
      if (this.backlog !== undefined) {
        (this.backlog as unknown[]).push(...waiting.slice(i + 1));
        return;
      }
    }
  }
}
