/**
 * Presence load test (a measurement, not a test): one group of `--members` tracked
 * connections over two server processes on one Redis, churned at `--rate` joins + leaves per
 * second for `--seconds`, with `--watchers` of them subscribed (`all`: every connection,
 * joiners included; a number: that many, joiners not). Reports what each change costs: the
 * presence messages sent per change (diffs, and the states joiners get), and the CPU of each
 * server process, of Redis and of this load generator, and how long a join / leave on one
 * node takes to be seen on the other.
 *
 *   node --conditions=@orrery/source --import tsx bench/presence/run.ts [--members 10000]
 *        [--rate 100] [--seconds 30] [--interval 500] [--watchers all|<n>] [--ramp 1000]
 *
 * docs/benchmarks.md ("Presence") has the numbers and how to read them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../../packages/redis/test/support/redis-servers.js';
import { connect, counters, Watcher, type LoadConn } from './clients.js';

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    interval: { type: 'string', default: '500' },
    watchers: { type: 'string', default: 'all' },
    ramp: { type: 'string', default: '1000' },
  },
});
const MEMBERS = Number(args.members);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const INTERVAL = Number(args.interval);
const ALL = args.watchers === 'all';
const WATCHERS = ALL ? MEMBERS : Number(args.watchers);
const RAMP = Number(args.ramp);
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ServerProc { child: ChildProcess; port: number; statsPort: number }
interface ServerStats { cpuMicros: number; rss: number; framesOut: number; bytesOut: number; connections: number; presence: { tracked: number; subscribers: number } }

const children: ChildProcess[] = [];
process.once('exit', () => { for (const c of children) c.kill('SIGKILL'); });

async function startServer(redisUrl: string): Promise<ServerProc> {
  const child = spawn(process.execPath, ['--conditions=@orrery/source', '--import', 'tsx', SERVER], {
    cwd: ROOT, env: { ...process.env, REDIS_URL: redisUrl, DIFF_MS: String(INTERVAL), MAX_MEMBERS: String(MEMBERS * 2) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const info = JSON.parse(line) as { port: number; statsPort: number };
  return { child, ...info };
}

async function stats(s: ServerProc): Promise<ServerStats> {
  return (await (await fetch(`http://127.0.0.1:${s.statsPort}/`)).json()) as ServerStats;
}

async function redisInfo(redis: Redis): Promise<{ cpu: number; scripts: number; spublish: number }> {
  const info = `${await redis.info('cpu')}\n${await redis.info('commandstats')}`;
  const num = (re: RegExp): number => Number(re.exec(info)?.[1] ?? 0);
  return {
    cpu: num(/used_cpu_sys:([\d.]+)/) + num(/used_cpu_user:([\d.]+)/),
    scripts: num(/cmdstat_evalsha:calls=(\d+)/) + num(/cmdstat_eval:calls=(\d+)/),
    spublish: num(/cmdstat_spublish:calls=(\d+)/),
  };
}

const pct = (micros: number, ms: number): string => `${((micros / 1000 / ms) * 100).toFixed(1)} %`;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** Open `MEMBERS` connections, `RAMP` per second, alternately on the two servers. */
class Load {
  readonly live: LoadConn[] = [];
  private next = 0;
  constructor(private readonly servers: ServerProc[]) {}

  join(): LoadConn {
    const i = this.next++;
    const c = connect(this.servers[i % 2]!.port, `user-${i}`, i, ALL || i < WATCHERS);
    this.live.push(c);
    return c;
  }

  leave(): void {
    const [gone] = this.live.splice(Math.floor(Math.random() * this.live.length), 1);
    gone!.ws.close();
  }

  async ramp(watcher: Watcher): Promise<void> {
    const start = performance.now();
    const batch = Math.max(1, Math.round(RAMP / 10));
    while (this.next < MEMBERS) {
      const opened: Promise<void>[] = [];
      for (let i = 0; i < batch && this.next < MEMBERS; i++) opened.push(this.join().open);
      await Promise.all([Promise.all(opened), sleep(100)]);
    }
    while (watcher.members.size < MEMBERS + 1) await sleep(50);
    console.error(`ramp: ${MEMBERS} tracked in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }

  /** RATE changes per second for `ms`, alternating leave and join; returns how many. */
  async churn(ms: number): Promise<number> {
    const start = performance.now();
    let changes = 0;
    for (let i = 0; performance.now() - start < ms; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      if (i % 2 === 0) this.leave();
      else this.join();
      changes++;
    }
    return changes;
  }
}

/** Every 2 s a probe joins on server B and leaves 1 s later; times when the watcher on A sees it. */
async function probe(port: number, watcher: Watcher, ms: number): Promise<{ join: number[]; leave: number[] }> {
  const seen = { join: [] as number[], leave: [] as number[] };
  const start = performance.now();
  for (let k = 0; performance.now() - start < ms - 2_000; k++) {
    const key = `probe-${k}`;
    const t0 = performance.now();
    const p = connect(port, key, -1, false);
    seen.join.push((await watcher.when(key, true)) - t0);
    await sleep(500);
    const t1 = performance.now();
    p.ws.close();
    seen.leave.push((await watcher.when(key, false)) - t1);
    await sleep(500);
  }
  return seen;
}

interface Snapshot { servers: ServerStats[]; redis: Awaited<ReturnType<typeof redisInfo>>; load: NodeJS.CpuUsage; counters: typeof counters }

async function snapshot(servers: ServerProc[], redis: Redis, since?: NodeJS.CpuUsage): Promise<Snapshot> {
  return { servers: await Promise.all(servers.map(stats)), redis: await redisInfo(redis), load: process.cpuUsage(since), counters: { ...counters } };
}

function report(before: Snapshot, after: Snapshot, elapsed: number, changes: number, seen: { join: number[]; leave: number[] }): Record<string, unknown> {
  const diffs = after.counters.diffs - before.counters.diffs;
  const states = after.counters.states - before.counters.states;
  const latency = (xs: number[]) => ({ p50: Math.round(quantile(xs, 0.5)), max: Math.round(Math.max(...xs)) });
  return {
    members: MEMBERS, subscribers: ALL ? 'all' : WATCHERS, rate: RATE, intervalMs: INTERVAL, seconds: +(elapsed / 1000).toFixed(1),
    changes, diffs, states,
    diffsPerChange: +(diffs / changes).toFixed(2),
    messagesPerChange: +((diffs + states) / changes).toFixed(2),
    naivePerChange: (ALL ? MEMBERS : WATCHERS) + 1,
    mbReceivedPerSecond: +(((after.counters.bytes - before.counters.bytes) / 1e6) / (elapsed / 1000)).toFixed(1),
    serverCpu: after.servers.map((s, i) => pct(s.cpuMicros - before.servers[i]!.cpuMicros, elapsed)),
    serverRssMb: after.servers.map((s) => Math.round(s.rss / 1e6)),
    redisCpu: pct((after.redis.cpu - before.redis.cpu) * 1e6, elapsed),
    redisScriptsPerSecond: Math.round((after.redis.scripts - before.redis.scripts) / (elapsed / 1000)),
    redisPublishesPerChange: +((after.redis.spublish - before.redis.spublish) / changes).toFixed(2),
    loadCpu: pct(after.load.user + after.load.system, elapsed),
    joinSeenMs: latency(seen.join),
    leaveSeenMs: latency(seen.leave),
    tracked: after.servers.map((s) => s.presence.tracked),
  };
}

async function main(): Promise<void> {
  const redisProc = await startRedis();
  const redis = new Redis(redisProc.url);
  const servers = [await startServer(redisProc.url), await startServer(redisProc.url)];
  const watcher = new Watcher(servers[0]!.port);
  await watcher.conn.open;
  const load = new Load(servers);
  await load.ramp(watcher);
  await sleep(2_000);

  const before = await snapshot(servers, redis);
  const start = performance.now();
  const [seen, churned] = await Promise.all([probe(servers[1]!.port, watcher, SECONDS * 1000), load.churn(SECONDS * 1000)]);
  await sleep(INTERVAL + 200);
  const elapsed = performance.now() - start;
  const after = await snapshot(servers, redis, before.load);
  console.log(JSON.stringify(report(before, after, elapsed, churned + seen.join.length + seen.leave.length, seen)));

  for (const c of load.live) c.ws.terminate();
  watcher.conn.ws.terminate();
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => new Promise((r) => s.child.once('exit', r))));
  redis.disconnect();
  await redisProc.stop();
}

await main();
process.exit(0);
