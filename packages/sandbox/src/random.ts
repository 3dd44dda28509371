/**
 * Seeded, order-independent randomness. Every decision the sandbox makes draws from a generator keyed by
 * `(seed, purpose, subject)` — e.g. `(42, 'whatsapp.outcome', wamid)` — so the same seed gives the same outcome for
 * the same message no matter in which order messages arrive or how many run in parallel.
 */

/** A deterministic source of numbers in `[0, 1)` plus the helpers the behaviour models need. */
export interface SeededRandom {
  /** Next number in `[0, 1)`. */
  next(): number;
  /** True with probability `probability` (clamped to `[0, 1]`). */
  chance(probability: number): boolean;
  /** Integer in `[min, max]` (both inclusive). */
  integer(min: number, max: number): number;
  /** Number in `[range[0], range[1])`, rounded down to whole milliseconds when used for delays. */
  between(range: readonly [number, number]): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/** 32-bit FNV-1a hash of a string, used to turn keys into PRNG seeds. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Returns a function yielding numbers in `[0, 1)`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Creates a {@link SeededRandom} for one subject. The same `seed` and `keys` always give the same sequence.
 * @example
 * const random = createSeededRandom(42, 'whatsapp.outcome', 'wamid.HBgL…');
 * if (random.chance(0.9)) scheduleDelivered(random.between([1000, 20000]));
 */
export function createSeededRandom(seed: number | string, ...keys: Array<string | number>): SeededRandom {
  const next = mulberry32(hashString([String(seed), ...keys.map(String)].join('\u0000')));
  // Discard the first value: mulberry32's first output correlates with close seeds.
  next();
  const random: SeededRandom = {
    next,
    chance: (probability) => next() < Math.min(1, Math.max(0, probability)),
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: ([low, high]) => low + next() * Math.max(0, high - low),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
  return random;
}

/** Deterministic lowercase hex string of `length` characters for `(seed, …keys)`. */
export function seededHex(length: number, seed: number | string, ...keys: Array<string | number>): string {
  const random = createSeededRandom(seed, 'hex', ...keys);
  let output = '';
  while (output.length < length) output += Math.floor(random.next() * 16).toString(16);
  return output;
}

/** Deterministic string of decimal digits of `length` characters (first digit never 0). */
export function seededDigits(length: number, seed: number | string, ...keys: Array<string | number>): string {
  const random = createSeededRandom(seed, 'digits', ...keys);
  let output = String(random.integer(1, 9));
  while (output.length < length) output += String(random.integer(0, 9));
  return output;
}
