import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: { name: 'channel-vk', include: ['src/**/*.test.ts'] },
});
