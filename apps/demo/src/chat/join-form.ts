/**
 * The join screen: a nickname and a room, checked with the shared schemas before anything is
 * sent. When the server refused the last attempt (close 4400 / 4403), its reason is shown
 * here and nothing retries until the user submits again.
 */
import { CHAT_LIMITS, firstProblem, Nickname, RoomName } from '../shared/chat-protocol.js';
import { h } from '../ui/dom.js';

/** What the join form produces. */
export interface JoinValues {
  readonly nick: string;
  readonly room: string;
}

/** The form's starting values, and the server's reason if it refused the last attempt. */
export interface JoinFormOptions {
  readonly initial: JoinValues;
  readonly refused?: string;
  readonly onJoin: (values: JoinValues) => void;
}

/** Build the join screen. */
export function createJoinForm(options: JoinFormOptions): HTMLElement {
  const nick = h('input', { class: 'input', id: 'nick', name: 'nick', value: options.initial.nick, autocomplete: 'nickname', autofocus: true, 'aria-describedby': 'join-problem' });
  const room = h('input', { class: 'input', id: 'room', name: 'room', value: options.initial.room, autocomplete: 'off', 'aria-describedby': 'join-problem' });
  const problem = h('p', { class: 'problem', id: 'join-problem', role: 'alert', hidden: true });
  const form = h('form', { id: 'join-form', novalidate: true },
    h('label', { class: 'field', for: 'nick' }, 'Nickname', nick, h('span', { class: 'hint' }, `Up to ${CHAT_LIMITS.nicknameMax} letters, digits, spaces, _ . -`)),
    h('label', { class: 'field', for: 'room' }, 'Room', room, h('span', { class: 'hint' }, 'lobby, random, help — or any name of your own')),
    problem,
    h('button', { class: 'button', type: 'submit' }, 'Join'));

  const show = (field: HTMLInputElement, text: string): void => {
    problem.hidden = false;
    problem.textContent = text;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    nick.removeAttribute('aria-invalid');
    room.removeAttribute('aria-invalid');
    const values = { nick: nick.value.trim(), room: room.value.trim().toLowerCase() };
    const nickProblem = firstProblem(Nickname, values.nick);
    if (nickProblem !== undefined) return show(nick, `Nickname: ${nickProblem}`);
    const roomProblem = firstProblem(RoomName, values.room);
    if (roomProblem !== undefined) return show(room, `Room: ${roomProblem}`);
    options.onJoin(values);
  });

  return h('section', { class: 'card join', 'aria-labelledby': 'join-title' },
    h('h1', { id: 'join-title' }, 'Join the chat'),
    h('p', { class: 'muted' }, 'Everyone in a room sees its messages live; the last 50 are kept.'),
    options.refused === undefined ? null : h('p', { class: 'problem refused', id: 'refused', role: 'alert' }, `The server refused to let you in: ${options.refused}`),
    form);
}
