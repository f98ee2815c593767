/**
 * The method section of docs/benchmarks.md: how the numbers are made. Kept next to the
 * code it describes so that both change together.
 */

/** Markdown for the method and "how to run" sections. */
export function methodText(): string {
  return `## How to run

\`\`\`sh
npm run bench                 # full: 3 rounds (M1/C1 one, plus A/A), longer windows, C1 with the default 25 s heartbeat (≈ 15–20 min)
npm run bench -- --quick      # 1 round, short windows (≈ 2 min)
npm run bench -- --only=F1    # some scenarios only (E1,E2,F1,F2,R1,M1,C1,BUNDLE); does not touch the docs
npm run bench -- --rounds=5   # more rounds
npm run bench -- --servers=X,B0 --only=F1   # some server kinds only (does not touch the docs)
npm run bench -- --profile=X --only=F1   # servers of kind X run under node --cpu-prof → bench/results/profiles/
npm run bench -- --docs-from=bench/results/latest-full.json   # rewrite this page from a saved run
node --import tsx bench/src/tools/profile-summary.ts <file.cpuprofile>   # top functions of a profile
\`\`\`

Each run writes \`bench/results/<time>-<mode>.json\` and \`bench/results/latest-<mode>.json\` (every
measurement with its flags and the machine's state), and rewrites this page and
\`docs/benchmarks.svg\`. Run it on a quiet machine: it takes both cores.

## Method

**Servers.** B0: tuned raw \`ws\` — a broadcast frames the message once
(\`WebSocket.Sender.frame\`, header and payload in one buffer) and writes it to each socket with
\`_sender.sendFrame\`: one write per socket per message. B0c: B0 plus cross-message corking (each
socket corked on its first write of a tick, uncorked on \`process.nextTick\`) — the hand-written
optimum for bursts, shown for information; the F1 goal is against B0, as in the reference
measurements the goals came from. B1: naive \`ws\` (\`JSON.stringify\` + \`ws.send\` per socket;
echo decodes the message to a string and sends it). S: Socket.IO 4, websocket transport only,
rooms for broadcast, @socket.io/redis-adapter across nodes. X: Orrery \`@orrery/server\` raw
handlers as the README writes them. HOP (R1 only): a raw ioredis PUBLISH received by a plain
subscriber process. Compression is off everywhere; every server runs its own heartbeat
(ws: the README \`isAlive\` sweep; Socket.IO: its per-socket timers; Orrery: its wheel) at
the same interval.

**Processes.** Server on CPU0, load generator on CPU1 (\`taskset\`); in R1 the delivering node
is on CPU0 and the publishing node, Redis and the load generator share CPU1. Every process is a
child of the runner, and exits when the runner's control channel closes; Redis runs under a guard
that kills it when the runner goes away.

**Load generator.** Websocket over raw \`net\` sockets: a real handshake (key checked), every
frame masked with a fresh random non-zero mask, pings answered; to close, it sends a close frame
and lets the server end the TCP connection (so TIME_WAIT stays on the server's side, off the
load generator's source ports). It parses no JSON: each payload
carries \`~\` + an 8-hex-digit sequence number + a 12-hex-digit µs timestamp (CLOCK_MONOTONIC,
shared by all processes) wherever the envelope puts it. Latency is recorded into an HDR histogram
from the *intended* send time (open loop, no coordinated omission); E2's scheduler spin-waits so
that intended and actual send times stay within µs. The load generator's CPU is recorded with
\`process.cpuUsage()\`; a window where it used more than 80% of its core is flagged \`load-bound\`
(the load generator, not the server, set the pace — for E1 this is the nature of a closed loop).
While a broadcast (F1/F2) is in flight the load generator spins instead of sleeping: on loopback a
write to a sleeping reader makes the *server* pay for waking the reader's CPU (an IPI, costly in a
VM) — a cost a real network never puts on the server, and one that flipped the server's CPU per
delivery by ±30% between identical runs. There, \`load-bound\` means its loop spent more than 80%
of the window on I/O.

**Primary figure: server CPU time.** msg/s swings 1.3–1.6× between identical runs on this machine,
so efficiency is server CPU time (user + system, \`process.cpuUsage()\` deltas over the measured
window, taken by the server process on request over the control channel) per echo or per delivery.

**Noise.** Servers alternate within a round (order rotated every round) and the first kind
runs twice per round (B0, or HOP in R1): the A/A band is the largest |B0′/B0 − 1| over the rounds. A
miss smaller than that band is marked "within noise". The runner also compares all CPU time on
the host (/proc/stat) with its own processes' and flags a window \`machine-busy\` when others used
more than 0.4 cores.

**Scenarios.** E1: 64 clients, one message each in flight, 64-byte payloads. E2: 10k msg/s offered
round-robin over 64 clients. F1: one publisher connection writes 20 messages in one TCP write;
the server broadcasts each to N subscribers (N = 1,000 and 5,000); CPU per delivery and trigger →
last delivery. F2: the same with one message. R1: node A publishes on a timer (each message
stamped when it is published) → Redis → node B → subscribers; 1k msg/s to 10 subscribers and
20 msg/s to 1,000. M1: heap and RSS growth per idle connection after three forced GCs. C1: the
same ramp continued to 19,000 connections (the 20,000-fd limit per process), then held for 1.3
heartbeat intervals while the server watches its event loop (\`monitorEventLoopDelay\` and a
10 ms timer-drift probe; the longest GC pause in the window is recorded beside it); connect time
per 1k is the load generator's time to open them, 200 handshakes in flight, from loopback source
addresses (a fresh block per server: 127.B.0.2, .3, …) with at most 5,000 each.
Two processes: two Orrery servers (one per CPU), each with its own load generator, 19,000 each.
Bundles: esbuild, ESM, browser platform, minified, \`NODE_ENV=production\`, gzip level 9.
`;
}
