/**
 * The chat screen: rooms on the left, the room's lines and the composer in the middle, who
 * is online on the right. At phone width the side panels become drawers opened from the
 * room's header. Rendering only; the session decides what to show.
 */
import { DEFAULT_ROOMS, firstProblem, MessageText, RoomName } from '../shared/chat-protocol.js';
import { clock, h, replaceChildren } from '../ui/dom.js';
import { createComposer, type Composer } from './composer.js';
import type { LogLine } from './message-log.js';
import type { OnlinePerson } from './online.js';

/** What the user can do on the chat screen. */
export interface ChatActions {
  send(text: string): void;
  switchRoom(room: string): void;
  changeNickname(): void;
  /** Post a system message; resolves to the problem to show, if any. */
  announce(text: string): Promise<string | undefined>;
  /** Send a message that was not delivered again. */
  retry(localId: string): void;
}

/** A notice above the lines: reconnecting, a refused message, an error. */
export interface Banner {
  readonly text: string;
  readonly tone: 'info' | 'error';
}

/** The chat screen. */
export class ChatView {
  readonly element: HTMLElement;
  private readonly roomList = h('ul', { class: 'room-list', id: 'room-list' });
  private readonly roomProblem = h('p', { class: 'problem', role: 'alert', hidden: true });
  private readonly title = h('h2', { id: 'room-title' });
  private readonly peopleToggle = h('button', { class: 'button secondary small panel-toggle', type: 'button', id: 'people-toggle', 'aria-controls': 'people' });
  private readonly peopleTitle = h('div', { class: 'side-title', id: 'people-title' });
  private readonly peopleList = h('ul', { class: 'people-list', id: 'people-list', 'aria-label': 'Online in this room' });
  private readonly banner = h('div', { class: 'banner', id: 'banner', role: 'status', hidden: true });
  private readonly lines = h('ol', { class: 'messages', id: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite' });
  private readonly you = h('span', { id: 'you' });
  private readonly announceForm: HTMLFormElement;
  private readonly composer: Composer;
  private room = '';

  constructor(private readonly actions: ChatActions) {
    this.composer = createComposer((text) => actions.send(text));
    this.announceForm = this.buildAnnounce();
    const roomsToggle = h('button', { class: 'button secondary small panel-toggle', type: 'button', 'aria-controls': 'rooms' }, 'Rooms');
    const announceToggle = h('button', { class: 'button secondary small', type: 'button', id: 'announce-toggle', title: 'Post a system message to this room (tRPC mutation)' }, 'Announce');
    const rooms = h('aside', { class: 'side rooms', id: 'rooms', 'aria-label': 'Rooms' },
      h('div', { class: 'side-head' }, h('div', { class: 'side-title' }, 'Rooms'), this.closeButton()), this.roomList, this.buildNewRoom(), this.roomProblem,
      h('div', { class: 'side-title' }, 'You'),
      h('div', { class: 'person-you' }, this.you, ' · ', this.link('Change nickname', () => actions.changeNickname())));
    const people = h('aside', { class: 'side people', id: 'people', 'aria-label': 'Online' },
      h('div', { class: 'side-head' }, this.peopleTitle, this.closeButton()), this.peopleList);
    const room = h('section', { class: 'room', 'aria-labelledby': 'room-title' },
      h('div', { class: 'room-head' }, roomsToggle, this.title, announceToggle, this.peopleToggle),
      this.banner, this.announceForm, this.lines, this.composer.element);
    this.element = h('div', { class: 'chat', id: 'chat', 'data-panel': '' }, rooms, room, people);
    this.lines.addEventListener('click', (event) => {
      const target = (event.target as Element).closest<HTMLElement>('[data-retry]');
      if (target?.dataset.retry !== undefined) actions.retry(target.dataset.retry);
    });

    roomsToggle.addEventListener('click', () => this.togglePanel('rooms'));
    this.peopleToggle.addEventListener('click', () => this.togglePanel('people'));
    announceToggle.addEventListener('click', () => {
      this.announceForm.hidden = !this.announceForm.hidden;
      if (!this.announceForm.hidden) this.announceForm.querySelector('input')?.focus();
    });
  }

  /** Show room `room` as the current one, for `nick`. */
  setRoom(room: string, nick: string): void {
    this.room = room;
    this.title.textContent = `# ${room}`;
    this.you.textContent = nick;
    this.element.dataset.panel = '';
    const rooms = [...new Set<string>([...DEFAULT_ROOMS, room])];
    replaceChildren(this.roomList, ...rooms.map((name) => {
      const button = h('button', { class: 'room-link', type: 'button', 'aria-current': String(name === room), 'data-room': name }, `# ${name}`);
      button.addEventListener('click', () => this.actions.switchRoom(name));
      return h('li', {}, button);
    }));
    this.composer.focus();
  }

  /** Render the room's lines; stays at the bottom when the user was at the bottom. */
  renderLines(lines: readonly LogLine[], nick: string): void {
    const atBottom = this.lines.scrollHeight - this.lines.scrollTop - this.lines.clientHeight < 40;
    if (lines.length === 0) {
      replaceChildren(this.lines, h('li', { class: 'empty' }, `No messages in #${this.room} yet. Say hello!`));
    } else {
      replaceChildren(this.lines, ...lines.map((line) => renderLine(line, nick)));
    }
    if (atBottom) this.lines.scrollTop = this.lines.scrollHeight;
  }

  /** Render who is online. */
  renderPeople(people: readonly OnlinePerson[], nick: string): void {
    this.peopleTitle.textContent = `Online — ${people.length}`;
    this.peopleToggle.textContent = `${people.length} online`;
    replaceChildren(this.peopleList, ...people.map((p) =>
      h('li', { class: 'person', 'data-nick': p.nick },
        h('span', {}, p.nick),
        p.nick === nick ? h('span', { class: 'person-you' }, '(you)') : null,
        p.tabs > 1 ? h('span', { class: 'person-tabs' }, `${p.tabs} tabs`) : null)));
  }

  /** Dim the online list while it may be out of date (not connected). */
  setPeopleStale(stale: boolean): void {
    this.peopleList.classList.toggle('stale', stale);
  }

  /** Record how the last reconnect went (`resumed` or a refusal reason), for tests and styling. */
  setResumed(outcome: string): void {
    this.banner.dataset.resume = outcome;
  }

  /** Show or clear the banner above the lines. */
  setBanner(banner: Banner | undefined): void {
    this.banner.hidden = banner === undefined;
    this.banner.textContent = banner?.text ?? '';
    this.banner.className = banner?.tone === 'error' ? 'banner error' : 'banner';
  }

  /** Show or clear a problem under the composer. */
  setComposerProblem(text: string | undefined): void {
    this.composer.setProblem(text);
  }

  /** The × of a drawer (phone width only). */
  private closeButton(): HTMLButtonElement {
    const button = h('button', { class: 'button secondary small drawer-close', type: 'button', 'aria-label': 'Close' }, '×');
    button.addEventListener('click', () => {
      this.element.dataset.panel = '';
    });
    return button;
  }

  private togglePanel(panel: 'rooms' | 'people'): void {
    this.element.dataset.panel = this.element.dataset.panel === panel ? '' : panel;
  }

  private buildNewRoom(): HTMLFormElement {
    const input = h('input', { class: 'input', name: 'room', placeholder: 'other-room', 'aria-label': 'Room name', autocomplete: 'off' });
    const form = h('form', { class: 'new-room', id: 'new-room' }, input, h('button', { class: 'button secondary small', type: 'submit' }, 'Go'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const room = input.value.trim().toLowerCase();
      const problem = firstProblem(RoomName, room);
      this.roomProblem.hidden = problem === undefined;
      this.roomProblem.textContent = problem ?? '';
      if (problem !== undefined) return;
      input.value = '';
      this.actions.switchRoom(room);
    });
    return form;
  }

  private buildAnnounce(): HTMLFormElement {
    const input = h('input', { class: 'input', name: 'announcement', placeholder: 'System message to everyone in this room', 'aria-label': 'System message' });
    const problem = h('span', { class: 'hint over', id: 'announce-problem', role: 'alert' });
    const form = h('form', { class: 'announce', id: 'announce-form', hidden: true, autocomplete: 'off' },
      input, h('button', { class: 'button small', type: 'submit' }, 'Post'), problem);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value;
      const reason = firstProblem(MessageText, text);
      problem.textContent = reason ?? '';
      if (reason !== undefined) return;
      void this.actions.announce(text).then((failure) => {
        problem.textContent = failure ?? '';
        if (failure !== undefined) return;
        input.value = '';
        form.hidden = true;
      });
    });
    return form;
  }

  private link(text: string, onClick: () => void): HTMLButtonElement {
    const button = h('button', { class: 'link-button', type: 'button', id: 'change-nick' }, text);
    button.addEventListener('click', onClick);
    return button;
  }
}

function renderLine(line: LogLine, nick: string): HTMLLIElement {
  const { entry } = line;
  if (entry.kind === 'system') {
    return h('li', { class: 'msg system', 'data-id': entry.id, 'data-kind': 'system' },
      h('div', { class: 'msg-text' }, entry.text), h('div', { class: 'msg-time' }, clock(entry.at)));
  }
  const classes = ['msg', entry.from === nick ? 'mine' : '', line.state === 'delivered' ? '' : line.state].filter(Boolean).join(' ');
  return h('li', { class: classes, 'data-id': entry.id, 'data-kind': 'user', 'data-state': line.state },
    h('div', { class: 'msg-head' },
      h('span', { class: 'msg-from' }, entry.from),
      h('span', { class: 'msg-time' }, line.state === 'pending' ? 'sending…' : clock(entry.at))),
    h('div', { class: 'msg-text' }, entry.text),
    line.state === 'failed'
      ? h('div', { class: 'msg-error', role: 'alert' },
          `Not sent: ${line.error ?? 'unknown error'}`,
          h('button', { class: 'link-button msg-retry', type: 'button', 'data-retry': line.localId }, 'Retry'))
      : null);
}
