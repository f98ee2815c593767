/**
 * Static files: page routes, assets, no escape from the folder, headers.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStatic, serveStatic } from '../server/static.js';

const root = mkdtempSync(join(tmpdir(), 'demo-static-'));
let server: Server;
let base: string;

beforeAll(async () => {
  writeFileSync(join(root, 'index.html'), '<!doctype html>chat');
  writeFileSync(join(root, 'echo.html'), '<!doctype html>echo');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'no');
  server = createServer((req, res) => void serveStatic(root, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

describe('resolveStatic', () => {
  it.each([
    ['/', 'index.html'],
    ['/echo', 'echo.html'],
    ['/echo/', 'echo.html'],
    ['/assets/app-1.js', 'assets/app-1.js'],
  ])('maps %s to %s', (path, file) => {
    expect(resolveStatic(root, path)).toBe(join(root, file));
  });

  it.each(['/secret.txt', '/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/%00', '/assets/%E0%A4%A', '/../etc/passwd'])(
    'refuses %s',
    (path) => {
      expect(resolveStatic(root, path)).toBeUndefined();
    },
  );
});

describe('serveStatic', () => {
  it('serves pages without caching and assets for a year, with the security headers', async () => {
    const page = await fetch(`${base}/echo?x=1`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toBe('<!doctype html>echo');
    const asset = await fetch(`${base}/assets/app-1.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await fetch(`${base}/secret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/assets`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });
});
