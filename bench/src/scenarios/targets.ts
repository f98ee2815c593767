/**
 * Where a load generator connects for each server kind and role, and the small steps every
 * scenario repeats (measuring a window with server CPU and the machine's state).
 */
import type { ConnectArgs, ConnectResult, ServerKind } from '../common/protocol.js';
import { PATHS } from '../servers/types.js';
import type { LoadHandle, RunContext, ServerHandle } from '../runner/context.js';
import { sourceAddresses } from '../runner/profile.js';

type Role = ConnectArgs['role'];

/** Path and wire protocol of `role` on a server of `kind`. */
export function targetFor(kind: ServerKind, role: Role): Pick<ConnectArgs, 'path' | 'protocol'> {
  if (kind === 'S') return { path: `/socket.io/?role=${role}`, protocol: 'sio' };
  const path = role === 'echo' ? PATHS.echo : role === 'sub' ? PATHS.sub : role === 'pub' ? PATHS.pub : PATHS.idle;
  return { path, protocol: kind === 'Xt' ? 'orrery' : 'ws' };
}

/** Address blocks handed out so far: each server (by port) gets loopback addresses of its own. */
const blocks = new Map<number, number>();

/**
 * Source addresses for connections to the server on `port`: a block of its own, so that a
 * ramp never binds ports on addresses a previous ramp has just used (lingering TIME_WAIT
 * sockets slow the kernel's port search down by an order of magnitude).
 */
function addressesFor(port: number, count: number, skip: number): string[] {
  let block = blocks.get(port);
  if (block === undefined) {
    block = blocks.size;
    blocks.set(port, block);
  }
  return sourceAddresses(count, skip).map((a) => a.replace(/^127\.0\./, `127.${1 + (block! % 250)}.`));
}

/** Connect `count` clients of `role`; throws when any failed. */
export async function connectRole(
  ctx: RunContext,
  load: LoadHandle,
  server: ServerHandle,
  kind: ServerKind,
  role: Role,
  count: number,
  addressSkip = 0,
): Promise<ConnectResult> {
  const c = ctx.profile.connections;
  const addresses = addressesFor(server.ready.port, Math.ceil(c.c1 / c.perAddress) + 1, addressSkip);
  const result = await load.call('connect', {
    port: server.ready.port,
    ...targetFor(kind, role),
    role,
    count,
    addresses,
    perAddress: c.perAddress,
    concurrency: c.concurrency,
  }, 180_000);
  if (result.failed > 0) {
    throw new Error(`${kind}: ${result.failed} of ${count} ${role} connections failed (first: ${result.firstError ?? '?'})`);
  }
  return result;
}

/** µs of CPU per item. */
export function usPer(cpu: { userUs: number; systemUs: number }, items: number): number {
  return items > 0 ? (cpu.userUs + cpu.systemUs) / items : NaN;
}

/** Round to `digits` significant-ish decimals for the JSON. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
