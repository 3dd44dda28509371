import { defineConfig } from 'vitest/config';

// One root config: `pnpm test` runs every package's tests (tests sit beside their source).
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
