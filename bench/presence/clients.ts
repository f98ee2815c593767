/**
 * The load generator's connections: plain `ws` sockets speaking `orrery.v1` (no client
 * library: 10,000 of them must stay cheap), counting the presence messages they receive by
 * kind, and one parsing watcher that follows the group the way a browser would — to time how
 * long a join or a leave takes to be seen on the other node.
 */
import WebSocket from 'ws';

/** Frames and bytes received, by kind. */
export interface Counters {
  states: number;
  diffs: number;
  other: number;
  bytes: number;
}

export const counters: Counters = { states: 0, diffs: 0, other: 0, bytes: 0 };

/** One connection of the load. */
export interface LoadConn {
  readonly key: string;
  readonly ws: WebSocket;
  /** Resolves once the server's welcome arrived. */
  readonly open: Promise<void>;
}

function classify(data: Buffer): keyof Omit<Counters, 'bytes'> {
  const head = data.subarray(0, 32).toString('latin1');
  if (head.startsWith('{"t":"msg","n":"presence_diff"')) return 'diffs';
  if (head.startsWith('{"t":"msg","n":"presence_state"')) return 'states';
  return 'other';
}

/** Open a connection to `/room` of `port` as `key`; `subscribe` asks for state and diffs. */
export function connect(port: number, key: string, n: number, subscribe: boolean, onFrame?: (data: Buffer) => void): LoadConn {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/room?user=${encodeURIComponent(key)}&n=${n}${subscribe ? '&sub=1' : ''}`, ['orrery.v1'], { perMessageDeflate: false });
  const open = new Promise<void>((resolve, reject) => {
    let welcomed = false;
    ws.on('message', (data: Buffer) => {
      counters.bytes += data.length;
      counters[classify(data)]++;
      if (!welcomed) {
        welcomed = true;
        resolve();
      }
      onFrame?.(data);
    });
    ws.once('error', reject);
    ws.once('close', () => { if (!welcomed) reject(new Error(`${key}: closed before the welcome`)); });
  });
  open.catch(() => undefined);
  return { key, ws, open };
}

/** A subscribed connection that keeps the member set and notes when keys come and go. */
export class Watcher {
  readonly members = new Set<string>();
  private readonly seen = new Map<string, (at: number) => void>();
  readonly conn: LoadConn;

  constructor(port: number) {
    this.conn = connect(port, 'watcher', 0, true, (data) => this.frame(data));
  }

  /** Resolves with the time a key joins (`true`) or leaves (`false`) the set. */
  when(key: string, present: boolean): Promise<number> {
    if (this.members.has(key) === present) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.seen.set(`${present ? '+' : '-'}${key}`, resolve));
  }

  private frame(data: Buffer): void {
    const text = data.toString('utf8');
    if (!text.startsWith('{"t":"msg","n":"presence_')) return;
    const msg = JSON.parse(text) as { n: string; d: { members?: Member[]; joins?: Member[]; leaves?: Member[] } };
    const now = performance.now();
    if (msg.n === 'presence_state') {
      this.members.clear();
      for (const m of msg.d.members ?? []) this.members.add(m.key);
      return;
    }
    // Leaves first, then joins; a key stays while a join mentions it.
    for (const m of msg.d.leaves ?? []) this.members.delete(m.key);
    for (const m of msg.d.joins ?? []) this.members.add(m.key);
    for (const [what, resolve] of this.seen) {
      const key = what.slice(1);
      if (this.members.has(key) === (what[0] === '+')) {
        this.seen.delete(what);
        resolve(now);
      }
    }
  }
}

interface Member {
  key: string;
}
