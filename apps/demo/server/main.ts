/**
 * `node apps/demo/dist/node/server/main.js` (what `npm start` runs): the demo on
 * http://localhost:3000.
 *
 * Environment:
 * - `PORT` — the port (0 = any free port; the URL is printed). @default 3000
 * - `HOST` — the interface. @default all interfaces
 * - `REDIS_URL` — share rooms and history with every process on this Redis. @default in-memory
 *
 * Prints `Orrery demo on http://localhost:<port>` once it listens. SIGINT / SIGTERM drain the
 * connections (close 1001: clients reconnect elsewhere) and exit 0.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from './app.js';

/** The built pages, next to this file's build folder: dist/node/server → dist/public. */
const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

const demo = await startDemoServer({
  port: portFromEnv(process.env.PORT),
  host: process.env.HOST || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
  staticDir: STATIC_DIR,
});
console.log(`Orrery demo on ${demo.url}${process.env.REDIS_URL ? ` (registry: Redis ${process.env.REDIS_URL})` : ' (registry: in-memory)'}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  demo.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('demo: shutdown failed', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
