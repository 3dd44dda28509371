import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'reliability', include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
});
