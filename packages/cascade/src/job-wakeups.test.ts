import { type Clock, createMemoryStore, type ScheduledJob, type Store } from '@omnidealer/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startJobWakeups } from './job-wakeups.js';

const clock: Clock = { now: () => Date.now() };
const job = (id: string, runAt: number, kind = 'cascade.step'): ScheduledJob => ({
  id,
  kind,
  runAt,
  payload: {},
  status: 'pending',
  attempts: 0,
});

afterEach(() => {
  vi.useRealTimers();
});

function setup(store: Store, pollIntervalMs = 60_000) {
  const runs: number[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const wakeups = startJobWakeups({
    store,
    clock,
    kinds: ['cascade.step'],
    pollIntervalMs,
    run: async () => {
      runs.push(Date.now());
      if (hold) await new Promise<void>((resolve) => (release = resolve));
    },
  });
  return {
    runs,
    wakeups,
    holdRuns: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('startJobWakeups', () => {
  it('runs at once, then at each notified run time of its kinds, earliest first, long before the poll', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const store = createMemoryStore();
    const { runs, wakeups } = setup(store);
    expect(runs).toEqual([1_000_000]);
    await store.scheduleJob(job('late', 1_000_900));
    await store.scheduleJob(job('early', 1_000_300));
    await store.scheduleJob(job('same', 1_000_300));
    await store.scheduleJob(job('other kind', 1_000_100, 'trigger.idle'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([1_000_000, 1_000_300, 1_000_900]);
    await vi.advanceTimersByTimeAsync(58_999);
    expect(runs).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1); // the safety poll
    expect(runs).toEqual([1_000_000, 1_000_300, 1_000_900, 1_060_000]);
    wakeups.stop();
    await store.scheduleJob(job('after stop', 1_070_000));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toHaveLength(4);
  });

  it('a job already due runs at once; a wake-up during a run runs it again right after, never twice at once', async () => {
    vi.useFakeTimers({ now: 0 });
    const store = createMemoryStore();
    const { runs, holdRuns, release, wakeups } = setup(store);
    await vi.advanceTimersByTimeAsync(0);
    holdRuns();
    await store.scheduleJob(job('due', 0));
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([0, 0]);
    await store.scheduleJob(job('next', 10));
    await vi.advanceTimersByTimeAsync(20);
    expect(runs).toHaveLength(2); // the second run still holds: the wake-up waits for it
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([0, 0, 20]);
    wakeups.stop();
  });

  it('without watchJobs, polls every pollIntervalMs', async () => {
    vi.useFakeTimers({ now: 0 });
    const { watchJobs: _, ...polling } = createMemoryStore();
    const { runs, wakeups } = setup(polling as Store, 1_000);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs).toEqual([0, 1_000, 2_000, 3_000]);
    wakeups.stop();
  });
});
