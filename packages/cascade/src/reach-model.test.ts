import { describe, expect, it } from 'vitest';
import { estimateReach, type ReachModelSettings } from './reach-model.js';

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
