import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';

/** Options of {@link createRedisRateLimitConnection}. */
export interface RedisRateLimitConnectionOptions {
  /**
   * An ioredis client for the Redis that holds the shared limits. It is duplicated twice (commands + pub/sub), so
   * this client stays yours: closing the connection does not close it.
   */
  redis: Redis;
  /**
   * Launch-to-arrival jitter to absorb, in ms. The shared limit admits at most `perSecond` launches in any
   * `1000 + launchJitterMs` ms (Redis's clock) and paces them `(1000 + launchJitterMs) / perSecond` apart, so the
   * provider never counts more than the limit in one second while the spread of delays between a launch and its
   * arrival stays below `launchJitterMs / 2` (the other half absorbs a process stalling between Redis's answer and
   * the launch: a later answer is given back). Costs throughput: `1000 / (1000 + launchJitterMs)` of the limit.
   * @default 30
   */
  launchJitterMs?: number;
}

/**
 * Creates the Bottleneck connection that makes every process's channel limiter one cluster-wide limiter. Pass it to
 * the hub as `rateLimitConnection`: each channel account's limiter gets the id `omnidealer:<kind>:<accountId>`, so
 * all processes sending on one WhatsApp number share one `perSecond` budget (and one per-recipient spacing).
 *
 * Call `connection.disconnect()` after the hubs using it are closed.
 * @example
 * const redis = new Redis(process.env.REDIS_URL!);
 * const rateLimitConnection = createRedisRateLimitConnection({ redis });
 * const hub = createOmnidealer({ channels, store, rateLimitConnection });
 * @see https://github.com/SGrondin/bottleneck#clustering
 */
export function createRedisRateLimitConnection(options: RedisRateLimitConnectionOptions): Bottleneck.IORedisConnection {
  // Bottleneck would `require('ioredis')` from its own folder, which a strict package manager does not populate:
  // hand it the constructor. It duplicates `client` for its subscriber.
  const connection = new Bottleneck.IORedisConnection({ Redis, client: options.redis.duplicate() });
  fixRemoveLimiter(connection);
  // Read by the core limiter as its margin (`marginMs`) for limits on this connection.
  Object.assign(connection, { marginMs: options.launchJitterMs ?? 30 });
  return connection;
}

interface ConnectionInternals {
  terminated: boolean;
  subscriber: Redis;
  limiters: Record<string, unknown>;
  __removeLimiter__(instance: { channel(): string; channel_client(): string }): Promise<void>;
}

/**
 * Bottleneck 2.19.5 (its last release) returns `undefined` from `__removeLimiter__`, so `limiter.disconnect()` on a
 * shared connection returns `undefined` instead of a promise (the core limiter's `stop()` then throws), and a failed
 * unsubscribe becomes an unhandled rejection. Same behaviour, but awaited and with errors swallowed: a limiter
 * leaving a closing connection has nothing left to clean up.
 */
function fixRemoveLimiter(connection: Bottleneck.IORedisConnection): void {
  const internals = connection as unknown as ConnectionInternals;
  internals.__removeLimiter__ = async (instance) => {
    await Promise.all(
      [instance.channel(), instance.channel_client()].map(async (channel) => {
        if (!internals.terminated) await internals.subscriber.unsubscribe(channel).catch(() => undefined);
        delete internals.limiters[channel];
      }),
    );
  };
}
