import { defineProject } from 'vitest/config';

// The multi-process limit proof measures one-second windows at a sandbox across 5 processes: it runs after every
// other project (groupOrder 1), alone, so the rest of the suite does not stall its processes on a small machine.
export default defineProject({
  resolve: { conditions: ['omnidealer-source'] },
  ssr: { resolve: { conditions: ['omnidealer-source'] } },
  test: {
    name: 'redis-multi-process',
    include: ['src/multi-process-limit.test.ts'],
    globalSetup: ['./test/redis-server.global-setup.ts'],
    sequence: { groupOrder: 1 },
  },
});
