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
});
