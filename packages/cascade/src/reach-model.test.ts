import { describe, expect, it } from 'vitest';
import { classReach, createReachPopulation, estimateReach, fitReachClasses, type ReachModelSettings } from './reach-model.js';

const now = Date.parse('2026-03-02T07:00:00Z');
const dayMs = 86_400_000;
const settings: ReachModelSettings = { prior: 0.9, priorWeight: 0.5, basePriorWeight: 20, halfLifeMs: 180 * dayMs };

describe('estimateReach: a contact’s history shrunk towards the base', () => {
  it('without totals or history: the policy prior', () => {
    const { probability, basis } = estimateReach(undefined, undefined, 'not_read', settings, now);
    expect(probability).toBe(0.9);
    expect(basis).toEqual({ source: 'prior', prior: 0.9, priorFrom: 'policy', successes: 0, trials: 0, decay: 1 });
  });

  it('the base’s aggregate becomes the prior, itself shrunk towards the policy prior by basePriorWeight', () => {
    const totals = { sent: 1000, delivered: 970, failed: 10, read: 580 };
    const { probability, basis } = estimateReach(undefined, totals, 'not_read', settings, now);
    // (580 + 0.9 × 20) / (980 + 20)
    expect(probability).toBeCloseTo(0.598, 3);
    expect(basis.priorFrom).toBe('base');
  });

  it('waits for a read where the step waits for one, a delivery where it waits for one, and counts non-failures otherwise', () => {
    const stats = { sent: 4, delivered: 4, failed: 0, read: 0, lastAt: now };
    const none = { prior: 0.5, priorWeight: 0, basePriorWeight: 0, halfLifeMs: 0 };
    expect(estimateReach(stats, undefined, 'not_read', none, now).probability).toBe(0);
    expect(estimateReach(stats, undefined, 'not_delivered', none, now).probability).toBe(1);
    expect(estimateReach({ sent: 4, delivered: 0, failed: 1 }, undefined, 'failed', none, now).probability).toBe(0.75);
    // A record from before reads were counted (no `sent`, no `read`) only knows deliveries.
    expect(estimateReach({ delivered: 2, failed: 0 }, undefined, 'not_read', none, now).probability).toBe(1);
  });

  it('one read does not flip a contact all the way; three do, and the basis says history', () => {
    const totals = { sent: 1000, delivered: 980, failed: 0, read: 600 };
    const once = estimateReach({ sent: 1, delivered: 1, failed: 0, read: 1, lastAt: now }, totals, 'not_read', settings, now);
    expect(once.probability).toBeGreaterThan(0.8);
    expect(once.probability).toBeLessThan(1);
    const thrice = estimateReach({ sent: 3, delivered: 3, failed: 0, read: 3, lastAt: now }, totals, 'not_read', settings, now);
    expect(thrice.probability).toBeGreaterThan(once.probability);
    expect(thrice.basis).toMatchObject({ source: 'history', successes: 3, trials: 3, decay: 1 });
    const never = estimateReach({ sent: 1, delivered: 1, failed: 0, read: 0, lastAt: now }, totals, 'not_read', settings, now);
    expect(never.probability).toBeLessThan(0.3);
  });

  it('old evidence fades: one half-life later it counts half', () => {
    const stats = { sent: 4, delivered: 4, failed: 0, read: 0, lastAt: now - 180 * dayMs };
    const { basis, probability } = estimateReach(stats, undefined, 'not_read', settings, now);
    expect(basis.decay).toBeCloseTo(0.5, 10);
    expect(basis.trials).toBeCloseTo(2, 10);
    // (0 + 0.9 × 0.5) / (2 + 0.5)
    expect(probability).toBeCloseTo(0.18, 10);
  });
});

/** A seeded base: `share` read with probability `high`, the rest with `low`; `trials` messages each. */
function base(size: number, share: number, high: number, low: number, trials: number) {
  let state = 7;
  const next = () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
  const successes = new Float64Array(size);
  const counts = new Float64Array(size).fill(trials);
  for (let index = 0; index < size; index++) {
    const rate = next() < share ? high : low;
    for (let trial = 0; trial < trials; trial++) if (next() < rate) successes[index] = (successes[index] as number) + 1;
  }
  return { successes, counts };
}

describe('reach classes: readers and non-readers fitted to the base', () => {
  it('finds the two classes of a base where 70 % read 90 % of messages and the rest 3 %', () => {
    const { successes, counts } = base(2000, 0.7, 0.9, 0.03, 4);
    const classes = fitReachClasses(successes, counts, 2000);
    expect(classes?.share).toBeCloseTo(0.7, 1);
    expect(classes?.high).toBeCloseTo(0.9, 1);
    expect(classes?.low).toBeCloseTo(0.03, 1);
  });

  it('finds none where everyone reads alike, or where one trial each cannot tell', () => {
    const alike = base(2000, 1, 0.6, 0.6, 4);
    expect(fitReachClasses(alike.successes, alike.counts, 2000)).toBeUndefined();
    const once = base(2000, 0.7, 0.9, 0.03, 1);
    expect(fitReachClasses(once.successes, once.counts, 2000)).toBeUndefined();
  });

  it('a reader who missed once stays a reader; one miss and nothing else says non-reader', () => {
    const classes = { share: 0.7, high: 0.9, low: 0.03, contacts: 2000 };
    const missedOnce = classReach(2, 3, classes);
    expect(missedOnce.high).toBeGreaterThan(0.95);
    expect(missedOnce.probability).toBeGreaterThan(0.85);
    // Under a single beta prior (the base's 0.61) worth half an observation the same counts say ≈ 0.66.
    const totals = { sent: 1000, delivered: 980, failed: 0, read: 600 };
    const beta = estimateReach({ sent: 3, delivered: 3, failed: 0, read: 2, lastAt: now }, totals, 'not_read', settings, now);
    expect(beta.probability).toBeLessThan(0.7);
    expect(classReach(0, 1, classes).probability).toBeLessThan(0.25);
    // Five reads in a row do not make a reader surer than readers are.
    expect(classReach(5, 5, classes).probability).toBeLessThanOrEqual(0.9);
  });

  it('estimateReach uses the classes once the contact has history, and says so in the basis', () => {
    const classes = { share: 0.7, high: 0.9, low: 0.03, contacts: 2000 };
    const stats = { sent: 3, delivered: 3, failed: 0, read: 2, lastAt: now };
    const { probability, basis } = estimateReach(stats, undefined, 'not_read', settings, now, classes);
    expect(probability).toBeCloseTo(classReach(2, 3, classes).probability, 10);
    expect(basis.classes).toMatchObject({ share: 0.7, high: 0.9, low: 0.03 });
    expect(basis.classes?.posterior).toBeGreaterThan(0.95);
    // No history: the prior, as without classes.
    expect(estimateReach(undefined, undefined, 'not_read', settings, now, classes).probability).toBe(0.9);
  });

  it('class membership comes from the whole counts: a dead number does not fade back into a live one', () => {
    const classes = { share: 0.98, high: 0.99, low: 0.001, contacts: 5000 };
    const year = 365 * dayMs;
    const old = estimateReach(
      { sent: 2, delivered: 0, failed: 2, lastAt: now - year },
      undefined,
      'not_delivered',
      settings,
      now,
      classes,
    );
    expect(old.probability).toBeLessThan(0.05);
    // The basis still reports the decayed counts the beta part would use.
    expect(old.basis.trials).toBeCloseTo(2 * 0.5 ** (365 / 180), 10);
  });

  it('a population fits the classes from the contacts it has seen, leaving out those the channel cannot reach', () => {
    const population = createReachPopulation({ triggerOf: () => 'not_read', refitEvery: 100 });
    const { successes, counts } = base(600, 0.7, 0.9, 0.03, 4);
    for (let index = 0; index < 600; index++) {
      const read = successes[index] as number;
      population.observe('whatsapp', `c${index}`, { sent: 4, delivered: counts[index] as number, failed: 0, read });
    }
    population.observe('whatsapp', 'gone', { sent: 1, delivered: 0, failed: 1, lastFailure: 'not_on_channel' });
    const classes = population.classes('whatsapp');
    expect(classes?.contacts).toBe(600);
    expect(classes?.high).toBeCloseTo(0.9, 1);
    expect(population.classes('sms')).toBeUndefined();
  });
});
