import { describe, expect, it } from 'vitest';
import { HeartbeatWheel, type HeartbeatEntry } from '../src/heartbeat.js';
import { sleep } from './support.js';

function entry(log: string[], name: string): HeartbeatEntry {
  return {
    lastInbound: 0, nextPingAt: 0, slot: -1,
    heartbeatPing: () => { log.push(`ping ${name}`); },
    heartbeatIdle: () => { log.push(`idle ${name}`); },
  };
}

describe('the heartbeat wheel', () => {
  it('pings silent entries within the ping interval, idles them after the idle timeout, and keeps live ones', async () => {
    const wheel = new HeartbeatWheel(200, 600);
    const log: string[] = [];
    const silent = entry(log, 'silent');
    const live = entry(log, 'live');
    wheel.add(silent);
    wheel.add(live);
    const keepAlive = setInterval(() => { live.lastInbound = wheel.now; }, 20);
    await sleep(280);
    expect(log.filter((l) => l === 'ping silent').length).toBeGreaterThanOrEqual(1);
    await sleep(600);
    clearInterval(keepAlive);
    expect(log).toContain('idle silent');
    expect(log).not.toContain('idle live');
    expect(log.filter((l) => l === 'ping live').length).toBeGreaterThanOrEqual(2);
    expect(wheel.count).toBe(1);
    wheel.remove(live);
    wheel.remove(live);
    expect(wheel.count).toBe(0);
  });

  it('visits only the entries due in a tick (no sweep over all)', async () => {
    const wheel = new HeartbeatWheel(10_000, 20_000);
    let visits = 0;
    const entries = Array.from({ length: 5_000 }, () => ({
      lastInbound: 0, nextPingAt: 0, slot: -1,
      heartbeatPing: () => { visits++; },
      heartbeatIdle: () => { visits++; },
    }));
    for (const e of entries) wheel.add(e);
    // First pings are spread over 5–10 s: within the first ~600 ms nothing is due.
    await sleep(600);
    expect(visits).toBe(0);
    const slots = new Set(entries.map((e) => e.slot));
    expect(slots.size).toBeGreaterThan(15);
    for (const e of entries) wheel.remove(e);
    expect(wheel.count).toBe(0);
  });
});
