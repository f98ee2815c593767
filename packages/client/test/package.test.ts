/**
 * The packages as a user gets them: `npm pack` of @orrery/protocol and @orrery/client,
 * installed into a fresh project outside the workspace (zod and ws from the npm registry),
 * used from Node against a real server, and bundled for the browser with Vite — without any
 * `node:*` module, `ws`, or server code in the bundle. Also checks the bundle size budget.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer } from './fixtures/server.js';
import { track } from './fixtures/helpers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const ZOD = '4.6.7';
const WS = '8.23.0';
let project = '';

/** The same shapes as fixtures/protocol.ts, with zod/mini from the installed zod. */
const protocolSource = `
import * as z from 'zod/mini';
import { defineProtocol } from '@orrery/protocol';
export const chat = defineProtocol({
  client: { say: z.object({ text: z.string() }), typing: z.undefined() },
  server: { said: z.object({ from: z.string(), text: z.string() }), notice: z.object({ level: z.string(), text: z.string() }) },
  requests: { echo: { input: z.object({ text: z.string() }), output: z.object({ text: z.string() }) } },
});
`;

const nodeCheck = `
import { createWebsocketClient } from '@orrery/client';
import { chat } from './protocol.mjs';
const client = createWebsocketClient(chat, { url: process.argv[2], token: 'from-tarball' });
const said = new Promise((resolve) => client.on('said', resolve));
const echo = await client.request('echo', { text: 'packed' });
client.send('say', { text: 'hello from the tarball' });
const result = { echo, said: await said, status: client.state.status };
client.close();
console.log(JSON.stringify(result));
`;

const browserEntry = `
import { createWebsocketClient } from '@orrery/client';
import { chat } from './protocol.mjs';
export const client = createWebsocketClient(chat, { url: '/chat', autoConnect: false });
`;

const typedCheck = `
import { createWebsocketClient, isRequestError } from '@orrery/client';
import * as z from 'zod/mini';
import { defineProtocol } from '@orrery/protocol';
const chat = defineProtocol({
  client: { say: z.object({ text: z.string() }) },
  server: { said: z.object({ from: z.string(), text: z.string() }) },
  requests: { echo: { input: z.object({ text: z.string() }), output: z.object({ text: z.string() }), errors: ['NOPE'] } },
});
export const client = createWebsocketClient(chat, { url: 'ws://localhost/chat' });
client.on('said', (m) => { const from: string = m.from; void from; });
export const out: Promise<{ text: string }> = client.request('echo', { text: 'x' });
out.catch((e: unknown) => { if (isRequestError<typeof chat, 'echo'>(e, 'echo')) { const r: 'NOPE' | 'TIMEOUT' | string = e.reason; void r; } });
`;

beforeAll(async () => {
  // build, then pack both packages
  await run(join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/client/tsconfig.build.json'], { cwd: root });
  project = await mkdtemp(join(tmpdir(), 'orrery-pack-'));
  const tarballs: string[] = [];
  for (const pkg of ['protocol', 'client']) {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: join(root, 'packages', pkg) });
    tarballs.push(join(project, (JSON.parse(stdout) as { filename: string }[])[0]!.filename));
  }
  const manifest = {
    name: 'orrery-pack-check',
    private: true,
    type: 'module',
    dependencies: { '@orrery/protocol': `file:${tarballs[0]}`, '@orrery/client': `file:${tarballs[1]}`, zod: ZOD, ws: WS },
  };
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(project, 'protocol.mjs'), protocolSource);
  await writeFile(join(project, 'node-check.mjs'), nodeCheck);
  await writeFile(join(project, 'browser-entry.mjs'), browserEntry);
  await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: project, timeout: 120_000 });
}, 180_000);

afterAll(async () => {
  if (project !== '') await rm(project, { recursive: true, force: true });
});

describe('the packed packages, installed outside the workspace', () => {
  it('installs only the tarballs and registry packages (no workspace links)', async () => {
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; link?: boolean }> };
    const orrery = Object.entries(lock.packages).filter(([path]) => path.includes('@orrery/'));
    expect(orrery.map(([path]) => path).sort()).toEqual(['node_modules/@orrery/client', 'node_modules/@orrery/protocol']);
    for (const [, entry] of orrery) {
      expect(entry.link).toBeUndefined();
      expect(entry.resolved).toMatch(/\.tgz$/);
    }
    expect(await readdir(join(project, 'node_modules/@orrery/client/dist'))).toContain('index.d.ts');
  });

  it('runs in Node against a real server', async () => {
    const { server, url, log } = await startChatServer();
    track(server);
    const { stdout } = await run(process.execPath, ['node-check.mjs', `${url}/chat`], { cwd: project, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({
      echo: { text: 'packed' },
      said: { from: 'from-tarball', text: 'hello from the tarball' },
      status: 'open',
    });
    expect(log.said).toEqual(['hello from the tarball']);
  });

  it('bundles for the browser with Vite without node:*, ws or server code', async () => {
    const { build } = await import('vite');
    const output = await build({
      root: project,
      configFile: false,
      logLevel: 'silent',
      build: { write: false, minify: true, lib: { entry: join(project, 'browser-entry.mjs'), formats: ['es'], fileName: 'bundle' } },
    });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const chunk = chunks.find((c) => c.type === 'chunk');
    if (chunk === undefined || chunk.type !== 'chunk') throw new Error('vite produced no chunk');
    const modules = chunk.moduleIds.map((id) => id.replace(project, ''));
    expect(modules.some((m) => m.includes('/@orrery/client/dist/client.js'))).toBe(true);
    expect(modules.some((m) => m.includes('/isomorphic-ws/browser.js'))).toBe(true);
    expect(modules.filter((m) => m.startsWith('node:') || m.includes('/node_modules/ws/') || m.includes('@orrery/server') || m.includes('isomorphic-ws/node'))).toEqual([]);
    expect(chunk.code).not.toMatch(/["']node:|require\(/);
  });

  it('stays within its size budget (esbuild, min+gzip)', async () => {
    const { measure } = (await import(join(root, 'packages/client/scripts/bundle-size.mjs'))) as {
      measure: (source: string, resolveDir: string) => Promise<{ gzip: number; inputs: string[] }>;
    };
    const bare = await measure(`import { createWebsocketClient, defineProtocol } from '@orrery/client'; export { createWebsocketClient, defineProtocol };`, project);
    const withMini = await measure(browserEntry.replace('./protocol.mjs', join(project, 'protocol.mjs')), project);
    expect(bare.inputs.some((i) => i.includes('zod'))).toBe(false);
    expect(withMini.inputs.some((i) => i.includes('zod/v4/mini') || i.includes('zod/mini'))).toBe(true);
    expect(withMini.inputs.some((i) => i.includes('zod/v4/classic'))).toBe(false);
    expect(bare.gzip).toBeLessThan(10 * 1024);
    expect(withMini.gzip).toBeLessThan(16 * 1024);
  });

  it('type-checks for a TypeScript user (the .d.ts need neither @types/ws nor @types/node)', async () => {
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: false, module: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed-check.ts'] }));
    // one deliberate error on the last line; anything else (in our .d.ts too) fails the test
    await writeFile(join(project, 'typed-check.ts'), `${typedCheck}client.send('say', { text: 1 });\n`);
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const failed = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).then(() => '', (error: { stdout: string }) => error.stdout);
    const line = typedCheck.split('\n').length;
    expect(failed.trim().split('\n')).toEqual([
      `typed-check.ts(${line},22): error TS2322: Type 'number' is not assignable to type 'string'.`,
    ]);
  });
});
