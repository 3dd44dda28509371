import { parseInput, type RateLimiter, type RateLimiterFactory, type RateLimiterOptions } from '@omnidealer/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { createRedisConcurrencyLimit, type RedisConcurrencyLimit } from './redis-concurrency-limit.js';
import { gateScript, restampScript, runScript } from './redis-rate-limit-scripts.js';

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /**
   * An ioredis client for the Redis that holds the shared limits; the gate's scripts run on it. A limiter with
   * `maxConcurrent` also duplicates it twice (commands + pub/sub for Bottleneck), closed when the hub shuts down. The
   * client stays yours: close it after the hubs using it are shut down.
   */
  redis: Redis;
  /**
   * Launch-to-arrival jitter to absorb, in ms. The shared limit admits at most `perSecond` launches in any
   * `1000 + marginMs` ms (Redis's clock) and paces them `(1000 + marginMs) / perSecond` apart; the per-recipient
   * interval is `perRecipientIntervalMs + marginMs`. So the provider never counts more than the limit in one second
   * while the spread of delays between a launch and its arrival stays below `marginMs / 2` (the other half absorbs a
   * process stalling between Redis's answer and the launch: a later answer is given back). Costs throughput:
   * `1000 / (1000 + marginMs)` of the limit.
   * @default 30
   */
  marginMs?: number;
}

const redisRateLimiterOptionsSchema = z.object({
  redis: z.custom<Redis>(
    (value) => typeof (value as Partial<Redis> | null)?.evalsha === 'function',
    'expected an ioredis client (new Redis(url))',
  ),
  marginMs: z.number().finite().nonnegative().optional(),
});

/**
 * Creates the hub's `rateLimiter` that makes every process's channel limiter one cluster-wide limiter: each channel
 * account's limiter has the id `omnidealer:<kind>:<accountId>`, so all processes sending on one WhatsApp number through
 * one Redis share one `perSecond` budget, one per-recipient interval and one `maxConcurrent`.
 *
 * Why not Bottleneck's clustering alone (still used for a cluster-wide `maxConcurrent`): Bottleneck books each job's
 * slot in Redis when the job is queued and then fires it on a local timer. A process whose event loop stalls fires its
 * booked slots late and together, on top of the other processes' on-time slots: 4 workers under an 80/s limit put
 * 102–109 requests into one second at the provider. A launch-time check on top of it still let 94 arrive in one
 * second, because launches stayed bursty and a slot admitted just before a stall went out late.
 *
 * So one atomic Lua script is the only source of truth for `perSecond` and `perRecipientIntervalMs`, asked right before
 * each launch, with Redis's clock:
 * - launches are paced `(1000 + marginMs) / perSecond` apart (a planned next slot, GCRA-like: a launch up to four slots
 *   late does not move the plan, so a short stall is caught up in a bunch of at most four and late timers do not lower
 *   the rate), which keeps requests from bunching in the network and at the provider;
 * - the log of launches keeps at most `perSecond` in any `1000 + marginMs` ms: the hard bound, exact per window;
 * - nothing is booked ahead: a process told to wait sleeps and asks again; a process whose answer came back more than
 *   `marginMs / 2` later than its quickest round trip (it stalled between asking and launching) gives the slot back
 *   and asks again, so the launch time Redis logged is hardly ever more than that before the request really leaves;
 * - a request that left more than a few ms after its admission (the process was held up after the check: the OS, a
 *   GC pause) has its logged launch (and its recipient's interval) moved to when it left, so no launch stays logged
 *   earlier than it really went;
 * - a recipient's interval is checked and recorded in the same script, at the launch itself: a send waiting for the
 *   account budget does not use up its recipient's interval, and one waiting for its recipient does not hold up the
 *   others.
 *
 * A provider counting by arrival then never sees more than `perSecond` in a second as long as the spread of
 * launch-to-arrival delays stays under `marginMs` minus that lag. A send whose gate call fails (Redis unreachable)
 * is rejected with that error: sends never bypass the limit.
 * @throws ValidationError when `redis` is not an ioredis client or `marginMs` is negative.
 * @example
 * const redis = new Redis(process.env.REDIS_URL!);
 * const hub = createOmnidealer({ channels, store, rateLimiter: createRedisRateLimiter({ redis }) });
 * // on shutdown:
 * await hub.shutdown(); // stops the limiters
 * redis.disconnect();
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiterFactory {
  const { redis, marginMs } = parseInput(redisRateLimiterOptionsSchema, options, 'options', 'redis');
  return (limit) => createSharedLimiter(redis, marginMs ?? 30, limit);
}

/** A launch is restamped when its request left more than this after its admission (ms, local clock). */
const restampAfterMs = 3;

interface SharedTask {
  recipient: string;
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Not before this time (local clock): its recipient is inside the interval. */
  readyAt: number;
}

function createSharedLimiter(redis: Redis, margin: number, options: RateLimiterOptions): RateLimiter {
  const perSecond = options.perSecond && options.perSecond > 0 ? options.perSecond : 0;
  const maxConcurrent = options.maxConcurrent && options.maxConcurrent > 0 ? options.maxConcurrent : undefined;
  const interval =
    options.perRecipientIntervalMs && options.perRecipientIntervalMs > 0 ? Math.ceil(options.perRecipientIntervalMs + margin) : 0;
  const windowMs = 1000 + margin;
  const spacingMs = perSecond ? windowMs / perSecond : 0;
  const maxLagMs = Math.max(1, margin / 2);
  const prefix = `omnidealer:limit:{${options.id}}`;
  const launchId = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  let sequence = 0;
  let quickestRoundTrip = Number.POSITIVE_INFINITY;
  const concurrency: RedisConcurrencyLimit | undefined = maxConcurrent
    ? createRedisConcurrencyLimit({ redis, id: options.id, maxConcurrent })
    : undefined;

  let queue: SharedTask[] = [];
  let pumping = false;
  let stopped = false;
  /** The pump's current sleep; `forDeferred` when only tasks waiting for their recipient are queued. */
  let sleeping: { wake: () => void; forDeferred: boolean } | undefined;

  function sleep(ms: number, forDeferred = false): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, ms));
      sleeping = { wake, forDeferred };
    });
  }

  /**
   * Asks the gate until it admits or names a wait. An admission whose answer took longer than `maxLagMs` beyond the
   * quickest answer seen (the network's own round trip) is given back and asked for again, at most twice in a row so
   * that a slow link cannot starve this process.
   */
  async function acquire(recipient: string): Promise<{ verdict: number; waitMs: number; member: string }> {
    let giveBack = ['', '', ''];
    for (let attempt = 1; ; attempt++) {
      const member = `${launchId}:${sequence++}`;
      const askedAt = performance.now();
      const reply = (await runScript(
        redis,
        gateScript,
        [`${prefix}:launches`, `${prefix}:next`, `${prefix}:to:${recipient}`],
        [String(windowMs), String(perSecond), String(spacingMs), member, String(interval), ...giveBack],
      )) as [number, string | number, string?];
      const roundTrip = performance.now() - askedAt;
      quickestRoundTrip = Math.min(quickestRoundTrip, roundTrip);
      const verdict = Number(reply[0]);
      if (verdict !== 0) return { verdict, waitMs: Number(reply[1]), member };
      if (roundTrip <= quickestRoundTrip + maxLagMs || attempt >= 3) return { verdict, waitMs: 0, member };
      giveBack = [member, String(reply[1]), String(reply[2] ?? '')];
    }
  }

  function launch(task: SharedTask, release: (() => void) | undefined): void {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(task.run());
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(task.resolve, task.reject).finally(() => release?.());
  }

  function remove(task: SharedTask): void {
    queue = queue.filter((queued) => queued !== task);
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (!stopped && queue.length > 0) {
        const now = Date.now();
        const index = queue.findIndex((task) => task.readyAt <= now);
        if (index < 0) {
          await sleep(queue.reduce((soonest, task) => Math.min(soonest, task.readyAt), Number.POSITIVE_INFINITY) - now, true);
          continue;
        }
        const task = queue[index] as SharedTask;
        let release: (() => void) | undefined;
        try {
          release = concurrency ? await concurrency.hold() : undefined;
        } catch (error) {
          // Stopped while waiting (stop() rejected the task already), or Bottleneck could not reach Redis.
          remove(task);
          task.reject(error);
          continue;
        }
        for (;;) {
          if (stopped) {
            release?.();
            return;
          }
          let answer: { verdict: number; waitMs: number; member: string };
          try {
            answer = await acquire(task.recipient);
          } catch (error) {
            // Redis refused the script (connection closed, no scripting): this send fails, it never bypasses the limit.
            remove(task);
            task.reject(error);
            release?.();
            break;
          }
          const { verdict, waitMs, member } = answer;
          if (verdict === 0) {
            remove(task);
            const admittedAt = performance.now();
            launch(task, release);
            // The request's write is queued by now (the channels send synchronously up to it); this runs after it. Only
            // a launch that was held up is moved: moving every one would add Redis's answer time to each, and at a
            // full window each launch waits for the one logged a window before it, so that time would add up.
            if (perSecond || interval)
              setImmediate(() => {
                if (performance.now() - admittedAt <= restampAfterMs) return;
                runScript(
                  redis,
                  restampScript,
                  [`${prefix}:launches`, `${prefix}:to:${task.recipient}`],
                  [member, String(interval)],
                ).catch(() => undefined);
              });
            break;
          }
          if (verdict === 1) {
            // Its recipient is inside the interval: the others go first.
            task.readyAt = Date.now() + waitMs;
            release?.();
            break;
          }
          await sleep(waitMs);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    schedule<T>(recipient: string, task: () => Promise<T>): Promise<T> {
      if (stopped) return Promise.reject(new Error('rate limiter stopped'));
      if (!perSecond && !interval && !concurrency) return task();
      return new Promise<T>((resolve, reject) => {
        queue.push({ recipient, run: task, resolve: resolve as (value: unknown) => void, reject, readyAt: 0 });
        if (sleeping?.forDeferred) sleeping.wake();
        void pump();
      });
    },
    async stop() {
      stopped = true;
      sleeping?.wake();
      const error = new Error('rate limiter stopped');
      for (const task of queue) task.reject(error);
      queue = [];
      await concurrency?.stop();
    },
  };
}
