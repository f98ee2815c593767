/**
 * Connecting many clients: a bounded number of handshakes in flight (somaxconn is 4096
 * here), spread over loopback source addresses with at most `perAddress` connections each
 * (one source address stalls at ~6–7k connections on ephemeral-port selection).
 */
import { CpuWindow, LatencyHistogram } from '../common/hist.js';
import type { ConnectArgs, ConnectResult } from '../common/protocol.js';
import type { MaskSource } from '../wire/frames.js';
import { LoadClient, type ClientEvents } from './client.js';

/** Connections per source address, across batches (reset by {@link resetAddresses}). */
const used = new Map<string, number>();

/** Forget address usage (after every client was closed). */
export function resetAddresses(): void {
  used.clear();
}

function pickAddress(addresses: readonly string[], perAddress: number): string {
  for (const address of addresses) {
    const n = used.get(address) ?? 0;
    if (n < perAddress) {
      used.set(address, n + 1);
      return address;
    }
  }
  throw new Error(`no source address has room: ${addresses.length} addresses × ${perAddress} connections are in use`);
}

/** Open `args.count` connections; resolves when every one is open or has failed. */
export async function connectMany(
  args: ConnectArgs,
  masks: MaskSource,
  events: ClientEvents,
  firstIndex: number,
): Promise<{ clients: LoadClient[]; result: ConnectResult }> {
  const cpu = new CpuWindow();
  const started = performance.now();
  const clients: LoadClient[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const handshake = new LatencyHistogram();
  const target = { host: '127.0.0.1', port: args.port, path: args.path, protocol: args.protocol } as const;

  const one = async (): Promise<void> => {
    while (next < args.count) {
      const i = next++;
      let client: LoadClient;
      try {
        client = new LoadClient(firstIndex + i, target, pickAddress(args.addresses, args.perAddress), masks, events);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
        continue;
      }
      const t = performance.now();
      try {
        await client.ready;
        handshake.record((performance.now() - t) * 1000);
        clients.push(client);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.count) }, one));
  const result: ConnectResult = {
    connected: clients.length,
    failed,
    ms: performance.now() - started,
    handshake: handshake.summary(),
    cpu: cpu.stop(),
    ...(firstError === undefined ? {} : { firstError }),
  };
  return { clients, result };
}
