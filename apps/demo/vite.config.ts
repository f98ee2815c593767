/**
 * Vite builds the two pages (chat: index.html, echo: echo.html) into dist/public, which the
 * demo's Node server serves. `npm run dev -w @orrery/demo` runs Vite's dev server on :5173
 * and proxies the sockets and tRPC to a demo server on :3000 (`npm start` in another shell).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const backend = process.env.DEMO_BACKEND ?? 'http://localhost:3000';
// The demo server accepts sockets from its own origin only: present the backend's.
const proxied = { target: backend, changeOrigin: true, headers: { origin: backend } };

export default defineConfig({
  root: here('.'),
  build: {
    outDir: here('./dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: { chat: here('./index.html'), echo: here('./echo.html') },
    },
  },
  server: {
    proxy: {
      '/chat/': { ...proxied, ws: true },
      '^/echo$': { ...proxied, ws: true },
      '/trpc': proxied,
    },
  },
});
