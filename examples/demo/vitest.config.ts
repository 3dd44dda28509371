import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'demo', include: ['**/*.test.ts'], exclude: ['node_modules/**', 'report/**'], testTimeout: 60_000 },
});
