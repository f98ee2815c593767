/**
 * One chat session: a nickname in a room, over an `@orrery/client` connection to
 * `/chat/<room>?nick=<nick>`.
 *
 * - The connection state drives the top bar's indicator and the banner (reconnecting is
 *   visible, with the next attempt and the last close reason).
 * - The online list is the room's presence (`syncPresence`): a fresh state on every
 *   connection, then batched diffs; it is dimmed while the connection is down.
 * - Every time the connection opens (`joined`), the room's history is loaded with the tRPC
 *   `history` query — also after a reconnect, so lines missed while away appear (duplicates
 *   are dropped by id).
 * - Your messages are `say` requests: shown at once as "sending…", then delivered, or marked
 *   "Not sent" with the server's reason (rate limit, invalid input, timeout).
 * - A refused handshake (4400 / 4403) ends the session; `onRefused` gets the reason.
 * - The route is resumable: after a network blip the session goes on with every message that
 *   was missed (a short "Back online" note says how many); after a long break it starts over.
 */
import { createWebsocketClient, isRequestError, type ConnectionState, type ResumeEvent, type WebsocketClient } from '@orrery/client';
import { syncPresence, type PresenceSync } from '@orrery/client/presence';
import { chatProtocol, type ChatProtocol } from '../shared/chat-protocol.js';
import { renderStatus } from '../ui/status.js';
import type { Banner, ChatView } from './chat-view.js';
import { bannerFor, statusView } from './connection-status.js';
import { MessageLog } from './message-log.js';
import { onlinePeople } from './online.js';
import type { DemoTrpc } from './trpc-client.js';

/** What a session needs. */
export interface SessionOptions {
  readonly nick: string;
  readonly room: string;
  readonly view: ChatView;
  /** The top bar's indicator. */
  readonly status: HTMLElement;
  readonly trpc: DemoTrpc;
  /** The server refused the handshake (the session is over). */
  readonly onRefused: (reason: string) => void;
}

/** A nickname in a room. */
export class ChatSession {
  private readonly client: WebsocketClient<ChatProtocol>;
  private readonly log = new MessageLog();
  private readonly online: PresenceSync<null>;
  private historyProblem: string | undefined;
  /** A short-lived note after a reconnect. */
  private notice: Banner | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  /** False once stopped: late replies and events of this session must not touch the view. */
  private active = true;

  constructor(private readonly options: SessionOptions) {
    const { nick, room } = options;
    options.view.setRoom(room, nick);
    this.client = createWebsocketClient(chatProtocol, {
      url: `/chat/${encodeURIComponent(room)}`,
      params: { nick },
      reconnect: { maxDelayMs: 10_000 },
      autoConnect: false,
    });
    this.client.subscribe((state) => this.stateChanged(state));
    // Before connecting: the first presence_state must find it listening.
    this.online = syncPresence(this.client, `room:${room}`);
    this.online.onSync(() => this.renderPeople());
    this.client.on('joined', () => void this.loadHistory());
    this.client.on('message', (entry) => {
      this.log.add(entry);
      this.renderLines();
    });
    this.client.onError(({ error }) => console.warn('chat:', error.code, error.message));
    this.client.onResume((event) => this.resumed(event));
    this.renderLines();
    this.renderPeople();
    this.client.connect();
  }

  /** Post a message (already checked by the composer). */
  send(text: string): void {
    const localId = this.log.pending(this.options.room, this.options.nick, text);
    this.renderLines();
    this.client.request('say', { text }).then(
      ({ id }) => this.log.confirm(localId, id),
      (error: unknown) => this.log.fail(localId, failureText(error)),
    ).finally(() => this.renderLines());
  }

  /** Send a message that was not delivered again. */
  retry(localId: string): void {
    const text = this.log.remove(localId);
    if (text !== undefined) this.send(text);
  }

  /** Post a system message to the room (tRPC mutation); resolves to the problem, if any. */
  async announce(text: string): Promise<string | undefined> {
    try {
      await this.options.trpc.announce.mutate({ room: this.options.room, text });
      return undefined;
    } catch (error) {
      return `Not posted: ${trpcProblem(error)}`;
    }
  }

  /** End the session (switching rooms, changing nickname). */
  stop(): void {
    this.active = false;
    clearTimeout(this.noticeTimer);
    this.online.close();
    this.client.close(1000, 'left the room');
  }

  private stateChanged(state: ConnectionState): void {
    if (!this.active) return;
    if (state.status === 'closed' && state.error?.code === 'ORRERY_REJECTED') {
      this.options.onRefused(state.lastClose?.reason || state.error.message);
      return;
    }
    renderStatus(this.options.status, statusView(state, this.options.room));
    this.options.view.setPeopleStale(state.status !== 'open');
    this.renderBanner();
  }

  /** After a reconnect: say whether the session went on (nothing missed) or started over. */
  private resumed(event: ResumeEvent<ChatProtocol>): void {
    if (!this.active) return;
    clearTimeout(this.noticeTimer);
    const missed = event.resumed ? event.missed : 0;
    this.notice = event.resumed
      ? { tone: 'info', text: `Back online — ${missed === 1 ? '1 message' : `${missed} messages`} you missed ${missed === 1 ? 'was' : 'were'} delivered.` }
      : { tone: 'info', text: 'Back online after a long break — the room was reloaded.' };
    this.options.view.setResumed(event.resumed ? 'resumed' : event.reason);
    this.renderBanner();
    this.noticeTimer = setTimeout(() => {
      this.notice = undefined;
      this.renderBanner();
    }, 4_000);
  }

  private async loadHistory(): Promise<void> {
    try {
      this.log.add(...(await this.options.trpc.history.query({ room: this.options.room })));
      this.historyProblem = undefined;
    } catch (error) {
      this.historyProblem = `The room's history could not be loaded: ${(error as Error).message}`;
    }
    this.renderLines();
    this.renderBanner();
  }

  private renderBanner(): void {
    if (!this.active) return;
    const banner = bannerFor(this.client.state);
    this.options.view.setBanner(banner ?? (this.historyProblem === undefined ? this.notice : { tone: 'error', text: this.historyProblem }));
  }

  private renderLines(): void {
    if (!this.active) return;
    this.options.view.renderLines(this.log.all(), this.options.nick);
  }

  private renderPeople(): void {
    if (!this.active) return;
    this.options.view.renderPeople(onlinePeople(this.online.list()), this.options.nick);
  }
}

/**
 * A tRPC failure as a sentence: the first schema issue of a BAD_REQUEST (tRPC puts the
 * issues, as JSON, in the message), else the message.
 */
function trpcProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const issues = JSON.parse(message) as { message?: unknown }[];
    if (Array.isArray(issues) && typeof issues[0]?.message === 'string') return issues[0].message;
  } catch {
    // not JSON: the message is a sentence already
  }
  return message;
}

/** The reason shown on a message that was not sent. */
function failureText(error: unknown): string {
  if (!isRequestError(error)) return String(error);
  switch (error.reason) {
    case 'TIMEOUT':
      return 'no answer from the server in time; it may not have been delivered';
    case 'DISCONNECTED':
      return 'the connection dropped before the server answered; it may not have been delivered';
    case 'CLOSED':
      return 'you left the room';
    default:
      return error.message;
  }
}
