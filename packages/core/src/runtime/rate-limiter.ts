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
  const shared = options.connection ? { connection: options.connection, id: options.id, clearDatastore: false } : {};
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

  // Bottleneck plans launches but a timer that fires late lets the next one follow too closely (a 99 ms gap under a
  // 100 ms spacing). This guard holds the hard bound: a launch waits until it is outside the last second's budget
  // and the recipient's spacing. It rarely waits, so throughput stays at the limit.
  const recent: number[] = [];
  const lastByRecipient = new Map<string, number>();
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  async function guard(recipient: string): Promise<void> {
    for (;;) {
      const now = Date.now();
      let wait = 0;
      if (perSecond) {
        while (recent.length > 0 && now - (recent[0] as number) >= 1000) recent.shift();
        if (recent.length >= perSecond) wait = (recent[0] as number) + 1000 - now;
      }
      const interval = options.perRecipientIntervalMs;
      const last = interval ? lastByRecipient.get(recipient) : undefined;
      if (interval && last !== undefined) wait = Math.max(wait, last + interval - now);
      if (wait <= 0) break;
      await sleep(wait);
    }
    const now = Date.now();
    if (perSecond) recent.push(now);
    if (options.perRecipientIntervalMs) {
      lastByRecipient.set(recipient, now);
      if (lastByRecipient.size > 10_000) {
        for (const [key, time] of lastByRecipient) if (now - time >= options.perRecipientIntervalMs) lastByRecipient.delete(key);
      }
    }
  }

  return {
    schedule(recipient, task) {
      const guarded = async () => {
        await guard(recipient);
        return task();
      };
      const throughAccount = () => account.schedule(guarded);
      return perRecipient ? perRecipient.key(recipient).schedule(throughAccount) : throughAccount();
    },
    async stop() {
      await account.stop({ dropWaitingJobs: true }).catch(() => undefined);
      if (perRecipient)
        await Promise.all(
          perRecipient.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)),
        );
      await account.disconnect?.().catch?.(() => undefined);
    },
  };
}
