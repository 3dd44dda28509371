import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'multi-machine', include: ['**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 120_000 },
});
