/**
 * Is the machine quiet? Over a measurement window, compare all CPU time spent on the host
 * (/proc/stat) with the CPU time of the benchmark's own processes (/proc/<pid>/stat): the
 * rest is someone else's work (other engineers' test suites share these 2 cores).
 */
import { readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ on Linux

function hostBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy = all − idle − iowait
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - (f[3] ?? 0) - (f[4] ?? 0);
}

function pidTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] utime, fields[12] stime (after pid and comm)
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU use over a window, in cores. */
export interface MachineSample {
  /** Everything on the host. */
  readonly hostCores: number;
  /** The runner and its children. */
  readonly oursCores: number;
  /** Everyone else. */
  readonly othersCores: number;
  readonly wallMs: number;
}

/** A running window. */
export interface MachineWindow {
  stop(): MachineSample;
}

/** Start watching; `pids` are the benchmark's processes (the runner is added). */
export function watchMachine(pids: readonly number[]): MachineWindow {
  const all = [process.pid, ...pids];
  const host0 = hostBusyTicks();
  const ours0 = all.map(pidTicks);
  const t0 = performance.now();
  return {
    stop() {
      const wallMs = performance.now() - t0;
      const seconds = wallMs / 1000;
      const host = (hostBusyTicks() - host0) / HZ;
      const ours = all.map(pidTicks).reduce((sum, t, i) => sum + t - ours0[i]!, 0) / HZ;
      const hostCores = seconds > 0 ? host / seconds : 0;
      const oursCores = seconds > 0 ? ours / seconds : 0;
      return { hostCores, oursCores, othersCores: Math.max(0, hostCores - oursCores), wallMs };
    },
  };
}

/** Load averages and the number of CPUs, for the run's header. */
export function machineSummary(): { loadavg: number[]; cpus: number } {
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return { loadavg, cpus };
}
