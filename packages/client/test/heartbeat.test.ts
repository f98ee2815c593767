import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebsocketClient } from '@orrery/client';
import { HeartbeatMonitor } from '../src/heartbeat.js';
import { chat } from './fixtures/protocol.js';
import { startChildServer, track, waitForState, waitForStatus } from './fixtures/helpers.js';

describe('HeartbeatMonitor (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function monitor(intervalMs: number, timeoutMs: number) {
    const events: string[] = [];
    const m = new HeartbeatMonitor({ intervalMs, timeoutMs, offlineTimeoutMs: 2_000 }, () => events.push(`ping@${Date.now()}`), (silent) => events.push(`dead@${Date.now()} silent ${silent}`));
    return { m, events };
  }

  it('pings after intervalMs of silence and declares the connection dead timeoutMs later: the bound is interval + timeout', () => {
    vi.useFakeTimers({ now: 0 });
    const { m, events } = monitor(1_000, 500);
    m.start();
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['ping@1000']);
    vi.advanceTimersByTime(499);
    expect(events).toEqual(['ping@1000']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['ping@1000', 'dead@1500 silent 1500']);
  });

  it('any inbound frame counts: traffic keeps it from pinging, an answer after a ping keeps it alive', () => {
    vi.useFakeTimers({ now: 0 });
    const { m, events } = monitor(1_000, 500);
    m.start();
    for (let t = 0; t < 5; t++) {
      vi.advanceTimersByTime(600);
      m.touch();
    }
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(events).toEqual(['ping@4000']);
    vi.advanceTimersByTime(200);
    m.touch(); // the pong
    vi.advanceTimersByTime(300);
    expect(events).toEqual(['ping@4000']);
    // the next silence is measured from the pong: ping at 4200 + 1000, dead 500 later
    vi.advanceTimersByTime(700);
    expect(events).toEqual(['ping@4000', 'ping@5200']);
    vi.advanceTimersByTime(500);
    expect(events).toEqual(['ping@4000', 'ping@5200', 'dead@5700 silent 1500']);
  });

  it('a probe with a short deadline (the browser went offline) gives up within it, also when a ping is already out', () => {
    vi.useFakeTimers({ now: 0 });
    const { m, events } = monitor(1_000, 5_000);
    m.start();
    vi.advanceTimersByTime(100);
    m.probe(200);
    expect(events).toEqual(['ping@100']);
    vi.advanceTimersByTime(200);
    expect(events).toEqual(['ping@100', 'dead@300 silent 300']);
    const second = monitor(1_000, 5_000);
    second.m.start();
    vi.advanceTimersByTime(1_000); // the regular ping is out, with 5 s to answer
    second.m.probe(200);
    vi.advanceTimersByTime(200);
    expect(second.events).toEqual(['ping@1300', 'dead@1500 silent 1200']);
  });

  it('probe pings at once; stop leaves no timer', () => {
    vi.useFakeTimers({ now: 0 });
    const { m, events } = monitor(1_000, 500);
    m.start();
    vi.advanceTimersByTime(100);
    m.probe();
    expect(events).toEqual(['ping@100']);
    m.stop();
    expect(vi.getTimerCount()).toBe(0);
    m.probe(); // stopped: nothing
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['ping@100']);
  });
});

describe('heartbeat against a server that stops answering without closing', () => {
  it('detects a SIGSTOPped server within intervalMs + timeoutMs and reconnects once it runs again', async () => {
    const { child, url } = await startChildServer();
    const heartbeat = { intervalMs: 300, timeoutMs: 400 };
    const client = track(createWebsocketClient(chat, { url: `${url}/chat`, heartbeat, connectTimeoutMs: 500, reconnect: { initialDelayMs: 50, maxDelayMs: 100 } }));
    await waitForStatus(client, 'open');
    expect(await client.request('echo', { text: 'alive' })).toEqual({ text: 'alive' });
    const lastAnswer = Date.now();
    const dead = waitForState(client, (s) => s.status === 'reconnecting', 'the heartbeat verdict', 5_000);
    child.kill('SIGSTOP');
    const verdict = await dead;
    const detectedAfter = Date.now() - lastAnswer;
    expect(verdict.lastClose).toEqual({ code: 1006, reason: 'heartbeat timeout', wasClean: false });
    // documented bound: interval + timeout after the last frame received (+ timer slack)
    expect(detectedAfter).toBeLessThanOrEqual(heartbeat.intervalMs + heartbeat.timeoutMs + 500);
    expect(detectedAfter).toBeGreaterThanOrEqual(heartbeat.timeoutMs);
    // while stopped, attempts hang in the handshake and time out
    const attemptTimedOut = await waitForState(client, (s) => s.lastClose?.reason === 'connect timeout', 'a connect timeout', 5_000);
    expect(attemptTimedOut.status).toBe('reconnecting');
    child.kill('SIGCONT');
    await waitForStatus(client, 'open', 10_000);
    expect(await client.request('echo', { text: 'back' })).toEqual({ text: 'back' });
  });
});
