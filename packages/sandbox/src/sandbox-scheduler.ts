import type { Clock } from '@omnidealer/core';

/**
 * How simulated delays (a delivery after 20 s, a read after 3 h) become real events.
 * - `real`: real timers; a delay of `d` simulated ms fires after `d / speed` real ms (speed comes from an
 *   {@link AcceleratedClock} or the `speed` option). Works with `vi.useFakeTimers()`.
 * - `manual`: nothing fires by itself; `sandbox.flush()` runs every event due at `clock.now()`. Use it with
 *   `createManualClock` from `@omnidealer/core` to move through a simulated day instantly.
 */
export type SandboxTimers = 'real' | 'manual';

interface ScheduledTask {
  sequence: number;
  at: number;
  key?: string | undefined;
  run: () => Promise<void>;
  timer?: ReturnType<typeof setTimeout>;
}

/** Internal event queue shared by all simulated providers. */
export interface Scheduler {
  /**
   * Runs `task` at simulated time `at` (epoch ms). Tasks sharing a `key` (a message id) run one after another in
   * time order during a flush; tasks with different keys may run concurrently.
   */
  schedule(at: number, task: () => Promise<void>, key?: string): void;
  /** Runs tasks due by `until` (default: now; `Infinity` for all), earliest first per key, and waits for them. */
  flush(until?: number): Promise<number>;
  /** Resolves when no task is pending or running (`manual` timers: when none is running). */
  idle(): Promise<void>;
  /** Number of tasks not yet run. */
  pending(): number;
  /** Drops every pending task and timer. */
  stop(): void;
}

/** Creates the scheduler used by {@link startSandbox}. */
export function createScheduler(options: { clock: Clock; timers: SandboxTimers; speed: number }): Scheduler {
  const { clock, timers, speed } = options;
  const tasks = new Map<number, ScheduledTask>();
  const running = new Set<Promise<void>>();
  let sequence = 0;
  let stopped = false;

  const execute = (task: ScheduledTask): Promise<void> => {
    tasks.delete(task.sequence);
    if (task.timer) clearTimeout(task.timer);
    const promise = task.run().catch(() => undefined);
    running.add(promise);
    void promise.finally(() => running.delete(promise));
    return promise;
  };

  return {
    schedule(at, run, key) {
      if (stopped) return;
      const task: ScheduledTask = { sequence: sequence++, at, run, key };
      tasks.set(task.sequence, task);
      if (timers === 'real') {
        const delay = Math.max(0, (at - clock.now()) / speed);
        task.timer = setTimeout(() => void execute(task), delay);
        task.timer.unref?.();
      }
    },
    async flush(until = clock.now()) {
      let count = 0;
      for (;;) {
        const due = [...tasks.values()].filter((task) => task.at <= until).sort((a, b) => a.at - b.at || a.sequence - b.sequence);
        if (due.length === 0) break;
        // Same key (same message): strictly in time order. Different keys: concurrently (webhook POSTs are limited
        // by the dispatcher). Tasks scheduled while this round runs are picked up by the next round.
        const chains = new Map<string, Promise<void>>();
        for (const task of due) {
          const key = task.key ?? `#${task.sequence}`;
          chains.set(
            key,
            (chains.get(key) ?? Promise.resolve()).then(() => (tasks.has(task.sequence) ? execute(task) : undefined)),
          );
          count++;
        }
        await Promise.all(chains.values());
      }
      await Promise.all([...running]);
      return count;
    },
    async idle() {
      if (timers === 'manual') {
        while (running.size > 0) await Promise.all([...running]);
        return;
      }
      while (tasks.size > 0 || running.size > 0) {
        if (running.size > 0) await Promise.all([...running]);
        else await new Promise((resolve) => setTimeout(resolve, 5));
        if (stopped) return;
      }
    },
    pending: () => tasks.size,
    stop() {
      stopped = true;
      for (const task of tasks.values()) if (task.timer) clearTimeout(task.timer);
      tasks.clear();
    },
  };
}
