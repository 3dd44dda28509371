import type { Clock } from '@omnidealer/core';

/** A {@link Clock} that runs `speed` times faster than the wall clock. */
export interface AcceleratedClock extends Clock {
  /** How many simulated milliseconds pass per real millisecond. */
  readonly speed: number;
}

/**
 * Creates a clock that runs `speed` times faster than real time, starting at `startMs`. Give the same clock to the
 * sandbox (with `timers: 'real'`) and to the hub or cascade, and a "read within 24 h" deadline passes in 24 real
 * seconds at `speed: 3600` — the way `pnpm demo` compresses a campaign into a minute.
 * @example
 * const clock = createAcceleratedClock({ speed: 3600 });
 * const sandbox = await startSandbox({ seed: 1, clock, behaviour: {} });
 */
export function createAcceleratedClock(options: { speed: number; startMs?: number; now?: () => number }): AcceleratedClock {
  if (!(options.speed > 0)) throw new RangeError('speed must be a positive number');
  const realNow = options.now ?? Date.now;
  const realStart = realNow();
  const simulatedStart = options.startMs ?? realStart;
  return {
    speed: options.speed,
    now: () => simulatedStart + Math.floor((realNow() - realStart) * options.speed),
  };
}
