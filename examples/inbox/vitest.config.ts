import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'inbox', include: ['src/**/*.test.ts'], exclude: ['node_modules/**', 'test-artifacts/**'], testTimeout: 30_000 },
});
