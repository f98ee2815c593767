/**
 * Serving the built pages (Vite's output) from the demo's HTTP server.
 *
 * Page routes: `/` → the chat (`index.html`), `/echo` → the echo page (`echo.html`; the
 * websocket upgrade on the same path goes to the echo route). Hashed files under `/assets/`
 * are cached for a year. Asset paths are resolved inside `assets/` only (no `..`
 * escape); anything else is 404. Every response carries a Content-Security-Policy that
 * allows scripts from this origin only, so even a message that slipped past the text
 * rendering could not run a script.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const PAGES: Readonly<Record<string, string>> = { '/': 'index.html', '/echo': 'echo.html' };

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Headers on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The file a request path maps to inside `root`, or `undefined` (never outside `root`). */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  const page = PAGES[urlPath] ?? PAGES[urlPath.replace(/\/+$/, '')];
  if (page !== undefined) return join(root, page);
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || !decoded.startsWith('/assets/')) return undefined;
  // Only files inside <root>/assets: `..` may not climb out of it (to the pages' folder or beyond).
  const file = normalize(join(root, decoded));
  return file.startsWith(join(root, 'assets') + sep) ? file : undefined;
}

/** Answer a GET/HEAD for a static file; 404 / 405 otherwise. */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
    return;
  }
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const file = resolveStatic(root, path);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || info === undefined || !info.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('Not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
