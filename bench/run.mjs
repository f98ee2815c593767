// Entry point of `npm run bench` (see bench/src/main.ts and docs/benchmarks.md).
// Loads the TypeScript runner through tsx; the runner starts every server and load
// generator as a separate, pinned process and stops them all however it ends.
import { register } from 'tsx/esm/api';

register();
await import('./src/main.ts');
