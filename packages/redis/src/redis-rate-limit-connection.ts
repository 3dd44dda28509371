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
   * Launch jitter to absorb, in ms per second of launches. Bottleneck plans launches in Redis exactly `minTime` apart,
   * but each process starts its task a few ms after the plan (network, event loop), so two processes can put
   * `perSecond + 1` launches into one sliding second. Every limiter's `minTime` on this connection is stretched so
   * that `perSecond` launches span `1000 + launchJitterMs` ms: no sliding one-second window ever holds more than the
   * limit while jitter stays below this, at `1000 / (1000 + launchJitterMs)` of the limit's throughput (97.6 % at 25).
   * @default 25
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
  stretchMinTime(connection, options.launchJitterMs ?? 25);
  return connection;
}

interface ConnectionInternals {
  terminated: boolean;
  subscriber: Redis;
  limiters: Record<string, unknown>;
  __scriptArgs__(name: string, id: string, args: unknown[], callback: unknown): unknown[];
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

/**
 * Rewrites `minTime` in the settings every limiter stores in Redis (the `init` and `update_settings` scripts take
 * `[now, clientId, …, key, value, key, value…]`; keys start at index 4 and 2 respectively).
 */
function stretchMinTime(connection: Bottleneck.IORedisConnection, launchJitterMs: number): void {
  if (launchJitterMs <= 0) return;
  const internals = connection as unknown as ConnectionInternals;
  const scriptArgs = internals.__scriptArgs__.bind(connection);
  internals.__scriptArgs__ = (name, id, args, callback) => {
    const firstKey = name === 'init' ? 4 : name === 'update_settings' ? 2 : -1;
    if (firstKey < 0) return scriptArgs(name, id, args, callback);
    const stretched = [...args];
    for (let index = firstKey; index + 1 < stretched.length; index += 2) {
      if (stretched[index] !== 'minTime') continue;
      const minTime = Number(stretched[index + 1]);
      if (minTime > 0) stretched[index + 1] = String(minTime * (1 + launchJitterMs / 1000));
    }
    return scriptArgs(name, id, stretched, callback);
  };
}
