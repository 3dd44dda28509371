import { countSegments } from '@omnidealer/channel-sms';
import { describe, expect, it } from 'vitest';
import { createSeededRandom, hashString, mulberry32, seededDigits, seededHex } from './random.js';

describe('seeded randomness', () => {
  it('gives the same sequence for the same seed and keys, and a different one otherwise', () => {
    const take = (random: ReturnType<typeof createSeededRandom>) => Array.from({ length: 5 }, () => random.next());
    expect(take(createSeededRandom(1, 'a', 'wamid.1'))).toEqual(take(createSeededRandom(1, 'a', 'wamid.1')));
    expect(take(createSeededRandom(1, 'a', 'wamid.1'))).not.toEqual(take(createSeededRandom(1, 'a', 'wamid.2')));
    expect(take(createSeededRandom(1, 'a', 'wamid.1'))).not.toEqual(take(createSeededRandom(2, 'a', 'wamid.1')));
  });

  it('is roughly uniform', () => {
    const next = mulberry32(hashString('uniform'));
    const buckets = new Array<number>(10).fill(0);
    for (let index = 0; index < 20_000; index++) buckets[Math.floor(next() * 10)]! += 1;
    for (const bucket of buckets) expect(Math.abs(bucket - 2000)).toBeLessThan(200);
    const random = createSeededRandom(3, 'chance');
    let hits = 0;
    for (let index = 0; index < 10_000; index++) if (random.chance(0.25)) hits++;
    expect(hits / 10_000).toBeCloseTo(0.25, 1);
  });

  it('keeps helpers in range', () => {
    const random = createSeededRandom(4);
    for (let index = 0; index < 1000; index++) {
      const value = random.integer(3, 5);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(5);
      const delay = random.between([100, 200]);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThan(200);
    }
    expect(() => random.pick([])).toThrow(RangeError);
    expect(seededHex(12, 1, 'x')).toMatch(/^[0-9a-f]{12}$/);
    expect(seededDigits(9, 1, 'x')).toMatch(/^[1-9]\d{8}$/);
  });
});

describe('the SMS channel segment counter the sandboxes bill by', () => {
  it.each([
    ['a'.repeat(160), 'GSM-7', 1],
    ['a'.repeat(161), 'GSM-7', 2],
    ['€'.repeat(80), 'GSM-7', 1],
    ['€'.repeat(81), 'GSM-7', 2],
    ['я'.repeat(70), 'UCS-2', 1],
    ['я'.repeat(71), 'UCS-2', 2],
    ['я'.repeat(134), 'UCS-2', 2],
    ['я'.repeat(135), 'UCS-2', 3],
  ] as const)('%#: %s', (text, encoding, segments) => {
    expect(countSegments(text)).toMatchObject({ encoding, segments });
  });
});
