// `npm start`: the Orrery demo (apps/demo) — chat and echo on http://localhost:3000.
// `npm run build` (which `npm start` runs first) compiles its server and bundles its pages.
// Environment: PORT (default 3000), HOST, REDIS_URL (share rooms across processes); see docs/demo.md.
import { existsSync } from 'node:fs';

const main = new URL('../apps/demo/dist/node/server/main.js', import.meta.url);
const pages = new URL('../apps/demo/dist/public/index.html', import.meta.url);
if (!existsSync(main) || !existsSync(pages)) {
  console.error('The demo is not built: run `npm run build` first (or `npm start`, which builds).');
  process.exit(1);
}
await import(main.href);
