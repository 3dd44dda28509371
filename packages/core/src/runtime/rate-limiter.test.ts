import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

afterEach(() => vi.useRealTimers());

function maxInAnyWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let start = 0; start < times.length; start++) {
    let count = 0;
    for (let index = start; index < times.length && (times[index] as number) - (times[start] as number) < windowMs; index++)
      count++;
    max = Math.max(max, count);
  }
  return max;
}

describe('createRateLimiter', () => {
  it('holds a limit of N per second in every one-second window while using the whole budget', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ id: 'test', perSecond: 10 });
    const launches: number[] = [];
    const done = Promise.all(
      Array.from({ length: 50 }, (_, index) => limiter.schedule(`r${index}`, async () => launches.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(6000);
    await done;
    expect(launches).toHaveLength(50);
    expect(maxInAnyWindow(launches, 1000)).toBeLessThanOrEqual(10);
    // 50 messages at 10/s take ~4.9 s: the limit is reached, not undershot.
    expect((launches.at(-1) as number) - (launches[0] as number)).toBeLessThanOrEqual(5000);
    // Bottleneck's stop yields through timers: let the fake clock run them.
    const stopped = limiter.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
  });

  it('spaces messages to the same recipient (pair limit) without slowing other recipients', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ id: 'pair', perSecond: 100, perRecipientIntervalMs: 6000 });
    const launches: Array<[string, number]> = [];
    const tasks = ['a', 'a', 'a', 'b', 'c'].map((recipient) =>
      limiter.schedule(recipient, async () => launches.push([recipient, Date.now()])),
    );
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(tasks);
    const toA = launches.filter(([recipient]) => recipient === 'a').map(([, time]) => time);
    expect(toA[1]! - toA[0]!).toBeGreaterThanOrEqual(6000);
    expect(toA[2]! - toA[1]!).toBeGreaterThanOrEqual(6000);
    const others = launches.filter(([recipient]) => recipient !== 'a').map(([, time]) => time);
    expect(Math.max(...others)).toBeLessThan(1000);
    // Bottleneck's stop yields through timers: let the fake clock run them.
    const stopped = limiter.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
  });

  it('keeps a request that came back late in the window for as long as it was late', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ id: 'late', perSecond: 2, marginMs: 0 });
    const launches: number[] = [];
    const run = (durations: number[]) =>
      Promise.all(
        durations.map((duration, index) =>
          limiter.schedule(`r${launches.length + index}`, async () => {
            launches.push(Date.now());
            await new Promise((resolve) => setTimeout(resolve, duration));
          }),
        ),
      );
    // The provider may have stamped the first request as late as its answer (400 ms): the third launch waits a
    // whole window after that, not after the first launch.
    const first = run([400, 10, 10]);
    await vi.advanceTimersByTimeAsync(3000);
    await first;
    expect(launches).toEqual([0, 500, 1400]);
    // Once 64 answers show the network's own round trip (10 ms), a request counts from its answer less that time.
    await vi.advanceTimersByTimeAsync(2000);
    const warmUp = run(Array.from({ length: 61 }, () => 10));
    await vi.advanceTimersByTimeAsync(40_000);
    await warmUp;
    await vi.advanceTimersByTimeAsync(2000);
    const start = Date.now();
    const late = run([400, 10, 10]);
    await vi.advanceTimersByTimeAsync(5000);
    await late;
    expect(launches.slice(-3).map((time) => time - start)).toEqual([0, 500, 400 - 10 + 1000]);
    await limiter.stop();
  });

  it('wakes each deferred message exactly when the interval of its recipient ends, however many wait before it', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ id: 'deferred', perRecipientIntervalMs: 1000, marginMs: 0 });
    const launches = new Map<string, number[]>();
    const send = (recipient: string) =>
      limiter.schedule(recipient, async () => {
        launches.set(recipient, [...(launches.get(recipient) ?? []), Date.now()]);
      });
    const recipients = Array.from({ length: 70 }, (_, index) => `r${index}`);
    const first: Array<Promise<unknown>> = [];
    for (const recipient of recipients) {
      first.push(send(recipient));
      await vi.advanceTimersByTimeAsync(1);
    }
    await Promise.all(first);
    // Second messages arrive latest-ready first, so the earliest-ready ones sit at the back of the waiting list.
    const second = [...recipients].reverse().map(send);
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all(second);
    for (const [index, recipient] of recipients.entries()) expect(launches.get(recipient)).toEqual([index, index + 1000]);
    await limiter.stop();
  });

  it('catches up on the slots a busy event loop made it miss, instead of lowering the rate', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createRateLimiter({ id: 'busy', perSecond: 80, marginMs: 20 });
    const launches: number[] = [];
    const done = Promise.all(
      Array.from({ length: 10 }, (_, index) => limiter.schedule(`r${index}`, async () => launches.push(Date.now()))),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(launches).toEqual([0]);
    // The next slot was due at 12.75 ms, but the event loop comes back only ~40 ms later: the overdue slots go at
    // once and the plan goes on, so the 10th launch still leaves at its planned 9 × 12.75 ms.
    vi.setSystemTime(40);
    await vi.advanceTimersByTimeAsync(13);
    expect(launches.length).toBeGreaterThanOrEqual(4);
    expect(new Set(launches.slice(1)).size).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(launches).toHaveLength(10);
    expect(launches[9]).toBeLessThanOrEqual(Math.ceil(9 * 12.75));
    await limiter.stop();
  });
});
