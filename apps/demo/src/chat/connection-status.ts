/**
 * What the chat shows for each connection state of the Orrery client: the top bar's
 * indicator and the banner above the messages.
 */
import type { ConnectionState } from '@orrery/client';
import { describeClose, type StatusView } from '../ui/status.js';
import type { Banner } from './chat-view.js';

/** The indicator for `state`. */
export function statusView(state: ConnectionState, room: string): StatusView {
  switch (state.status) {
    case 'connecting':
      return { state: 'connecting', label: 'Connecting…', detail: `#${room}` };
    case 'open':
      return { state: 'open', label: 'Connected', detail: `#${room}` };
    case 'reconnecting':
      return { state: 'reconnecting', label: 'Reconnecting…', detail: retryText(state) };
    case 'closed':
      return { state: 'closed', label: 'Disconnected', detail: state.lastClose === undefined ? undefined : describeClose(state.lastClose.code, state.lastClose.reason) };
  }
}

/** The banner for `state` (none while open). */
export function bannerFor(state: ConnectionState): Banner | undefined {
  switch (state.status) {
    case 'open':
    case 'connecting':
      return undefined;
    case 'reconnecting':
      return { tone: 'info', text: `Connection lost: ${describeClose(state.lastClose?.code, state.lastClose?.reason)}. Reconnecting (${retryText(state)}). Messages you send now go out once the connection is back.` };
    case 'closed':
      return { tone: 'error', text: `Disconnected: ${state.error?.message ?? describeClose(state.lastClose?.code, state.lastClose?.reason)}. Pick a room to connect again.` };
  }
}

/** "retry 2 in 1.3 s", or "retry 2 now" while the attempt runs. */
function retryText(state: ConnectionState): string {
  const retry = `retry ${Math.max(1, state.attempt)}`;
  return state.retryDelayMs === undefined ? `${retry} now` : `${retry} in ${(state.retryDelayMs / 1000).toFixed(1)} s`;
}
