import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: {
    name: 'redis',
    include: ['src/**/*.test.ts'],
    // Runs alone, after everything else: vitest.multi-process.config.ts.
    exclude: ['src/multi-process-limit.test.ts'],
    globalSetup: ['./test/redis-server.global-setup.ts'],
  },
});
