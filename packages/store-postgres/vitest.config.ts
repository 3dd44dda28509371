import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: {
    name: 'store-postgres',
    include: ['src/**/*.test.ts'],
    globalSetup: ['./test/postgres-server.global-setup.ts'],
  },
});
