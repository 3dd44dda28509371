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
  /**
   * Set when the base's two classes (see {@link ReachClasses}) gave the probability: the classes, and the chance this
   * contact is in the high class given their counts.
   */
  classes?: ReachClasses & { posterior: number };
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
  return [successesOf(stats, trigger), trialsOf(stats, trigger)];
}

/** The trials of a record for a step's condition (no allocation: the planner calls it per channel and plan). */
function trialsOf(stats: ReachStats, trigger: FallbackTrigger): number {
  const settled = stats.delivered + stats.failed;
  // `failed`: a message counts as a success unless it failed (MAX and e-mail report nothing else).
  return trigger === 'failed' ? Math.max(stats.sent ?? 0, settled) : settled;
}

/** The successes of a record for a step's condition: read, delivered, or not failed. */
function successesOf(stats: ReachStats, trigger: FallbackTrigger): number {
  // Records written before reads were counted (no `sent` either) only know deliveries.
  if (trigger === 'not_read') return stats.read ?? (stats.sent === undefined ? stats.delivered : 0);
  if (trigger === 'not_delivered') return stats.delivered;
  return trialsOf(stats, trigger) - stats.failed;
}

/**
 * The probability that a channel meets its step's condition for this contact (beta shrinkage): the contact's own
 * successes and trials, faded by their age (`halfLifeMs` since the last outcome), against a prior worth `priorWeight`
 * observations. The prior is the base's aggregate on the channel, itself shrunk towards the policy's `reachPrior`, so
 * a base with little history starts from the policy. With the base's {@link ReachClasses}, the contact's whole
 * counts say which class they are in (classes last; the fit uses whole counts too). Pure arithmetic with no
 * allocation besides the result: a few dozen nanoseconds per channel.
 */
export function estimateReach(
  stats: ReachStats | undefined,
  totals: ReachStats | undefined,
  trigger: FallbackTrigger,
  settings: ReachModelSettings,
  now: number,
  classes?: ReachClasses,
): { probability: number; basis: ReachBasis } {
  let prior = settings.prior;
  let priorFrom: ReachBasis['priorFrom'] = 'policy';
  if (totals) {
    const baseTrials = trialsOf(totals, trigger);
    if (baseTrials > 0) {
      prior =
        (successesOf(totals, trigger) + settings.prior * settings.basePriorWeight) / (baseTrials + settings.basePriorWeight);
      priorFrom = 'base';
    }
  }
  let wholeSuccesses = 0;
  let wholeTrials = 0;
  let decay = 1;
  if (stats) {
    wholeSuccesses = successesOf(stats, trigger);
    wholeTrials = trialsOf(stats, trigger);
    if (stats.lastAt !== undefined && settings.halfLifeMs > 0 && now > stats.lastAt)
      decay = 0.5 ** ((now - stats.lastAt) / settings.halfLifeMs);
  }
  const successes = wholeSuccesses * decay;
  const trials = wholeTrials * decay;
  const weight = settings.priorWeight;
  const source = trials > 0 && trials >= weight ? 'history' : 'prior';
  if (classes && trials > 0) {
    // Class membership from the whole counts, as the classes were fitted (see createReachPopulation): people's
    // classes last, and a dead number's failures must not fade into "maybe live" after a few months.
    const posterior = highClassPosterior(wholeSuccesses, wholeTrials, classes);
    return {
      probability: posterior * classes.high + (1 - posterior) * classes.low,
      basis: {
        source,
        prior,
        priorFrom,
        successes,
        trials,
        decay,
        classes: { share: classes.share, high: classes.high, low: classes.low, contacts: classes.contacts, posterior },
      },
    };
  }
  const probability = trials + weight === 0 ? prior : (successes + prior * weight) / (trials + weight);
  return { probability, basis: { source, prior, priorFrom, successes, trials, decay } };
}

/**
 * Two classes of contacts on a channel, fitted to the base: a share who meet the step's condition with probability
 * `high` (they read the dealer's messenger messages) and the rest with probability `low` (they never do). Real bases
 * are like that — people either read a messenger or ignore it — which one contact's few counts under a single beta
 * prior cannot express: two reads and a miss say "a reader who missed once", not "reads two times in three".
 */
export interface ReachClasses {
  /** Share of the base in the high class. */
  share: number;
  /** The high class's probability. */
  high: number;
  /** The low class's probability. */
  low: number;
  /** Contacts the classes were fitted on. */
  contacts: number;
}

/** The classes' log-likelihood ratios (low ÷ high) of a success and of a miss, computed once per classes object. */
const classLogs = new WeakMap<ReachClasses, { success: number; miss: number }>();

/** The chance a contact with `successes` of `trials` is in the high class. */
function highClassPosterior(successes: number, trials: number, classes: ReachClasses): number {
  let logs = classLogs.get(classes);
  if (!logs) {
    logs = {
      success: Math.log(classes.low) - Math.log(classes.high),
      miss: Math.log1p(-classes.low) - Math.log1p(-classes.high),
    };
    classLogs.set(classes, logs);
  }
  // Likelihood ratio low ÷ high, in logs so a long history does not underflow.
  const logRatio = successes * logs.success + (trials - successes) * logs.miss;
  return classes.share / (classes.share + (1 - classes.share) * Math.exp(logRatio));
}

/** The probability a contact with `successes` of `trials` meets the condition, and that they are in the high class. */
export function classReach(successes: number, trials: number, classes: ReachClasses): { probability: number; high: number } {
  const posterior = highClassPosterior(successes, trials, classes);
  return { probability: posterior * classes.high + (1 - posterior) * classes.low, high: posterior };
}

/**
 * Fits {@link ReachClasses} to contacts' (successes, trials) by expectation–maximisation of a two-class binomial
 * mixture, from a few starting points (EM stops at the nearest optimum), keeping the likeliest. `undefined` while the
 * data cannot tell two classes apart: too few contacts, too few with several trials (one or two trials each cannot
 * separate "half read" from "half the people read"), or classes closer than 0.15.
 */
export function fitReachClasses(
  successes: ArrayLike<number>,
  trials: ArrayLike<number>,
  count: number,
): ReachClasses | undefined {
  let repeated = 0;
  let totalSuccesses = 0;
  let totalTrials = 0;
  for (let index = 0; index < count; index++) {
    totalSuccesses += successes[index] as number;
    totalTrials += trials[index] as number;
    if ((trials[index] as number) > 2.5) repeated++;
  }
  if (count < 50 || repeated < 30 || totalTrials === 0) return undefined;
  const mean = totalSuccesses / totalTrials;
  let best: { share: number; high: number; low: number; logLikelihood: number } | undefined;
  for (const [high, low] of [
    [Math.max(mean, 0.95), Math.min(mean, 0.05)],
    [(1 + mean) / 2, mean / 2],
    [Math.max(mean, 0.8), Math.min(mean, 0.3)],
  ] as const) {
    const fitted = expectationMaximisation(successes, trials, count, 0.5, high, low);
    if (!best || fitted.logLikelihood > best.logLikelihood) best = fitted;
  }
  if (!best || best.high - best.low < 0.15) return undefined;
  return { share: best.share, high: best.high, low: best.low, contacts: count };
}

function expectationMaximisation(
  successes: ArrayLike<number>,
  trials: ArrayLike<number>,
  count: number,
  startShare: number,
  startHigh: number,
  startLow: number,
): { share: number; high: number; low: number; logLikelihood: number } {
  const clamp = (value: number) => Math.min(0.999, Math.max(0.001, value));
  let share = startShare;
  let high = clamp(startHigh);
  let low = clamp(startLow);
  let logLikelihood = Number.NEGATIVE_INFINITY;
  for (let iteration = 0; iteration < 50; iteration++) {
    let weight = 0;
    let highSuccesses = 0;
    let highTrials = 0;
    let lowSuccesses = 0;
    let lowTrials = 0;
    let total = 0;
    const logHigh = Math.log(high);
    const logHighMiss = Math.log1p(-high);
    const logLow = Math.log(low);
    const logLowMiss = Math.log1p(-low);
    for (let index = 0; index < count; index++) {
      const s = successes[index] as number;
      const n = trials[index] as number;
      const logHighLikelihood = s * logHigh + (n - s) * logHighMiss;
      const ratio = Math.exp(s * logLow + (n - s) * logLowMiss - logHighLikelihood);
      const posterior = share / (share + (1 - share) * ratio);
      total += logHighLikelihood + Math.log(share + (1 - share) * ratio);
      weight += posterior;
      highSuccesses += posterior * s;
      highTrials += posterior * n;
      lowSuccesses += (1 - posterior) * s;
      lowTrials += (1 - posterior) * n;
    }
    const converged = total - logLikelihood < 1e-6 * count;
    logLikelihood = total;
    if (converged) break;
    share = Math.min(0.999, Math.max(0.001, weight / count));
    high = clamp(highTrials > 0 ? highSuccesses / highTrials : high);
    low = clamp(lowTrials > 0 ? lowSuccesses / lowTrials : low);
  }
  return high >= low ? { share, high, low, logLikelihood } : { share: 1 - share, high: low, low: high, logLikelihood };
}

/** A contact the channel can never reach (not on it, bounced, blocked): no evidence about who reads. */
const permanentFailures = new Set(['not_on_channel', 'bounced', 'opted_out', 'blocked', 'invalid_address']);

/**
 * The base as the cascade has seen it: each contact's latest decayed counts per channel (at most `maxContacts` per
 * channel, the oldest forgotten first), and the {@link ReachClasses} fitted to them, refitted after every
 * `refitEvery` new observations. State of one cascade instance (each worker fits its own from what it plans).
 */
export interface ReachPopulation {
  /** Records a contact's counts on a channel, as the planner will read them. */
  observe(channelId: string, contactId: string, stats: ReachStats | undefined): void;
  /** The classes fitted for a channel, or `undefined` while the data cannot separate two. */
  classes(channelId: string): ReachClasses | undefined;
}

/** Creates a {@link ReachPopulation}: `triggerOf` gives the step condition counted per channel. */
export function createReachPopulation(options: {
  triggerOf: (channelId: string) => FallbackTrigger;
  maxContacts?: number;
  refitEvery?: number;
}): ReachPopulation {
  const maxContacts = options.maxContacts ?? 20_000;
  const refitEvery = options.refitEvery ?? 2_000;
  const byChannel = new Map<
    string,
    { counts: Map<string, [number, number]>; fresh: number; classes: ReachClasses | undefined }
  >();
  return {
    observe(channelId, contactId, stats) {
      if (!stats) return;
      // Whole counts, not decayed ones: decay tempers one contact's evidence, but a mixture fitted to tempered counts
      // prefers a single class (the share's weight is not tempered), and people's classes last.
      const [successes, trials] = counts(stats, options.triggerOf(channelId));
      if (trials <= 0 || (stats.lastFailure !== undefined && permanentFailures.has(stats.lastFailure))) return;
      let entry = byChannel.get(channelId);
      if (!entry) byChannel.set(channelId, (entry = { counts: new Map(), fresh: 0, classes: undefined }));
      entry.counts.delete(contactId);
      entry.counts.set(contactId, [successes, trials]);
      if (entry.counts.size > maxContacts) entry.counts.delete(entry.counts.keys().next().value as string);
      entry.fresh++;
    },
    classes(channelId) {
      const entry = byChannel.get(channelId);
      if (!entry) return undefined;
      if (entry.fresh >= refitEvery || (entry.classes === undefined && entry.fresh >= 100)) {
        const size = entry.counts.size;
        const successes = new Float64Array(size);
        const trials = new Float64Array(size);
        let index = 0;
        for (const [s, n] of entry.counts.values()) {
          successes[index] = s;
          trials[index] = n;
          index++;
        }
        entry.classes = fitReachClasses(successes, trials, size);
        entry.fresh = 0;
      }
      return entry.classes;
    },
  };
}
