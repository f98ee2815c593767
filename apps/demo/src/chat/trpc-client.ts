/**
 * The browser's tRPC client for the demo router (`/trpc/` on the page's own server), typed
 * by the router's type alone — no server code reaches the bundle.
 */
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { DemoRouter } from '../../server/trpc.js';

/** The typed tRPC client. */
export type DemoTrpc = ReturnType<typeof createTRPCClient<DemoRouter>>;

/** A tRPC client for this page's server. */
export function createDemoTrpc(): DemoTrpc {
  return createTRPCClient<DemoRouter>({ links: [httpBatchLink({ url: '/trpc' })] });
}
