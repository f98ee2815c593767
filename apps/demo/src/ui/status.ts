/**
 * The connection-state indicator in the top bar: a coloured dot, a label and a detail line.
 * `data-state` carries the machine-readable state (connecting / open / reconnecting /
 * closed), which the e2e tests read.
 */
import { h, replaceChildren } from './dom.js';

/** The states the indicator shows. */
export type StatusState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the indicator shows. */
export interface StatusView {
  readonly state: StatusState;
  /** Short: "Connected", "Reconnecting…". */
  readonly label: string;
  /** Longer, optional: the close reason, the next attempt. */
  readonly detail?: string;
}

/** Render `view` into the indicator element. */
export function renderStatus(el: HTMLElement, view: StatusView): void {
  el.dataset.state = view.state;
  el.title = view.detail === undefined ? view.label : `${view.label} — ${view.detail}`;
  replaceChildren(
    el,
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'status-label' }, view.label),
    view.detail === undefined ? null : h('span', { class: 'status-detail' }, view.detail),
  );
}

/** "1001 server shutting down; please reconnect" → a readable sentence. */
export function describeClose(code: number | undefined, reason: string | undefined): string {
  if (code === undefined) return 'the connection was lost';
  const why = reason !== undefined && reason !== '' ? reason : CLOSE_TEXT[code] ?? 'no reason given';
  return `${why} (code ${code})`;
}

const CLOSE_TEXT: Readonly<Record<number, string>> = {
  1000: 'closed',
  1001: 'the server went away',
  1006: 'the connection dropped',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
  1013: 'server overloaded',
};
