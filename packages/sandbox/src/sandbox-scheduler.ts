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
  run: () => Promise<void>;
  timer?: ReturnType<typeof setTimeout>;
}

/** Internal event queue shared by all simulated providers. */
export interface Scheduler {
  /** Runs `task` at simulated time `at` (epoch ms). */
  schedule(at: number, task: () => Promise<void>): void;
  /** Runs tasks due by `until` (default: now; `Infinity` for all), earliest first, and waits for them. */
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
    schedule(at, run) {
      if (stopped) return;
      const task: ScheduledTask = { sequence: sequence++, at, run };
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
        // Tasks at the same instant run together; later ones wait so webhooks keep their simulated order.
        const first = due[0] as ScheduledTask;
        const batch = due.filter((task) => task.at === first.at);
        count += batch.length;
        await Promise.all(batch.map(execute));
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
