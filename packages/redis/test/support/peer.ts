/**
 * A websocket client of `fixtures/node-server.ts`: sends registry commands, awaits their
 * replies, and collects the registry messages delivered to its connection.
 */
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { eventually } from './helpers.js';

interface Reply {
  id: number;
  op: string;
  result?: unknown;
  error?: string;
}

let seq = 0;

export class Peer {
  private constructor(readonly client: TestClient, readonly label: string) {}

  static async connect(url: string, label = url): Promise<Peer> {
    return new Peer(await connectTestClient(url), label);
  }

  /** Every registry message delivered so far, in order. */
  messages(): unknown[] {
    const out: unknown[] = [];
    for (const frame of this.client.frames) {
      if (frame.type !== 'text') continue;
      const parsed = JSON.parse(frame.data) as { op: string; message?: unknown };
      if (parsed.op === 'message') out.push(parsed.message);
    }
    return out;
  }

  /** Wait until at least `n` messages arrived; returns them all. */
  async waitMessages(n: number, timeoutMs = 3_000): Promise<unknown[]> {
    await eventually(() => this.messages().length >= n, `${this.label} to receive ${n} messages (has ${this.messages().length})`, timeoutMs);
    return this.messages();
  }

  /** Send a command; resolves with its result, rejects with its error code. */
  async call(op: string, fields: Record<string, unknown>): Promise<unknown> {
    const id = ++seq;
    this.client.send(JSON.stringify({ id, op, ...fields }));
    let reply: Reply | undefined;
    await eventually(() => (reply = this.findReply(id)) !== undefined, `${this.label}: reply to ${op}`, 5_000);
    if (reply!.error !== undefined) throw new Error(reply!.error);
    return reply!.result;
  }

  register(name: string): Promise<unknown> { return this.call('register', { name }); }
  send(name: string, message: unknown): Promise<unknown> { return this.call('send', { name, message }); }
  join(group: string): Promise<unknown> { return this.call('join', { group }); }
  publish(group: string, message: unknown): Promise<unknown> { return this.call('publish', { group, message }); }

  close(): void {
    this.client.close(1000);
  }

  private findReply(id: number): Reply | undefined {
    for (let i = this.client.frames.length - 1; i >= 0; i--) {
      const frame = this.client.frames[i]!;
      if (frame.type !== 'text') continue;
      const parsed = JSON.parse(frame.data) as Reply;
      if (parsed.id === id) return parsed;
    }
    return undefined;
  }
}
