/**
 * A load-generator process: holds client connections by role and runs what the runner asks
 * over the control channel. It never parses JSON and masks every frame.
 */
import { CpuWindow } from '../common/hist.js';
import { childConfig, serveCommands, type CommandHandlers } from '../common/ipc.js';
import type { LoadCommands, LoadConfig } from '../common/protocol.js';
import { MaskSource } from '../wire/frames.js';
import type { LoadClient, WireProtocol } from './client.js';
import { ClosedLoop, openLoop, type MessageFn } from './echo.js';
import { Envelope } from './envelope.js';
import { Collector, burst } from './fanout.js';
import { connectMany, resetAddresses } from './pool.js';

type Role = 'echo' | 'sub' | 'pub' | 'idle';

interface RoleState {
  clients: LoadClient[];
  protocol: WireProtocol;
  onMessage: MessageFn;
}

const noop: MessageFn = () => {};
const masks = new MaskSource();
const roles: Record<Role, RoleState> = {
  echo: { clients: [], protocol: 'ws', onMessage: noop },
  sub: { clients: [], protocol: 'ws', onMessage: noop },
  pub: { clients: [], protocol: 'ws', onMessage: noop },
  idle: { clients: [], protocol: 'ws', onMessage: noop },
};
let closing = false;
let closedUnexpectedly = 0;
let indexBase = 0;
let closedLoop: ClosedLoop | undefined;
const collector = new Collector();
const cpu = new CpuWindow();

function eventsFor(role: Role): Parameters<typeof connectMany>[2] {
  const state = roles[role];
  return {
    message: (client, buf, start, end) => state.onMessage(client, buf, start, end),
    closed: () => {
      if (!closing) closedUnexpectedly++;
    },
  };
}

function install(role: Role): (fn: MessageFn) => void {
  return (fn) => {
    roles[role].onMessage = fn;
  };
}

function publisher(): LoadClient {
  const pub = roles.pub.clients[0];
  if (pub === undefined) throw new Error('no publisher connected; connect one with role "pub" first');
  return pub;
}

const handlers: CommandHandlers<LoadCommands> = {
  async connect(args) {
    closing = false;
    const { clients, result } = await connectMany(args, masks, eventsFor(args.role), indexBase);
    indexBase += args.count;
    roles[args.role].clients.push(...clients);
    roles[args.role].protocol = args.protocol;
    return result;
  },
  closedLoopStart({ bytes }) {
    const state = roles.echo;
    closedLoop = new ClosedLoop(state.clients, new Envelope(state.protocol, bytes, masks));
    state.onMessage = closedLoop.onMessage;
    closedLoop.start();
    return undefined;
  },
  closedLoopMark() {
    closedLoop?.mark();
    return undefined;
  },
  closedLoopMeasure() {
    if (closedLoop === undefined) throw new Error('closedLoopStart first');
    return closedLoop.measure();
  },
  closedLoopStop() {
    closedLoop?.stop();
    closedLoop = undefined;
    roles.echo.onMessage = noop;
    return undefined;
  },
  openLoop({ rate, durationMs, warmupMs, bytes }) {
    const state = roles.echo;
    return openLoop(state.clients, new Envelope(state.protocol, bytes, masks), install('echo'), { rate, durationMs, warmupMs, drainMs: 1_000 });
  },
  burst({ messages, bytes, timeoutMs }) {
    const pub = publisher();
    return burst(pub, roles.sub.clients, new Envelope(roles.pub.protocol, bytes, masks), install('sub'), messages, timeoutMs);
  },
  collectStart() {
    collector.start();
    roles.sub.onMessage = collector.onMessage;
    return undefined;
  },
  collectStop() {
    roles.sub.onMessage = noop;
    return collector.stop();
  },
  cpuStart() {
    cpu.start();
    return undefined;
  },
  cpuStop() {
    return cpu.stop();
  },
  status() {
    let open = 0;
    let pings = 0;
    for (const state of Object.values(roles)) {
      for (const c of state.clients) {
        if (c.open) open++;
        pings += c.pings;
      }
    }
    return { open, pings, closedUnexpectedly };
  },
  async disconnectAll() {
    closing = true;
    const all = Object.values(roles).flatMap((s) => s.clients);
    await Promise.all(all.map((c) => new Promise<void>((resolve) => {
      if (c.socket.destroyed) return resolve();
      c.socket.once('close', () => resolve());
      c.close();
      setTimeout(() => { c.socket.destroy(); resolve(); }, 2_000).unref();
    })));
    for (const state of Object.values(roles)) {
      state.clients = [];
      state.onMessage = noop;
    }
    resetAddresses();
    return undefined;
  },
};

const config = childConfig<LoadConfig>();
process.title = `bench-load-${config.name}`;
serveCommands(handlers, { pid: process.pid }, async () => {
  closing = true;
  for (const state of Object.values(roles)) for (const c of state.clients) c.socket.destroy();
});
