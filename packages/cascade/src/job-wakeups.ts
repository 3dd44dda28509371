import type { Clock, Store } from '@omnidealer/core';

/** Options of {@link startJobWakeups}. */
export interface JobWakeupsOptions {
  store: Store;
  clock: Clock;
  /** The job kinds whose scheduling wakes this runner. */
  kinds: readonly string[];
  /** How often `run` is called regardless of wake-ups (a safety poll when the store watches jobs). */
  pollIntervalMs: number;
  /** Claims and runs the due jobs; never called twice at once (a wake-up during a run runs it again after). */
  run: () => Promise<unknown>;
}

/** A started runner loop; {@link JobWakeups.stop} ends its poll, its timer and its watch. */
export interface JobWakeups {
  stop(): void;
}

/** Wake-up times kept at most; beyond them the latest are dropped (the safety poll still finds their jobs). */
const MAX_WAKEUPS = 10_000;
/** setTimeout takes at most 2^31 − 1 ms; a later wake-up re-arms when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `run` now, every `pollIntervalMs`, and — when the store can watch jobs ({@link Store.watchJobs}) — at the run
 * time of each job of `kinds` scheduled by any process sharing the store, so a due step starts on time while the poll
 * stays slow. The earliest known run time has a timer armed; the others wait in a sorted list.
 */
export function startJobWakeups(options: JobWakeupsOptions): JobWakeups {
  const { clock, kinds } = options;
  let running = false;
  let again = false;
  let stopped = false;
  /** Known run times, earliest first, without repeats. */
  const wakeups: number[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armedFor: number | undefined;

  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void options
      .run()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          tick();
        }
      });
  };

  const fire = () => {
    timer = undefined;
    armedFor = undefined;
    const now = clock.now();
    let due = 0;
    while (due < wakeups.length && (wakeups[due] as number) <= now) due++;
    wakeups.splice(0, due);
    if (due > 0) tick();
    arm();
  };

  function arm() {
    if (stopped) return;
    const next = wakeups[0];
    if (next === undefined || (armedFor !== undefined && armedFor <= next)) return;
    if (timer) clearTimeout(timer);
    armedFor = next;
    timer = setTimeout(fire, Math.min(MAX_TIMER_MS, Math.max(0, next - clock.now())));
  }

  const add = (runAt: number, kind: string) => {
    if (stopped || !kinds.includes(kind) || !Number.isFinite(runAt)) return;
    // Binary search for the first time ≥ runAt.
    let low = 0;
    let high = wakeups.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((wakeups[middle] as number) < runAt) low = middle + 1;
      else high = middle;
    }
    if (wakeups[low] === runAt) return;
    wakeups.splice(low, 0, runAt);
    if (wakeups.length > MAX_WAKEUPS) wakeups.pop();
    arm();
  };

  const unwatch = options.store.watchJobs?.(add);
  const poll = setInterval(tick, options.pollIntervalMs);
  tick();
  return {
    stop() {
      stopped = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      timer = undefined;
      unwatch?.();
    },
  };
}
