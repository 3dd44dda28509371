import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';

/** A cap on requests in flight shared by every process that uses the same id on one Redis. */
export interface RedisConcurrencyLimit {
  /** Waits for a free place; the returned function gives it back. Rejects once the limit is stopped. */
  hold(): Promise<() => void>;
  /** Drops waiting holders and closes the limit's Redis connections. */
  stop(): Promise<void>;
}

/**
 * Keeps `maxConcurrent` cluster-wide with Bottleneck's clustering, which does this well (the running jobs of a process
 * that dies expire with its heartbeat) and holds no timing. It runs on its own Bottleneck connection (two duplicates
 * of `redis`: commands and pub/sub), closed by `stop()`, so `redis` stays the caller's.
 * @see https://github.com/SGrondin/bottleneck#clustering
 */
export function createRedisConcurrencyLimit(options: { redis: Redis; id: string; maxConcurrent: number }): RedisConcurrencyLimit {
  // Bottleneck would `require('ioredis')` from its own folder, which a strict package manager does not populate:
  // hand it the constructor. It duplicates `client` for its subscriber.
  const connection = new Bottleneck.IORedisConnection({ Redis, client: options.redis.duplicate() });
  const limiter = new Bottleneck({
    connection,
    id: `${options.id}:concurrency`,
    clearDatastore: false,
    maxConcurrent: options.maxConcurrent,
  });
  return {
    hold() {
      return new Promise((acquired, failed) => {
        limiter.schedule(() => new Promise<void>((release) => acquired(release))).catch(failed);
      });
    },
    async stop() {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      // Closes both clients and clears the limiter's heartbeat; the limiter's own `disconnect()` would only unsubscribe
      // it, and Bottleneck 2.19.5 (its last release) returns `undefined` from that rather than a promise.
      await connection.disconnect().catch(() => undefined);
    },
  };
}
