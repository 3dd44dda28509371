import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'trigger-chains', include: ['**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 30_000 },
});
