import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources: the "@orrery/source" export condition points each
// workspace package at its src/ instead of its built dist/.
export default defineConfig({
  resolve: { conditions: ['@orrery/source'] },
  ssr: { resolve: { conditions: ['@orrery/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    // Two cores: integration suites start servers, Redis and child processes.
    maxWorkers: 2,
  },
});
