import type { ChannelRateLimit } from '../channel.js';
import { createMinHeap } from './min-heap.js';

/**
 * What the hub gives a {@link RateLimiterFactory} for each channel account: the channel's `rateLimit` and an id.
 */
export interface RateLimiterOptions extends ChannelRateLimit {
  /**
   * Limiter id, `omnidealer:<kind>:<accountId>` from the hub: one per channel account. A limiter shared across
   * processes keys its state by it, so every process sending on one account shares one limit.
   */
  id: string;
}

/** Schedules calls under an account-wide rate and an optional per-recipient spacing. */
export interface RateLimiter {
  /** Runs `task` once the limits allow a launch to `recipient`; settles as `task` does. */
  schedule<T>(recipient: string, task: () => Promise<T>): Promise<T>;
  /** Stops the limiter and drops its timers; waiting tasks are rejected. */
  stop(): Promise<void>;
}

/**
 * Makes the limiter of one channel account; `createOmnidealer({ rateLimiter })` takes one. Core's is
 * {@link createRateLimiter} (in process); `createRedisRateLimiter(...)` from `@omnidealer/redis` shares the limits
 * between processes.
 * @example
 * const hub = createOmnidealer({
 *   channels,
 *   rateLimiter: (options) => createRateLimiter({ ...options, marginMs: 50 }),
 * });
 */
export type RateLimiterFactory = (options: RateLimiterOptions) => RateLimiter;

/** Options of {@link createRateLimiter}: the hub's {@link RateLimiterOptions} plus the in-process limiter's margin. */
export interface InProcessRateLimiterOptions extends RateLimiterOptions {
  /**
   * Safety margin added to the one-second window and the per-recipient interval, so network jitter between our
   * launch and the provider's clock cannot push a request over its limit. @default 20
   */
  marginMs?: number | undefined;
}

interface QueuedTask {
  recipient: string;
  /** Arrival order: tasks start in it, except those waiting for their recipient's interval. */
  sequence: number;
  run: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One launched request: when it left, and when its answer (or failure) came back. */
interface Launch {
  at: number;
  settledAt: number | undefined;
}

/** Answers needed before the fastest round trip seen is trusted as the network's own (see occupiedUntil). */
const trustedAfterAnswers = 64;

/**
 * The in-process limiter, and the hub's default {@link RateLimiterFactory}: at most `perSecond` launches in any
 * window of one second (plus `marginMs`), at least `perRecipientIntervalMs` (plus `marginMs`) between two launches to
 * one recipient (WhatsApp pair limit), at most `maxConcurrent` in flight. Tasks start in arrival order, except that a
 * task waiting for its recipient's interval does not hold up others.
 *
 * The limits are kept by a small scheduler of its own: Bottleneck's local datastore yields to the event loop several
 * times per job (milliseconds of latency each) and its `minTime` timers fire up to 1 ms early, which overshoots a
 * strict provider window. It counts this process's launches only: several CRM workers sending on one account share
 * the limit through `createRedisRateLimiter` from `@omnidealer/redis`.
 * @example
 * const limiter = createRateLimiter({ id: 'omnidealer:whatsapp:1234', perSecond: 80, perRecipientIntervalMs: 6000 });
 * const response = await limiter.schedule('+79161234567', () => fetch(url, init));
 * await limiter.stop();
 */
export function createRateLimiter(options: InProcessRateLimiterOptions): RateLimiter {
  const perSecond = options.perSecond && options.perSecond > 0 ? options.perSecond : undefined;
  const margin = options.marginMs ?? 20;
  const windowMs = 1000 + margin;
  const interval = options.perRecipientIntervalMs ? options.perRecipientIntervalMs + margin : undefined;
  const maxConcurrent = options.maxConcurrent && options.maxConcurrent > 0 ? options.maxConcurrent : undefined;
  const unlimited = !perSecond && !interval && !maxConcurrent;
  // Launches are also spread evenly (windowMs / perSecond apart): a burst of a whole second's budget reaches the
  // provider spread over its processing time and collides with the next burst in the provider's own window. Slots are
  // planned, so a pump that runs late (a busy event loop) launches the overdue slots back to back, up to catchUpMs of
  // them, rather than lowering the rate (slots that passed with nothing waiting are not caught up on); the window
  // below stays the hard bound.
  const spacingMs = perSecond ? windowMs / perSecond : 0;
  const catchUpMs = windowMs / 20;
  let nextSlot = Number.NEGATIVE_INFINITY;

  let queue: QueuedTask[] = [];
  let queueHead = 0;
  let sequence = 0;
  /** Tasks whose recipient is inside its interval, smallest ready time (then arrival) first. */
  const deferred = createMinHeap<{ task: QueuedTask; readyAt: number }>(
    (a, b) => a.readyAt - b.readyAt || a.task.sequence - b.task.sequence,
  );
  /** Launches that may still count in the provider's window (see occupiedUntil). */
  let recent: Launch[] = [];
  /** Fastest round trip seen so far, and how many answers it was taken from (see occupiedUntil). */
  let fastestMs = Number.POSITIVE_INFINITY;
  let answers = 0;
  const lastByRecipient = new Map<string, Launch>();
  let running = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let stopped = false;

  /**
   * Until when a launch may still be inside the provider's window (`span` after the provider stamped it). The
   * provider stamps a request somewhere between our launch and its answer, and on its way a request can be held up
   * (our busy event loop, the network, the provider's queue) while a later one is not: their stamps then come closer
   * than their launches were, and a window counted from launches lets the provider see one request too many. So a
   * launch counts from its answer, less the fastest round trip seen (the network's own, spent partly on the way out
   * and partly on the way back, which a later request spends too): a request that came back late keeps its place for
   * as long as it was late, one that came back at network speed counts from its launch, and one in flight counts
   * until it comes back. The fastest round trip is trusted once it is the least of `trustedAfterAnswers` answers:
   * under a busy start every early round trip is slow, and crediting it would open the window too early.
   */
  function occupiedUntil(launch: Launch, span: number): number {
    if (launch.settledAt === undefined) return Number.POSITIVE_INFINITY;
    const credit = answers >= trustedAfterAnswers ? fastestMs : 0;
    return Math.max(launch.at, launch.settledAt - credit) + span;
  }

  /** Drops launches that can no longer be in the window; returns how many still are, and when the next one leaves. */
  function windowAt(now: number): { occupied: number; nextFreeAt: number } {
    let nextFreeAt = Number.POSITIVE_INFINITY;
    let kept = 0;
    for (const launch of recent) {
      const until = occupiedUntil(launch, windowMs);
      if (until <= now) continue;
      recent[kept++] = launch;
      nextFreeAt = Math.min(nextFreeAt, until);
    }
    recent.length = kept;
    return { occupied: kept, nextFreeAt };
  }

  function wakeAt(at: number, now: number): void {
    if (timer !== undefined && timerAt <= at) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - now),
    );
  }

  function settled(launch: Launch): void {
    launch.settledAt = Date.now();
    fastestMs = Math.min(fastestMs, launch.settledAt - launch.at);
    answers++;
    running--;
    pump();
  }

  /** Counts a launch to `recipient` now and starts `run`; resolves as it does, once the limiter has counted its end. */
  function start<T>(recipient: string, run: () => Promise<T>, now: number): Promise<T> {
    running++;
    const record: Launch = { at: now, settledAt: undefined };
    if (perSecond) {
      recent.push(record);
      nextSlot = Math.max(nextSlot, now - catchUpMs) + spacingMs;
    }
    if (interval) lastByRecipient.set(recipient, record);
    let result: Promise<T>;
    try {
      result = Promise.resolve(run());
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.then(
      (value) => {
        settled(record);
        return value;
      },
      (error: unknown) => {
        settled(record);
        throw error;
      },
    );
  }

  function launch(task: QueuedTask, now: number): void {
    start(task.recipient, task.run, now).then(task.resolve, task.reject);
  }

  /**
   * True when a task arriving now may start at once: nothing waits before it and every limit has room (the checks
   * `pump` makes for the head of its queue). Most sends under the limits take this path, with no queue entry.
   */
  function canStartNow(recipient: string, now: number): boolean {
    if (queueHead < queue.length || deferred.size > 0) return false;
    if (maxConcurrent && running >= maxConcurrent) return false;
    if (perSecond && (now < nextSlot || windowAt(now).occupied >= perSecond)) return false;
    if (interval && recipientReadyAt(recipient) > now) return false;
    // As `schedule` does for a task that finds the queue empty: slots that passed with nothing waiting are not
    // caught up on.
    nextSlot = Math.max(nextSlot, now);
    return true;
  }

  /** When the recipient's pair interval allows its next launch (the same reasoning as the window). */
  function recipientReadyAt(recipient: string): number {
    const last = interval ? lastByRecipient.get(recipient) : undefined;
    if (last === undefined) return Number.NEGATIVE_INFINITY;
    // Still in flight: due at the interval after its launch, and checked again then.
    return occupiedUntil({ at: last.at, settledAt: last.settledAt ?? last.at }, interval ?? 0);
  }

  function pump(): void {
    if (stopped) return;
    const now = Date.now();
    if (deferred.size > 0 && (deferred.peek()?.readyAt ?? Number.POSITIVE_INFINITY) <= now) {
      const ready: QueuedTask[] = [];
      while ((deferred.peek()?.readyAt ?? Number.POSITIVE_INFINITY) <= now)
        ready.push((deferred.pop() as { task: QueuedTask }).task);
      ready.sort((a, b) => a.sequence - b.sequence);
      if (queueHead >= queue.length) nextSlot = Math.max(nextSlot, now);
      queue = [...ready, ...queue.slice(queueHead)];
      queueHead = 0;
    }
    let { occupied, nextFreeAt } = perSecond ? windowAt(now) : { occupied: 0, nextFreeAt: Number.POSITIVE_INFINITY };
    while (queueHead < queue.length) {
      if (maxConcurrent && running >= maxConcurrent) break;
      if (perSecond && occupied >= perSecond) {
        // When every launch in the window is still in flight, the first answer pumps again.
        if (Number.isFinite(nextFreeAt)) wakeAt(nextFreeAt, now);
        break;
      }
      if (spacingMs && now < nextSlot) {
        wakeAt(nextSlot, now);
        break;
      }
      const task = queue[queueHead] as QueuedTask;
      queueHead++;
      if (interval) {
        const readyAt = recipientReadyAt(task.recipient);
        if (readyAt > now) {
          deferred.push({ task, readyAt });
          continue;
        }
      }
      launch(task, now);
      occupied++;
    }
    if (queueHead >= queue.length) {
      queue = [];
      queueHead = 0;
    } else if (queueHead > 1024) {
      queue = queue.slice(queueHead);
      queueHead = 0;
    }
    const nextReady = deferred.peek();
    if (nextReady) wakeAt(nextReady.readyAt, now);
    if (interval && lastByRecipient.size > 10_000) {
      for (const [recipient] of lastByRecipient) if (recipientReadyAt(recipient) <= now) lastByRecipient.delete(recipient);
    }
  }

  return {
    schedule<T>(recipient: string, task: () => Promise<T>): Promise<T> {
      if (stopped) return Promise.reject(new Error('rate limiter stopped'));
      if (unlimited) return task();
      const now = Date.now();
      if (canStartNow(recipient, now)) return start(recipient, task, now);
      return new Promise<T>((resolve, reject) => {
        // Slots that passed with nothing waiting are not caught up on.
        if (queueHead >= queue.length) nextSlot = Math.max(nextSlot, Date.now());
        queue.push({ recipient, sequence: sequence++, run: task, resolve: resolve as (value: unknown) => void, reject });
        pump();
      });
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      const error = new Error('rate limiter stopped');
      for (const task of queue.slice(queueHead)) task.reject(error);
      for (const entry of deferred.drain()) entry.task.reject(error);
      queue = [];
      queueHead = 0;
      recent = [];
    },
  };
}
