/**
 * Channel acquisition as an investment: whether an invite link to a free channel (a MAX bot) is worth adding to an
 * SMS the cascade sends anyway. Pure arithmetic; the cascade (`run/invite.ts`) gathers the counts from the store.
 */

/** The base's invites and the links they made on one invited channel, as the cascade counts them in the store. */
export interface AcquisitionTotals {
  /** SMS steps that carried an invite link to the channel. */
  invites: number;
  /**
   * Invites whose outcome is known: the contact was planned again at least a week after the invite (linked or not).
   * The take rate counts only these, so this month's invites, not answered yet, do not dilute it.
   */
  settled: number;
  /** Settled invites after which the contact was reachable on the channel. */
  links: number;
}

/** The acquisition settings the decision needs (from the policy's `acquisition`, defaults applied). */
export interface InviteSettings {
  /** Mailings a link's savings are counted over, from the contact's first mailing. */
  horizon: number;
  /** The policy's take rate: the prior of the learned one. */
  takeRate: number;
  /** How many invites the prior `takeRate` is worth against the base's own invites and links. */
  takeRateWeight: number;
  /** Ignored invites after which a contact is half as likely to link as the base's take rate. */
  ignoredInvitesToHalve: number;
  /** A hard cap on invites per contact, on top of the payback rule; `undefined`: the payback rule alone. */
  maxInvitesPerContact: number | undefined;
  /** How many times its extra cost an invite's expected savings must be (1: break-even). */
  paybackMultiple: number;
}

/** What the cascade knows when it decides on one invite. */
export interface InviteFacts {
  /** What the link adds to the SMS, minor units: 0 when it fits in the last segment's spare room. */
  extraCostMinor: number;
  /** The SMS's price without the link: what a linked contact no longer costs per mailing. */
  priceMinor: number;
  /** The base's invites and links so far (undefined: none yet). */
  totals: AcquisitionTotals | undefined;
  /** Invites this contact got before and did not take. */
  ignoredInvites: number;
  /** Mailings this contact got before this one (the hub's mailing history). */
  earlierMailings: number;
}

/** Why an invite was or was not added. */
export type InviteReason =
  /** The link fits in the SMS's last segment: it costs nothing, so it always goes. */
  | 'free'
  /** The expected savings over the rest of the horizon cover the extra segment. */
  | 'pays_back'
  /** They do not. */
  | 'does_not_pay_back'
  /** The contact already got `maxInvitesPerContact` invites. */
  | 'cap';

/** The decision on one invite and the figures behind it (all costs in minor units). */
export interface InviteDecision {
  invite: boolean;
  reason: InviteReason;
  /** The base's take rate: links ÷ invites so far, shrunk towards the policy's `takeRate`. */
  learnedTakeRate: number;
  /** This contact's chance to link on this invite, after the invites they ignored. */
  contactTakeRate: number;
  /** Mailings left in the horizon after this one, over which a link saves the SMS's price. */
  remainingMailings: number;
  /** contactTakeRate × remainingMailings × priceMinor. */
  expectedSavingsMinor: number;
}

/**
 * The base's take rate (beta shrinkage): `(links + takeRate × takeRateWeight) ÷ (settled + takeRateWeight)`, so the
 * first campaign runs on the policy's figure and the store's own settled invites take over as they accumulate.
 * @example
 * learnedTakeRate({ invites: 5000, settled: 4000, links: 160 }, 0.05, 200); // (160 + 10) ÷ 4200 ≈ 0.040
 */
export function learnedTakeRate(totals: AcquisitionTotals | undefined, takeRate: number, weight: number): number {
  const invites = totals?.settled ?? 0;
  const links = Math.min(invites, totals?.links ?? 0);
  return invites + weight === 0 ? takeRate : (links + takeRate * weight) / (invites + weight);
}

/**
 * One contact's chance to link on their next invite after `ignored` invites they did not take: the base's rate under a
 * beta prior worth `ignoredInvitesToHalve` invites, `rate × n ÷ (n + ignored)` — half the base's after `n` ignored
 * invites, a third after `2n`. Someone who ignored two invites is likelier than a stranger not to be on the messenger.
 */
export function contactTakeRate(rate: number, ignored: number, ignoredInvitesToHalve: number): number {
  if (ignored <= 0) return rate;
  return ignoredInvitesToHalve <= 0 ? 0 : (rate * ignoredInvitesToHalve) / (ignoredInvitesToHalve + ignored);
}

/**
 * Decides whether to add an invite link to an SMS, as an investor would: a free link (it fits in the last segment)
 * always goes; a paid one when this contact's take rate × the mailings left in the horizon × the SMS's price (what a
 * linked contact no longer costs) covers the extra segment `paybackMultiple` times (a margin over break-even). The horizon counts from the contact's first mailing, so
 * the earliest mailings carry the longest payback and invites concentrate there.
 * @example
 * const facts = { extraCostMinor: 300, priceMinor: 1500, totals: undefined, ignoredInvites: 0, earlierMailings: 0 };
 * decideInvite(facts, settings);
 * // { invite: true, reason: 'pays_back', expectedSavingsMinor: 0.05 × 11 × 1500 = 825, … } (825 ≥ 1.5 × 300)
 */
export function decideInvite(facts: InviteFacts, settings: InviteSettings): InviteDecision {
  const rate = learnedTakeRate(facts.totals, settings.takeRate, settings.takeRateWeight);
  const contactRate = contactTakeRate(rate, facts.ignoredInvites, settings.ignoredInvitesToHalve);
  const remainingMailings = Math.max(0, settings.horizon - facts.earlierMailings - 1);
  const expectedSavingsMinor = contactRate * remainingMailings * facts.priceMinor;
  const figures = { learnedTakeRate: rate, contactTakeRate: contactRate, remainingMailings, expectedSavingsMinor };
  if (facts.extraCostMinor <= 0) return { invite: true, reason: 'free', ...figures };
  if (settings.maxInvitesPerContact !== undefined && facts.ignoredInvites >= settings.maxInvitesPerContact)
    return { invite: false, reason: 'cap', ...figures };
  const pays = expectedSavingsMinor >= settings.paybackMultiple * facts.extraCostMinor;
  return { invite: pays, reason: pays ? 'pays_back' : 'does_not_pay_back', ...figures };
}
