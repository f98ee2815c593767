/**
 * The benchmark runner: `npm run bench [-- --quick] [--only=E1,F1] [--rounds=N]
 * [--profile=X] [--no-docs]`. Runs the scenarios of issue 9 side by side, writes
 * `bench/results/*.json` and (unless `--only` or `--no-docs`) `docs/benchmarks.md` with its chart.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './common/protocol.js';
import { packageVersion } from './common/versions.js';
import { writeDocs } from './report/docs.js';
import type { RunContext } from './runner/context.js';
import { machineSummary, watchMachine } from './runner/machine.js';
import { killAllChildren, liveChildren } from './runner/proc.js';
import { fullProfile, quickProfile, type Profile } from './runner/profile.js';
import type { RunResult, ScenarioId } from './runner/results.js';
import { runBundles } from './scenarios/bundles.js';
import { runConnections } from './scenarios/connections.js';
import { runEcho } from './scenarios/echo.js';
import { runFanout } from './scenarios/fanout.js';
import { runCrossNode } from './scenarios/cross-node.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Args {
  quick: boolean;
  only: Set<ScenarioId> | undefined;
  rounds: number | undefined;
  profileServer: ServerKind | undefined;
  kinds: Set<ServerKind> | undefined;
  docs: boolean;
  docsFrom: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: undefined, rounds: undefined, profileServer: undefined, kinds: undefined, docs: true, docsFrom: undefined };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a === '--no-docs') args.docs = false;
    else if (a.startsWith('--only=')) args.only = new Set(a.slice(7).split(',').map((s) => s.trim().toUpperCase() as ScenarioId));
    else if (a.startsWith('--rounds=')) args.rounds = Math.max(1, Number(a.slice(9)) | 0);
    else if (a.startsWith('--profile=')) args.profileServer = a.slice(10) as ServerKind;
    else if (a.startsWith('--docs-from=')) args.docsFrom = a.slice(12);
    else if (a.startsWith('--servers=')) args.kinds = new Set(a.slice(10).split(',').map((s) => s.trim() as ServerKind));
    else if (a === '--help' || a === '-h') {
      process.stdout.write('npm run bench [-- --quick] [--only=E1,E2,F1,F2,R1,M1,C1,BUNDLE] [--rounds=N] [--servers=X,B0,…] [--profile=X|B0|S…] [--no-docs] [--docs-from=bench/results/<run>.json]\n');
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${a}; try --help`);
    }
  }
  return args;
}

type Step = { ids: ScenarioId[]; run: (ctx: RunContext) => Promise<void> };

const steps: Step[] = [
  { ids: ['E1', 'E2'], run: runEcho },
  { ids: ['F1', 'F2'], run: runFanout },
  { ids: ['R1'], run: runCrossNode },
  { ids: ['M1', 'C1'], run: runConnections },
  { ids: ['BUNDLE'], run: runBundles },
];

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.docsFrom !== undefined) {
    // Rewrite the docs from a saved run (e.g. after editing bench/findings.md); runs nothing.
    const saved = JSON.parse(readFileSync(args.docsFrom, 'utf8')) as RunResult;
    process.stdout.write(`docs: ${writeDocs(root, saved).join(', ')} from ${args.docsFrom}\n`);
    return;
  }
  const base: Profile = args.quick ? quickProfile : fullProfile;
  const profile: Profile = args.rounds === undefined ? base : { ...base, rounds: args.rounds };
  const started = Date.now();
  const machine = machineSummary();
  const resultsDir = `${root}bench/results`;
  mkdirSync(resultsDir, { recursive: true });
  const ctx: RunContext = {
    profile,
    measurements: [],
    failures: [],
    notes: [],
    profileServer: args.profileServer,
    kinds: args.kinds,
    profileDir: `${resultsDir}/profiles`,
    log: (line) => process.stdout.write(`${line}\n`),
  };
  ctx.log(`orrery bench (${profile.mode}, ${profile.rounds} round${profile.rounds > 1 ? 's' : ''}); load average ${machine.loadavg.join(' ')} on ${machine.cpus} CPUs`);
  const idle = watchMachine([]);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const others = idle.stop().othersCores;
  if (others > 0.3) {
    ctx.log(`  NOTE: other processes use ${others.toFixed(2)} cores right now: numbers from this run will be noisy (see the machine-busy flags)`);
    ctx.notes.push(`other processes used ${others.toFixed(2)} cores when the run started: treat ratios as noisy`);
  }
  for (const step of steps) {
    if (args.only !== undefined && !step.ids.some((id) => args.only!.has(id))) continue;
    ctx.log(`${step.ids.join('/')}:`);
    const t = Date.now();
    try {
      await step.run(ctx);
    } catch (error) {
      ctx.failures.push({ scenario: step.ids[0]!, error: error instanceof Error ? error.message : String(error) });
      ctx.log(`  FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
    ctx.log(`  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
  const result: RunResult = {
    startedAt: new Date(started).toISOString(),
    mode: profile.mode,
    rounds: profile.rounds,
    durationS: Math.round((Date.now() - started) / 1000),
    node: process.version,
    machine: { loadavgAtStart: machine.loadavg, cpus: machine.cpus },
    versions: Object.fromEntries(['ws', 'socket.io', '@socket.io/redis-adapter', 'ioredis', 'hdr-histogram-js'].map((n) => [n, packageVersion(n)])),
    orreryCommit: gitCommit(),
    measurements: ctx.measurements,
    failures: ctx.failures,
    notes: ctx.notes,
  };
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const file = `${resultsDir}/${stamp}-${profile.mode}.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(`${resultsDir}/latest-${profile.mode}.json`, `${JSON.stringify(result, null, 1)}\n`);
  ctx.log(`results: ${file}`);
  if (args.docs && args.only === undefined && args.kinds === undefined) {
    const written = writeDocs(root, result);
    ctx.log(`docs: ${written.join(', ')}`);
  }
  ctx.log(`done in ${result.durationS} s; ${result.failures.length} failure(s)`);
  if (result.failures.length > 0) process.exitCode = 1;
}

process.on('exit', () => {
  if (liveChildren() > 0) killAllChildren();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stdout.write(`\n${signal}: stopping every benchmark process\n`);
    killAllChildren();
    process.exit(130);
  });
}
main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  killAllChildren();
  process.exit(1);
});
