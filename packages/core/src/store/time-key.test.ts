import { describe, expect, it } from 'vitest';
import { timeKey, timeKeyPrefixes } from './time-key.js';

/** Which of `times` the prefixes cover, by key as a store's prefix listing would. */
const covered = (prefixes: string[], times: number[]) =>
  times.filter((time) => prefixes.some((prefix) => `${timeKey(time)}:id`.startsWith(prefix)));

describe('timeKey', () => {
  it('zero-pads the time so keys sort as the times do', () => {
    expect(timeKey(1_772_355_600_000)).toBe('001772355600000');
    expect(timeKey(-5)).toBe('000000000000000');
    const times = [9, 10, 99_999, 1_772_355_600_000, 100_000];
    expect(times.map(timeKey).sort()).toEqual([...times].sort((a, b) => a - b).map(timeKey));
  });
});

describe('timeKeyPrefixes', () => {
  it('covers exactly the range from `from` to just before `to`', () => {
    const from = 1_234;
    const to = 56_789;
    const prefixes = timeKeyPrefixes(from, to);
    const times = [0, 1_233, 1_234, 1_235, 9_999, 10_000, 50_000, 56_788, 56_789, 56_790, 1_000_000];
    expect(covered(prefixes, times)).toEqual([1_234, 1_235, 9_999, 10_000, 50_000, 56_788]);
    // Every time in the range is covered by exactly one prefix.
    for (let time = from; time < to; time += 37)
      expect(prefixes.filter((prefix) => timeKey(time).startsWith(prefix))).toHaveLength(1);
  });

  it('needs few prefixes for bounds rounded to a power of ten', () => {
    const day = 1_772_355_600_000;
    const granule = 10_000_000;
    const from = Math.floor(day / granule) * granule;
    expect(timeKeyPrefixes(from, from + 3 * granule)).toEqual(['00177235', '00177236', '00177237']);
    // Everything before a time: one block per digit value, none finer than the rounding.
    const before = timeKeyPrefixes(0, from);
    expect(before.every((prefix) => prefix.length <= 8)).toBe(true);
    expect(before.length).toBeLessThanOrEqual(9 * 6);
    expect(covered(before, [0, 1, from - 1, from, from + 1])).toEqual([0, 1, from - 1]);
  });

  it('is empty for an empty range', () => {
    expect(timeKeyPrefixes(500, 500)).toEqual([]);
    expect(timeKeyPrefixes(600, 500)).toEqual([]);
  });
});
