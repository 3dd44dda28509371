import { describe, expect, it } from 'vitest';
import { contactTakeRate, decideInvite, type InviteSettings, learnedTakeRate } from './acquisition.js';

const settings: InviteSettings = {
  horizon: 12,
  takeRate: 0.05,
  takeRateWeight: 200,
  ignoredInvitesToHalve: 2,
  maxInvitesPerContact: undefined,
  paybackMultiple: 1,
};

describe('learnedTakeRate', () => {
  it('starts at the policy take rate and moves to the base links ÷ settled invites as they accumulate', () => {
    expect(learnedTakeRate(undefined, 0.05, 200)).toBe(0.05);
    // Unsettled invites (this month's, not answered yet) do not dilute it.
    expect(learnedTakeRate({ invites: 4000, settled: 0, links: 0 }, 0.05, 200)).toBe(0.05);
    expect(learnedTakeRate({ invites: 5000, settled: 4000, links: 160 }, 0.05, 200)).toBeCloseTo((160 + 10) / 4200, 12);
    expect(learnedTakeRate({ invites: 1e6, settled: 1e6, links: 20_000 }, 0.05, 200)).toBeCloseTo(0.02, 3);
  });
});

describe('contactTakeRate', () => {
  it('halves after ignoredInvitesToHalve ignored invites and keeps falling', () => {
    expect(contactTakeRate(0.04, 0, 2)).toBe(0.04);
    expect(contactTakeRate(0.04, 2, 2)).toBeCloseTo(0.02, 12);
    expect(contactTakeRate(0.04, 4, 2)).toBeCloseTo(0.04 / 3, 12);
    expect(contactTakeRate(0.04, 1, 0)).toBe(0);
  });
});

describe('decideInvite', () => {
  const facts = { extraCostMinor: 300, priceMinor: 1500, totals: undefined, ignoredInvites: 0, earlierMailings: 0 };

  it('pays an extra segment when take rate × mailings left × the SMS price covers it', () => {
    const decision = decideInvite(facts, settings);
    expect(decision).toMatchObject({ invite: true, reason: 'pays_back', remainingMailings: 11 });
    expect(decision.expectedSavingsMinor).toBeCloseTo(0.05 * 11 * 1500, 9);
  });

  it('invites early: the same contact later in the horizon no longer pays back', () => {
    // 0.05 × 3 × 1500 = 225 < 300.
    expect(decideInvite({ ...facts, earlierMailings: 8 }, settings)).toMatchObject({
      invite: false,
      reason: 'does_not_pay_back',
      remainingMailings: 3,
    });
    expect(decideInvite({ ...facts, earlierMailings: 20 }, settings).remainingMailings).toBe(0);
  });

  it('invites less a contact who ignored invites, and less when the base learned a low take rate', () => {
    // 0.05 × 2/(2+4) × 11 × 1500 = 275 < 300.
    expect(decideInvite({ ...facts, ignoredInvites: 4 }, settings).invite).toBe(false);
    // 0.01 × 11 × 1500 = 165 < 300.
    expect(decideInvite({ ...facts, totals: { invites: 1e5, settled: 1e5, links: 1000 } }, settings).invite).toBe(false);
  });

  it('always adds a free link (it fits in the last segment), even past the cap or the horizon', () => {
    const free = { ...facts, extraCostMinor: 0, ignoredInvites: 9, earlierMailings: 30 };
    expect(decideInvite(free, { ...settings, maxInvitesPerContact: 2 })).toMatchObject({ invite: true, reason: 'free' });
  });

  it('demands a margin over break-even with paybackMultiple', () => {
    // 0.05 × 5 × 1500 = 375: covers 300 once, not 1.5 times.
    expect(decideInvite({ ...facts, earlierMailings: 6 }, settings).invite).toBe(true);
    expect(decideInvite({ ...facts, earlierMailings: 6 }, { ...settings, paybackMultiple: 1.5 }).invite).toBe(false);
  });

  it('keeps the hard cap as an option on top of the payback rule', () => {
    expect(decideInvite({ ...facts, ignoredInvites: 1 }, settings).invite).toBe(true);
    expect(decideInvite({ ...facts, ignoredInvites: 1 }, { ...settings, maxInvitesPerContact: 1 })).toMatchObject({
      invite: false,
      reason: 'cap',
    });
  });
});
