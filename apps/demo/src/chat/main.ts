/**
 * The chat page: the join screen, then a {@link ChatSession} per room. The room is in the
 * URL's hash (`/#random`), the last nickname in localStorage.
 */
import '../styles.css';
import { DEFAULT_ROOMS, firstProblem, RoomName } from '../shared/chat-protocol.js';
import { byId, replaceChildren } from '../ui/dom.js';
import { renderStatus } from '../ui/status.js';
import { ChatView } from './chat-view.js';
import { createJoinForm, type JoinValues } from './join-form.js';
import { ChatSession } from './session.js';
import { createDemoTrpc } from './trpc-client.js';

const NICK_KEY = 'orrery-demo.nick';
const app = byId('app');
const status = byId('status');
const trpc = createDemoTrpc();
let session: ChatSession | undefined;
let nick = '';

function roomFromHash(): string {
  const room = decodeURIComponent(location.hash.slice(1)).toLowerCase();
  return firstProblem(RoomName, room) === undefined ? room : DEFAULT_ROOMS[0];
}

function showJoin(refused?: string): void {
  session?.stop();
  session = undefined;
  renderStatus(status, refused === undefined
    ? { state: 'idle', label: '' }
    : { state: 'closed', label: 'Refused', detail: refused });
  replaceChildren(app, createJoinForm({
    initial: { nick: nick || (localStorage.getItem(NICK_KEY) ?? ''), room: roomFromHash() },
    refused,
    onJoin: join,
  }));
}

const view = new ChatView({
  send: (text) => session?.send(text),
  announce: async (text) => (session === undefined ? 'Not connected to a room' : session.announce(text)),
  retry: (localId) => session?.retry(localId),
  switchRoom: (room) => enter(room),
  changeNickname: () => showJoin(),
});

function join(values: JoinValues): void {
  nick = values.nick;
  localStorage.setItem(NICK_KEY, nick);
  enter(values.room);
}

function enter(room: string): void {
  session?.stop();
  if (location.hash.slice(1) !== room) history.replaceState(null, '', `#${room}`);
  replaceChildren(app, view.element);
  session = new ChatSession({ nick, room, view, status, trpc, onRefused: (reason) => showJoin(reason) });
}

showJoin();
