// Starts a throwaway redis-server on loopback for this package's tests and stops it afterwards.
// Without the binary the tests are skipped with a message — except under CI, where a missing redis-server fails the run.
import type { TestProject } from 'vitest/node';
import type {} from '../src/__fixtures__/redis-url.js';
import { redisServerAvailable, startRedisServer } from './start-redis-server.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const available = redisServerAvailable();
  if (!available.ok) {
    if (process.env.CI) {
      throw new Error(
        `redis-server is required under CI for the @omnidealer/redis tests (${available.reason}): apt-get install -y redis-server`,
      );
    }
    console.warn(
      '[@omnidealer/redis] redis-server not found: the Redis tests are SKIPPED. Install it: apt-get install -y redis-server',
    );
    project.provide('redisUrl', '');
    return undefined;
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
