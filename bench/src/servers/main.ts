/**
 * A server process under test: starts one server kind with one app and answers the
 * runner's measurement commands (CPU over a window, memory after GC, event-loop stalls,
 * cross-node publishing on a schedule).
 */
import { CpuWindow } from '../common/hist.js';
import { childConfig, serveCommands, type CommandHandlers } from '../common/ipc.js';
import { startPacer, type Pacer } from '../common/pacer.js';
import type { ServerCommands, ServerConfig, ServerReady } from '../common/protocol.js';
import { blankPayload, monoUs, stampPayload } from '../wire/payload.js';
import { StallProbe, memoryAfterGc } from './probe.js';
import type { BenchServer, ServerFactory } from './types.js';

// Loaded on demand: a process loads only the server it runs (a baseline never loads Orrery).
const factories: Record<ServerConfig['kind'], () => Promise<ServerFactory>> = {
  B0: async () => (await import('./raw-ws.js')).startRawWs,
  B0c: async () => (await import('./raw-ws.js')).startRawWs,
  B1: async () => (await import('./raw-ws.js')).startRawWs,
  S: async () => (await import('./socketio.js')).startSocketIo,
  X: async () => (await import('./orrery.js')).startOrrery,
  Xt: async () => (await import('./orrery-typed.js')).startOrreryTyped,
  HOP: async () => (await import('./redis-hop.js')).startHop,
};

function serve(server: BenchServer): void {
  const cpu = new CpuWindow();
  const stalls = new StallProbe();
  let pacer: Pacer | undefined;
  const handlers: CommandHandlers<ServerCommands> = {
    cpuStart: () => { cpu.start(); return undefined; },
    cpuStop: () => cpu.stop(),
    memory: () => memoryAfterGc(),
    stallStart: () => { stalls.start(); return undefined; },
    stallStop: () => stalls.stop(),
    connections: () => server.connections(),
    publishStart: ({ rate, bytes }) => {
      const publish = server.publish;
      if (publish === undefined) throw new Error('this server does not publish (app r1-pub only)');
      const template = blankPayload(bytes);
      // Open loop on timers (this process shares a core with Redis and the load generator, so
      // it must not spin); each message carries the time it was actually published.
      pacer = startPacer(rate, Infinity, false, (seq) => {
        const payload = Buffer.from(template);
        stampPayload(payload, 0, seq, monoUs());
        publish(payload);
      });
      return undefined;
    },
    publishStop: () => {
      pacer?.stop();
      const sent = pacer?.sent ?? 0;
      pacer = undefined;
      return { sent };
    },
    publishCount: () => pacer?.sent ?? 0,
    hopLatency: () => {
      if (server.hopLatency === undefined) throw new Error('hopLatency is for the raw hop subscriber');
      return server.hopLatency();
    },
  };
  const ready: ServerReady = { port: server.port, pid: process.pid, variant: server.variant };
  serveCommands(handlers, ready, () => {
    pacer?.stop();
    return withTimeout(server.close(), 3_000);
  });
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

const config = childConfig<ServerConfig>();
process.title = `bench-server-${config.kind}-${config.app}`;
factories[config.kind]().then((start) => start(config)).then(serve, (error: unknown) => {
  process.stderr.write(`server ${config.kind}/${config.app} failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
