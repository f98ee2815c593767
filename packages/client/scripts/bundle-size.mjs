// Measures browser bundle sizes (esbuild, minified, gzip level 9) of @orrery/client and of
// peer clients, for docs/client.md. Run after `npm run build`:
//   node packages/client/scripts/bundle-size.mjs
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

const entries = {
  '@orrery/client (no validator)': `
    import { createWebsocketClient, defineProtocol } from '@orrery/client';
    const schema = { '~standard': { version: 1, vendor: 'none', validate: (value) => ({ value }) } };
    const p = defineProtocol({ client: { say: schema }, server: { said: schema } });
    export const client = createWebsocketClient(p, { url: '/chat' });`,
  '@orrery/client + zod/mini two-field schema': `
    import { createWebsocketClient, defineProtocol } from '@orrery/client';
    import * as z from 'zod/mini';
    const Msg = z.object({ from: z.string(), text: z.string() });
    const p = defineProtocol({ client: { say: z.object({ text: z.string() }) }, server: { said: Msg } });
    export const client = createWebsocketClient(p, { url: '/chat' });`,
  '@orrery/client + zod (import * as z) two-field schema': `
    import { createWebsocketClient, defineProtocol } from '@orrery/client';
    import * as z from 'zod';
    const Msg = z.object({ from: z.string(), text: z.string() });
    const p = defineProtocol({ client: { say: z.object({ text: z.string() }) }, server: { said: Msg } });
    export const client = createWebsocketClient(p, { url: '/chat' });`,
  '@orrery/client + @orrery/client/presence (no validator)': `
    import { createWebsocketClient, defineProtocol } from '@orrery/client';
    import { presenceMessages, syncPresence } from '@orrery/client/presence';
    const schema = { '~standard': { version: 1, vendor: 'none', validate: (value) => ({ value }) } };
    const p = defineProtocol({ client: { say: schema }, server: { said: schema, ...presenceMessages() } });
    export const client = createWebsocketClient(p, { url: '/chat' });
    export const online = syncPresence(client, 'lobby');`,
  'socket.io-client 4.8': `import { io } from 'socket.io-client'; export const s = io('/');`,
  'phoenix 1.8 (Socket)': `import { Socket } from 'phoenix'; export const s = new Socket('/socket');`,
  'partysocket 1.3 (WebSocket)': `import { WebSocket } from 'partysocket'; export const s = new WebSocket('ws://x');`,
};

/** Minified and gzipped size of `source` bundled for the browser. */
export async function measure(source, resolveDir = root) {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log('| bundle | min | min+gzip |\n|---|---|---|');
  for (const [name, source] of Object.entries(entries)) {
    const { min, gzip } = await measure(source);
    console.log(`| ${name} | ${(min / 1024).toFixed(1)} kB | ${(gzip / 1024).toFixed(1)} kB |`);
  }
}
