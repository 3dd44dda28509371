import type { Branch, Channel, Contact, Conversation, CostEstimate, MessageContent, ReachStats } from '@omnidealer/core';
import type { ReachFailureReason } from '@omnidealer/core/provider-utils';
import {
  type CascadeContent,
  type NormalizedContent,
  normalizeContent,
  renderCacheOf,
  renderForChannel,
} from './cascade-content.js';
import { type CascadePolicy, type FallbackCondition, type ResolvedPolicy, resolvePolicy } from './cascade-policy.js';
import { branchOfChannel, endOfQuietHours, isQuietMinute, localMinuteOfDay, quietHoursTimeZone } from './quiet-hours.js';
import { estimateReach, type ReachBasis, type ReachClasses, type ReachModelSettings } from './reach-model.js';

/** Why a channel was left out of a plan. */
export type ExclusionReason =
  /** The contact has no address on the channel (no phone, no e-mail). */
  | 'no_identity'
  /** The address is not valid for the channel. */
  | 'invalid_address'
  /** The cascade kind requires consent the contact has not granted on this channel. */
  | 'no_consent'
  /** The contact opted out of this channel. */
  | 'opted_out'
  /** WhatsApp free-form content outside the 24 h window, and no template was given. */
  | 'window_closed'
  /** A reply-only channel (Avito) without an existing chat with this contact. */
  | 'no_chat'
  /** An earlier send found the contact is not on the channel (not on WhatsApp). */
  | 'not_on_channel'
  /** An earlier send bounced (e-mail) or the provider reported the address dead. */
  | 'bounced'
  /** The contact blocked the business on this channel. */
  | 'blocked'
  /** Quiet hours in the contact's time zone, with the policy's quiet-hours mode `exclude`. */
  | 'quiet_hours'
  /** The contact already got as many cascades of this kind (or this campaign) as the cap allows. */
  | 'frequency_cap'
  /** A per-channel content map has nothing for this channel. */
  | 'no_content'
  /** The channel cannot carry the content (type, length, template parameters). */
  | 'unsupported_content'
  /** The step costs more than what is left of the message or campaign budget. */
  | 'over_budget'
  /** The channel is bound to another branch than the contact's (policy `branchScope: 'branch'`). */
  | 'other_branch'
  /** The channel was already tried in this cascade. */
  | 'attempted'
  /** More candidates than the policy's `maxSteps`. */
  | 'max_steps'
  /** The contact's own history says the channel rarely reaches them (below the policy's `skipBelowReach`). */
  | 'unlikely_to_reach';

/** A channel left out of a plan, with the reason and a human-readable detail. */
export interface ExcludedChannel {
  channelId: string;
  reason: ExclusionReason;
  detail: string;
}

/** One candidate step of a plan. */
export interface PlannedStep {
  channelId: string;
  channelKind: string;
  /** The content this channel sends (rendered from the cascade content). */
  content: MessageContent;
  /** The channel's exact price for this content and contact (`estimateCost`). */
  estimatedCost: CostEstimate;
  /**
   * Probability this step meets its condition for this contact (read where the fallback waits for a read, delivered
   * where it waits for a delivery, not failed otherwise): the contact's own history shrunk towards the base's
   * aggregate, see {@link ReachBasis}.
   */
  reachProbability: number;
  /** Why: the prior, the contact's counts after decay, and which of the two dominates. */
  reachBasis: ReachBasis;
  /**
   * Expected cost to reach, in minor units: what the step is expected to bill (the price, times the chance of a
   * delivery for a channel billed on delivery) ÷ reach probability; the price when weighting is off.
   */
  expectedCost: number;
  /** When the cascade moves on from this step. */
  fallback: FallbackCondition;
  /** Set when quiet hours defer the step: the earliest instant it may start. */
  notBefore?: number;
}

/** The ordered candidate steps and the channels left out, each with its reason. */
export interface CascadePlan {
  steps: PlannedStep[];
  excluded: ExcludedChannel[];
  /** When it was planned. */
  at: number;
}

/** One earlier cascade to a contact, as kept for frequency caps. */
export interface DeliveryRecord {
  at: number;
  kind: string;
  campaign?: string | undefined;
}

/** Facts the planner needs besides the contact and content: all gathered by the cascade from the store. */
export interface PlanFacts {
  /** Per channel id: the hub's reach statistics for this contact (`hub.reachStats`). */
  reach?: Readonly<Record<string, ReachStats | undefined>>;
  /** Per channel id: the same counts over the whole base (`hub.reachTotals`), the prior of the reach model. */
  reachTotals?: Readonly<Record<string, ReachStats | undefined>>;
  /**
   * Per channel id: the base's two classes on the channel (readers and non-readers), fitted by the cascade from the
   * contacts it planned; a contact's counts then say which class they are in. Without them: beta shrinkage only.
   */
  reachClasses?: Readonly<Record<string, ReachClasses | undefined>>;
  /** Per channel id: the existing conversation, for window rules (`lastInboundAt`) and Avito chats. */
  conversations?: Readonly<Record<string, Conversation | undefined>>;
  /** Earlier cascades to this contact, for frequency caps. */
  history?: readonly DeliveryRecord[];
  /** Channel ids already tried in this cascade. */
  attempted?: readonly string[];
  /** What is left to spend on this message, in minor units. */
  budgetMinor?: number | undefined;
  /** How many steps may still be planned. @default the policy's `maxSteps` */
  remainingSteps?: number;
}

/** Options of {@link plan}. */
export interface PlanOptions extends PlanFacts {
  /** Candidate channels, in the hub's order (the last tie-breaker). */
  channels: readonly Channel[];
  policy?: CascadePolicy | undefined;
  /** The instant to plan for (from the injected clock). */
  now: number;
  /** Cascade kind, for frequency caps and consent rules. @default 'transactional' */
  kind?: string | undefined;
  /** Campaign (mailing) id: a contact never gets the same campaign twice. */
  campaign?: string | undefined;
  /**
   * The dealer group's branches (`hub.branches`): with the policy's `branchScope: 'branch'` a channel of another
   * branch is left out (`other_branch`); quiet hours fall back to the branch's time zone.
   */
  branches?: ReadonlyMap<string, Branch> | undefined;
  /** The branch whose channels to use (with the group's). @default the contact's `branchId` */
  branchId?: string | undefined;
}

const permanentFailures = new Set(['not_on_channel', 'bounced', 'opted_out', 'blocked', 'invalid_address']);

function lookup<T>(map: Readonly<Record<string, T>>, channel: Channel): T | undefined {
  return map[channel.id] ?? map[channel.kind];
}

function exclude(list: ExcludedChannel[], channel: Channel, reason: ExclusionReason, detail: string): void {
  list.push({ channelId: channel.id, reason, detail });
}

function mapReachFailure(channel: Channel, reason: ReachFailureReason): ExclusionReason {
  switch (reason) {
    case 'window_closed':
    case 'template_required':
      return 'window_closed';
    case 'unsupported_content':
      return 'unsupported_content';
    case 'no_identity':
    case 'cannot_start_conversation':
      return channel.capabilities.address === 'chat' || !channel.capabilities.canStartConversation ? 'no_chat' : 'no_identity';
    case 'not_on_channel':
    case 'bounced':
    case 'opted_out':
    case 'no_consent':
    case 'blocked':
    case 'invalid_address':
      return reason;
  }
}

/** What the policy says about one channel, worked out once per policy and channel instead of once per plan. */
interface ChannelRules {
  kind: string;
  fallback: FallbackCondition;
  reach: ReachModelSettings;
  preference: number;
  quietExempt: boolean;
}

/** Sort keys of the candidates being planned: `plan` is synchronous, so one pair of arrays serves every call. */
const sortKeys = { orders: new Int32Array(16), preferences: new Int32Array(16) };

// By channel id (checked against the kind): channel objects may be rebuilt per call, their ids are the hub's.
const rulesByPolicy = new WeakMap<ResolvedPolicy, Map<string, ChannelRules>>();

function channelRules(policy: ResolvedPolicy, channel: Channel): ChannelRules {
  let byChannel = rulesByPolicy.get(policy);
  if (!byChannel) rulesByPolicy.set(policy, (byChannel = new Map()));
  let rules = byChannel.get(channel.id);
  if (rules?.kind !== channel.kind) {
    const fallback = lookup(policy.fallback, channel) ?? policy.defaultFallback;
    rules = {
      kind: channel.kind,
      fallback,
      reach: {
        // Before any history: a delivery (or no failure) is likelier than a read.
        prior: lookup(policy.reachPrior, channel) ?? (fallback.after === 'not_read' ? 0.9 : 0.95),
        priorWeight: policy.reachPriorWeight,
        basePriorWeight: policy.basePriorWeight,
        halfLifeMs: policy.reachHalfLifeMs,
      },
      preference: preferenceIndex(policy, channel),
      quietExempt:
        policy.quietHours !== undefined &&
        (policy.quietHours.exempt.includes(channel.id) || policy.quietHours.exempt.includes(channel.kind)),
    };
    byChannel.set(channel.id, rules);
  }
  return rules;
}

function preferenceIndex(policy: ResolvedPolicy, channel: Channel): number {
  const byId = policy.preference.indexOf(channel.id);
  if (byId >= 0) return byId;
  const byKind = policy.preference.indexOf(channel.kind);
  return byKind >= 0 ? byKind : policy.preference.length;
}

/**
 * Plans a cascade: which channels can reach this contact with this content now, what each costs exactly, and in
 * which order to try them. Pure and synchronous: everything it needs comes in `options` (the cascade gathers
 * reach statistics, conversations and history from the store), so it plans hundreds of thousands of messages a
 * second and can be tested table by table.
 *
 * Order: by expected cost to reach (price ÷ reach probability for this contact), ties by the policy's
 * `preference`, then by the order of `channels`. With `ordering: 'preference'` the price is ignored.
 * @example
 * const { steps, excluded } = plan(contact, 'Иван, ваш автомобиль готов', { channels, now: clock.now() });
 * // steps[0].channelId === 'email' when the address is known; excluded: [{ channelId: 'avito', reason: 'no_chat', … }]
 * @throws ValidationError when the content or policy is malformed.
 */
export function plan(contact: Contact, content: CascadeContent | NormalizedContent, options: PlanOptions): CascadePlan {
  const policy = resolvePolicy(options.policy);
  const normalized = normalizeContent(content);
  const now = options.now;
  const kind = options.kind ?? 'transactional';
  const excluded: ExcludedChannel[] = [];
  // The steps as they are found, with their sort keys beside them in scratch arrays (no second object per step).
  const candidates: PlannedStep[] = [];
  if (sortKeys.orders.length < options.channels.length) {
    sortKeys.orders = new Int32Array(options.channels.length * 2);
    sortKeys.preferences = new Int32Array(options.channels.length * 2);
  }
  const { orders, preferences } = sortKeys;
  const renderings = renderCacheOf(normalized);

  const capped = frequencyCapped(policy, kind, options.campaign, options.history, now);
  const consentRule = policy.consent[kind] ?? 'not_opted_out';
  const quiet = policy.quietHours;
  let localMinute = -1;
  let localMinuteZone: string | undefined;
  const scopeBranch = policy.branchScope === 'branch' ? (options.branchId ?? contact.branchId) : undefined;

  for (let order = 0; order < options.channels.length; order++) {
    const channel = options.channels[order] as Channel;
    const channelBranch = scopeBranch === undefined ? undefined : branchOfChannel(options.branches, channel.id);
    if (channelBranch && channelBranch.id !== scopeBranch) {
      exclude(excluded, channel, 'other_branch', `bound to branch ${channelBranch.id}, the contact's is ${scopeBranch}`);
      continue;
    }
    if (options.attempted?.includes(channel.id)) {
      exclude(excluded, channel, 'attempted', 'already tried in this cascade');
      continue;
    }
    if (capped) {
      exclude(excluded, channel, 'frequency_cap', capped);
      continue;
    }
    const consent = contact.consent?.[channel.id] ?? contact.consent?.[channel.kind];
    if (consent === 'opted_out') {
      exclude(excluded, channel, 'opted_out', `contact opted out of ${channel.id}`);
      continue;
    }
    if (consentRule === 'granted' && consent !== 'granted') {
      exclude(
        excluded,
        channel,
        'no_consent',
        `${kind} messages need granted consent on ${channel.id} (have ${consent ?? 'none'})`,
      );
      continue;
    }
    const rendered = renderForChannel(channel, normalized, renderings);
    if (!rendered) {
      exclude(
        excluded,
        channel,
        normalized.kind === 'per_channel' ? 'no_content' : 'unsupported_content',
        `no content for ${channel.id}`,
      );
      continue;
    }
    const stats = options.reach?.[channel.id];
    if (
      stats?.lastFailure !== undefined &&
      permanentFailures.has(stats.lastFailure) &&
      now - (stats.lastFailureAt ?? 0) < policy.permanentFailureMemoryMs
    ) {
      exclude(
        excluded,
        channel,
        stats.lastFailure as ExclusionReason,
        `an earlier send failed as ${stats.lastFailure}${stats.lastFailureAt === undefined ? '' : ` at ${new Date(stats.lastFailureAt).toISOString()}`}`,
      );
      continue;
    }
    if (
      stats !== undefined &&
      policy.failuresToGiveUp > 0 &&
      stats.failed >= policy.failuresToGiveUp &&
      stats.delivered === 0 &&
      !stats.read &&
      (stats.sent === undefined || stats.sent <= stats.failed) &&
      // Each further failure doubles how long the channel is left out (a retry after the memory that fails again).
      now - (stats.lastAt ?? 0) < policy.permanentFailureMemoryMs * 2 ** (stats.failed - policy.failuresToGiveUp)
    ) {
      exclude(excluded, channel, 'unlikely_to_reach', `${channel.id} failed all ${stats.failed} times for this contact`);
      continue;
    }
    const conversation = options.conversations?.[channel.id];
    let estimate: CostEstimate;
    try {
      if (
        rendered.type === 'text' &&
        rendered.text.length > channel.capabilities.maxTextLength &&
        [...rendered.text].length > channel.capabilities.maxTextLength
      ) {
        exclude(excluded, channel, 'unsupported_content', `text longer than ${channel.capabilities.maxTextLength} characters`);
        continue;
      }
      channel.validate?.(rendered, contact);
      const reach = channel.canReach({ contact, content: rendered, now, conversation });
      if (!reach.reachable) {
        exclude(excluded, channel, mapReachFailure(channel, reach.reason), reach.detail);
        continue;
      }
      estimate = channel.estimateCost(rendered, contact, { conversation, now });
    } catch (error) {
      exclude(excluded, channel, 'unsupported_content', error instanceof Error ? error.message : String(error));
      continue;
    }
    const price = estimate.money.amountMinor;
    if (options.budgetMinor !== undefined && price > options.budgetMinor) {
      exclude(excluded, channel, 'over_budget', `costs ${price}, ${options.budgetMinor} left`);
      continue;
    }
    let notBefore: number | undefined;
    const rules = channelRules(policy, channel);
    if (quiet && !rules.quietExempt) {
      const timeZone = quietHoursTimeZone(contact, channel.id, options.branches, policy.defaultTimeZone);
      if (timeZone !== localMinuteZone) {
        localMinute = localMinuteOfDay(timeZone, now);
        localMinuteZone = timeZone;
      }
      if (isQuietMinute(localMinute, quiet.fromMinute, quiet.toMinute)) {
        if (quiet.mode === 'exclude') {
          exclude(excluded, channel, 'quiet_hours', `quiet hours in ${timeZone}`);
          continue;
        }
        notBefore = endOfQuietHours(timeZone, now, quiet.fromMinute, quiet.toMinute);
      }
    }
    const fallback = rules.fallback;
    const totals = options.reachTotals?.[channel.id];
    const learned = estimateReach(stats, totals, fallback.after, rules.reach, now, options.reachClasses?.[channel.id]);
    if (learned.basis.source === 'history' && learned.probability < policy.skipBelowReach) {
      exclude(
        excluded,
        channel,
        'unlikely_to_reach',
        `${channel.id} met its condition ${round(learned.basis.successes)} of ${round(learned.basis.trials)} times for this contact`,
      );
      continue;
    }
    const reachProbability = Math.max(policy.minReachProbability, learned.probability);
    // A channel billed on delivery (WhatsApp) costs nothing when the message never arrives: billed as often as it is
    // delivered (the step's own reach where the step waits for a delivery).
    const billed =
      channel.capabilities.billedOn !== 'delivered'
        ? 1
        : fallback.after === 'not_read'
          ? Math.max(reachProbability, deliveryProbability(stats, totals, policy.reachPriorWeight))
          : fallback.after === 'not_delivered'
            ? reachProbability
            : 1;
    const step: PlannedStep = {
      channelId: channel.id,
      channelKind: channel.kind,
      content: rendered,
      estimatedCost: estimate,
      reachProbability,
      reachBasis: learned.basis,
      expectedCost: policy.weightByReach ? (price * billed) / reachProbability : price,
      fallback,
    };
    if (notBefore !== undefined) step.notBefore = notBefore;
    orders[candidates.length] = order;
    preferences[candidates.length] = rules.preference;
    candidates.push(step);
  }

  // Insertion sort of a handful of candidates: by expected cost, then preference, then the hub's order.
  const byCost = policy.ordering !== 'preference';
  for (let index = 1; index < candidates.length; index++) {
    const step = candidates[index] as PlannedStep;
    const order = orders[index] as number;
    const preference = preferences[index] as number;
    let at = index;
    while (at > 0) {
      const other = candidates[at - 1] as PlannedStep;
      const difference =
        (byCost ? step.expectedCost - other.expectedCost : 0) ||
        preference - (preferences[at - 1] as number) ||
        order - (orders[at - 1] as number);
      if (difference >= 0) break;
      candidates[at] = other;
      orders[at] = orders[at - 1] as number;
      preferences[at] = preferences[at - 1] as number;
      at--;
    }
    candidates[at] = step;
    orders[at] = order;
    preferences[at] = preference;
  }
  const limit = Math.min(options.remainingSteps ?? policy.maxSteps, policy.maxSteps);
  if (candidates.length > limit) {
    for (const candidate of candidates.slice(limit))
      excluded.push({ channelId: candidate.channelId, reason: 'max_steps', detail: `more than ${limit} steps` });
    candidates.length = limit;
  }
  return { steps: candidates, excluded, at: now };
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The chance a message is delivered at all (settled over sent), for channels billed on delivery. */
function deliveryProbability(stats: ReachStats | undefined, totals: ReachStats | undefined, weight: number): number {
  const base = totals?.sent ? Math.min(1, (totals.delivered + totals.failed) / totals.sent) : 1;
  if (!stats?.sent) return base;
  return Math.min(1, (stats.delivered + stats.failed + base * weight) / (stats.sent + weight));
}

function frequencyCapped(
  policy: ResolvedPolicy,
  kind: string,
  campaign: string | undefined,
  history: readonly DeliveryRecord[] | undefined,
  now: number,
): string | undefined {
  if (!history?.length) return undefined;
  if (campaign !== undefined && history.some((record) => record.campaign === campaign))
    return `already received campaign ${campaign}`;
  const cap = policy.frequencyCaps[kind];
  if (!cap) return undefined;
  let count = 0;
  let last = 0;
  for (const record of history) {
    if (record.kind === kind && now - record.at < cap.windowMs) {
      count++;
      last = Math.max(last, record.at);
    }
  }
  if (count < cap.max) return undefined;
  return `${count} ${kind} cascade(s) within ${Math.round(cap.windowMs / 86_400_000)} days (last ${new Date(last).toISOString()})`;
}
