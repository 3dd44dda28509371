/** Source of time. Injected everywhere so tests and simulations can move 24 hours in a microsecond. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and simulations. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Jumps to an absolute time (never backwards). */
  set(epochMs: number): void;
}

/**
 * Creates a {@link ManualClock}.
 * @example
 * const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
 * clock.advance(24 * 60 * 60 * 1000);
 */
export function createManualClock(startMs = 0): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      if (ms < 0) throw new RangeError('a clock cannot go backwards');
      current += ms;
    },
    set(epochMs) {
      if (epochMs < current) throw new RangeError('a clock cannot go backwards');
      current = epochMs;
    },
  };
}
