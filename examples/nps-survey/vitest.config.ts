import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'nps-survey', include: ['**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 60_000 },
});
