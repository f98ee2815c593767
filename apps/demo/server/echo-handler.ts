/**
 * The seed's echo handler (route `/echo`): every frame a client sends comes back as it is.
 * A raw handler — no protocol, no envelope — so any websocket client can talk to it.
 */
import type { WebsocketHandler } from '@orrery/server';

/** Echo every text or binary frame back to its sender. */
export const echoHandler: WebsocketHandler<null, never> = {
  init: () => [null, []],
  handleClientMessage: (state, _conn, frame) => [state, [frame]],
  handleServerMessage: (state) => [state, []],
};
