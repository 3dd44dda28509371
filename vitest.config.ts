import { defineConfig } from 'vitest/config';

// One root config: `pnpm test` runs every package's tests (tests sit beside their source).
// The `omnidealer-source` export condition resolves workspace packages to their TypeScript source, so no build is needed first.
export default defineConfig({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: {
    projects: [
      'packages/*',
      'packages/redis/vitest.multi-process.config.ts',
      'examples/*/vitest.config.ts',
      'tests/*/vitest.config.ts',
    ],
  },
});
