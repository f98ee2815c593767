/**
 * Client bundle sizes: each client library's typical entry, bundled the same way (esbuild,
 * ESM, browser platform, minified, production), then gzipped (level 9). @orrery/client is
 * measured with zod external (the app already ships its schemas) and with zod/mini inside.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageVersion } from '../common/versions.js';
import type { RunContext } from '../runner/context.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** One bundle to measure. */
interface Entry {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly external?: readonly string[];
}

/** The @orrery/client entries (esbuild reports "No matching export" while it is not built). */
function orreryEntries(): Entry[] {
  const version = packageVersion('@orrery/client');
  return [
    {
      name: '@orrery/client (zod external)',
      version,
      source: "import { createWebsocketClient } from '@orrery/client'; export { createWebsocketClient };",
      external: ['zod', 'zod/*'],
    },
    {
      name: '@orrery/client + zod/mini protocol',
      version,
      source: [
        "import { createWebsocketClient } from '@orrery/client';",
        "import { defineProtocol } from '@orrery/protocol';",
        "import * as z from 'zod/mini';",
        'export const chat = defineProtocol({ client: { say: z.object({ text: z.string() }) }, server: { said: z.object({ from: z.string(), text: z.string() }) } });',
        'export { createWebsocketClient };',
      ].join('\n'),
    },
  ];
}

function peerEntries(): Entry[] {
  return [
    { name: 'socket.io-client', version: packageVersion('socket.io-client'), source: "export { io } from 'socket.io-client';" },
    { name: '@trpc/client (wsLink)', version: packageVersion('@trpc/client'), source: "export { createTRPCClient, createWSClient, wsLink } from '@trpc/client';" },
    { name: 'phoenix (Socket)', version: '1.8.16', source: "export { Socket } from 'phoenix';" },
    { name: 'partysocket', version: '1.3.0', source: "export { PartySocket } from 'partysocket';" },
    { name: 'zod/mini (two-field object)', version: packageVersion('zod'), source: "import * as z from 'zod/mini'; export const s = z.object({ a: z.string(), b: z.number() });" },
  ];
}

async function measure(entry: Entry): Promise<{ minBytes: number; gzipBytes: number }> {
  const out = await build({
    stdin: { contents: entry.source, resolveDir: root, sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    conditions: ['@orrery/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    external: [...(entry.external ?? [])],
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** Measure every bundle. */
export async function runBundles(ctx: RunContext): Promise<void> {
  for (const entry of [...orreryEntries(), ...peerEntries()]) {
    try {
      const size = await measure(entry);
      ctx.measurements.push({
        scenario: 'BUNDLE', case: entry.name, server: entry.name.startsWith('@orrery') ? 'X' : 'S', control: false, round: 0,
        variant: `${entry.name} ${entry.version}`,
        metrics: size, flags: [], notes: entry.external === undefined ? [] : [`external: ${entry.external.join(', ')}`],
      });
      ctx.log(`  ${entry.name}: ${(size.minBytes / 1024).toFixed(1)} KiB min, ${(size.gzipBytes / 1024).toFixed(1)} KiB min+gzip`);
    } catch (error) {
      if (entry.name.startsWith('@orrery') && /No matching export/.test(String(error))) {
        ctx.notes.push(`${entry.name}: not measured — @orrery/client does not export createWebsocketClient yet`);
        ctx.log(`  ${entry.name}: not built yet — skipped`);
        continue;
      }
      ctx.failures.push({ scenario: 'BUNDLE', error: `${entry.name}: ${error instanceof Error ? error.message : String(error)}` });
      ctx.log(`  ${entry.name}: FAILED ${String(error)}`);
    }
  }
}
