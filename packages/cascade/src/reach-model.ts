import type { ReachStats } from '@omnidealer/core';
import type { FallbackTrigger } from './cascade-policy.js';

/**
 * How a step's reach probability was estimated, as `plan()` reports it: the prior (the base's aggregate on that channel,
 * or the policy's `reachPrior` while the base has too little history), the contact's own counts after decay, and the
 * blend of the two.
 */
export interface ReachBasis {
  /** `history` once the contact's own counts weigh at least as much as the prior; `prior` before. */
  source: 'prior' | 'history';
  /** The prior's probability. */
  prior: number;
  /** Where the prior came from: the base's aggregate on this channel, or the policy's `reachPrior` alone. */
  priorFrom: 'base' | 'policy';
  /** The contact's successes on this channel (read, delivered or not failed: the step's condition), after decay. */
  successes: number;
  /** The contact's messages on this channel whose outcome is known, after decay. */
  trials: number;
  /** How much the contact's counts still weigh after decay (1 = all recent, 0.5 = one half-life old). */
  decay: number;
}

/** The reach model's settings, from the policy. */
export interface ReachModelSettings {
  /** The policy's prior for this channel. */
  prior: number;
  /** How many observations the prior is worth against the contact's own counts. */
  priorWeight: number;
  /** How many observations the policy's prior is worth against the base's aggregate. */
  basePriorWeight: number;
  /** Half-life of the evidence, ms. */
  halfLifeMs: number;
}

/** The successes and trials of a record for a step's condition: read, delivered, or not failed. */
function counts(stats: ReachStats, trigger: FallbackTrigger): [successes: number, trials: number] {
  const settled = stats.delivered + stats.failed;
  // Records written before reads were counted (no `sent` either) only know deliveries.
  if (trigger === 'not_read') return [stats.read ?? (stats.sent === undefined ? stats.delivered : 0), settled];
  if (trigger === 'not_delivered') return [stats.delivered, settled];
  // `failed`: a message counts as a success unless it failed (MAX and e-mail report nothing else).
  const trials = Math.max(stats.sent ?? 0, settled);
  return [trials - stats.failed, trials];
}

/**
 * The probability that a channel meets its step's condition for this contact (beta shrinkage): the contact's own
 * successes and trials, faded by their age (`halfLifeMs` since the last outcome), against a prior worth `priorWeight`
 * observations. The prior is the base's aggregate on the channel, itself shrunk towards the policy's `reachPrior`, so
 * a base with little history starts from the policy. Pure arithmetic: a few dozen nanoseconds per channel.
 */
export function estimateReach(
  stats: ReachStats | undefined,
  totals: ReachStats | undefined,
  trigger: FallbackTrigger,
  settings: ReachModelSettings,
  now: number,
): { probability: number; basis: ReachBasis } {
  let prior = settings.prior;
  let priorFrom: ReachBasis['priorFrom'] = 'policy';
  if (totals) {
    const [successes, trials] = counts(totals, trigger);
    if (trials > 0) {
      prior = (successes + settings.prior * settings.basePriorWeight) / (trials + settings.basePriorWeight);
      priorFrom = 'base';
    }
  }
  let successes = 0;
  let trials = 0;
  let decay = 1;
  if (stats) {
    [successes, trials] = counts(stats, trigger);
    if (stats.lastAt !== undefined && settings.halfLifeMs > 0 && now > stats.lastAt)
      decay = 0.5 ** ((now - stats.lastAt) / settings.halfLifeMs);
    successes *= decay;
    trials *= decay;
  }
  const weight = settings.priorWeight;
  const probability = trials + weight === 0 ? prior : (successes + prior * weight) / (trials + weight);
  return {
    probability,
    basis: { source: trials > 0 && trials >= weight ? 'history' : 'prior', prior, priorFrom, successes, trials, decay },
  };
}
