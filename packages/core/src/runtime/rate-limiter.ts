import Bottleneck from 'bottleneck';
import type { ChannelRateLimit } from '../channel.js';

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions extends ChannelRateLimit {
  /** Limiter id; with a shared connection every process using the same id shares one limit. */
  id: string;
  /** A Bottleneck Redis/IORedis connection to share the limit across processes. */
  connection?: Bottleneck.RedisConnection | Bottleneck.IORedisConnection | undefined;
}

/** Schedules calls under an account-wide rate and an optional per-recipient spacing. */
export interface RateLimiter {
  schedule<T>(recipient: string, task: () => Promise<T>): Promise<T>;
  /** Stops the limiter and drops its timers. */
  stop(): Promise<void>;
}

/**
 * Creates a limiter. The account rate is enforced by spacing launches `1000 / perSecond` ms apart (Bottleneck
 * `minTime`): launch times are planned, not accumulated from late timers, so the achieved rate stays at the limit
 * while no one-second window ever holds more than `perSecond` launches. `perRecipientIntervalMs` adds a
 * per-recipient group (WhatsApp pair limit).
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const perSecond = options.perSecond;
  const shared = options.connection
    ? { connection: options.connection, id: options.id, clearDatastore: false }
    : {};
  const account = new Bottleneck({
    ...shared,
    maxConcurrent: options.maxConcurrent ?? null,
    minTime: perSecond ? 1000 / perSecond : 0,
  } as Bottleneck.ConstructorOptions);
  const perRecipient = options.perRecipientIntervalMs
    ? new Bottleneck.Group({
        ...shared,
        id: `${options.id}:recipient`,
        maxConcurrent: 1,
        minTime: options.perRecipientIntervalMs,
        timeout: Math.max(60_000, options.perRecipientIntervalMs * 10),
      } as Bottleneck.ConstructorOptions)
    : undefined;

  return {
    schedule(recipient, task) {
      const throughAccount = () => account.schedule(task);
      return perRecipient ? perRecipient.key(recipient).schedule(throughAccount) : throughAccount();
    },
    async stop() {
      await account.stop({ dropWaitingJobs: true }).catch(() => undefined);
      if (perRecipient) await Promise.all(perRecipient.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      await account.disconnect?.().catch?.(() => undefined);
    },
  };
}
