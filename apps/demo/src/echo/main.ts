/**
 * The echo page: a plain browser `WebSocket` on `/echo`, the seed's raw echo handler (no
 * Orrery envelope, so no Orrery client is needed). Shows the socket's state, what was sent
 * and what came back with its round-trip time.
 */
import '../styles.css';
import { byId, clock, h } from '../ui/dom.js';
import { describeClose, renderStatus } from '../ui/status.js';

/** The echo route's limit (`maxMessageBytes` of `/echo` on the server). */
const MAX_ECHO_BYTES = 64 * 1024;

const status = byId('status');
const form = byId<HTMLFormElement>('echo-form');
const input = byId<HTMLInputElement>('echo-input');
const log = byId<HTMLOListElement>('echo-log');
const problem = byId('echo-problem');
const toggle = byId<HTMLButtonElement>('echo-toggle');

let socket: WebSocket | undefined;
/** Send times of frames not yet echoed, oldest first (the echo keeps order). */
const inFlight: number[] = [];

function socketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/echo`;
}

function connect(): void {
  const ws = new WebSocket(socketUrl());
  socket = ws;
  inFlight.length = 0;
  renderStatus(status, { state: 'connecting', label: 'Connecting…' });
  toggle.textContent = 'Disconnect';
  ws.addEventListener('open', () => renderStatus(status, { state: 'open', label: 'Connected', detail: 'ws /echo' }));
  ws.addEventListener('message', (event: MessageEvent<unknown>) => {
    const sentAt = inFlight.shift();
    const text = typeof event.data === 'string' ? event.data : '(binary frame)';
    addLine('in', text, sentAt === undefined ? undefined : Math.round(performance.now() - sentAt));
  });
  ws.addEventListener('close', (event) => {
    if (socket !== ws) return;
    socket = undefined;
    renderStatus(status, { state: 'closed', label: 'Disconnected', detail: describeClose(event.code, event.reason) });
    toggle.textContent = 'Connect';
  });
}

function addLine(direction: 'in' | 'out', text: string, rttMs?: number): void {
  const meta = direction === 'out' ? `sent ${clock(Date.now())}` : `echoed${rttMs === undefined ? '' : ` in ${rttMs} ms`}`;
  log.prepend(
    h('li', { class: `echo-line ${direction}`, 'data-direction': direction },
      h('span', { class: 'echo-arrow', 'aria-label': direction === 'out' ? 'sent' : 'received' }, direction === 'out' ? '→' : '←'),
      h('span', { class: 'echo-text' }, text),
      h('span', { class: 'echo-meta' }, meta)),
  );
  while (log.children.length > 200) log.lastElementChild?.remove();
}

function showProblem(text: string | undefined): void {
  problem.hidden = text === undefined;
  problem.textContent = text ?? '';
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (text.trim() === '') return showProblem('Type something to send first.');
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_ECHO_BYTES) return showProblem(`That is ${bytes} bytes; the echo route takes at most ${MAX_ECHO_BYTES}.`);
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) return showProblem('Not connected: press Connect first.');
  showProblem(undefined);
  inFlight.push(performance.now());
  socket.send(text);
  addLine('out', text);
  input.value = '';
});

toggle.addEventListener('click', () => {
  if (socket === undefined) connect();
  else socket.close(1000, 'closed by the user');
});

connect();
