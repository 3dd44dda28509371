import type { Contact, Conversation, ReachStats } from '@omnidealer/core';
import type { NormalizedContent } from '../cascade-content.js';
import type { CascadeState } from '../cascade-state.js';
import { type CascadePlan, type PlanOptions, plan } from '../planner.js';
import type { ReachClasses } from '../reach-model.js';
import { type CampaignRecord, type CascadeContext, campaignNamespace } from './context.js';
import { settleInvites } from './invite.js';

/** The base's reach totals per channel (the reach model's prior), read at most once per `totalsTtlMs`. */
export async function totals(ctx: CascadeContext): Promise<Record<string, ReachStats>> {
  const now = ctx.clock.now();
  const cached = ctx.reachTotalsCache.value;
  if (cached && now - cached.at < ctx.totalsTtlMs) return cached.value;
  const value: Record<string, ReachStats> = {};
  for (const channel of ctx.channels) value[channel.id] = await ctx.hub.reachTotals(channel.id);
  ctx.reachTotalsCache.value = { at: now, value };
  return value;
}

/** What the planner needs to know about a contact: reach, conversations, mailing history and the campaign's budget. */
export async function gatherFacts(
  ctx: CascadeContext,
  contact: Contact,
  cascadeId: string | undefined,
  campaign: string | undefined,
) {
  const { hub, store, policy, population } = ctx;
  const reach: Record<string, ReachStats> = {};
  const conversations: Record<string, Conversation | undefined> = {};
  const reachTotals = await totals(ctx);
  const reachClasses: Record<string, ReachClasses | undefined> = {};
  await settleInvites(ctx, contact);
  for (const channel of ctx.channels) {
    const stats = await hub.reachStats(contact.id, channel.id);
    reach[channel.id] = stats;
    population.observe(channel.id, contact.id, stats);
    reachClasses[channel.id] = population.classes(channel.id);
    conversations[channel.id] = await store.findConversation(contact.id, channel.id);
  }
  // This cascade's own claim is not an earlier mailing.
  const history = (await hub.mailingHistory(contact.id)).filter(
    (record) => cascadeId === undefined || (record.claimId ?? record.cascadeId) !== cascadeId,
  );
  const campaignRecord = campaign ? await store.getRecord<CampaignRecord>(campaignNamespace, campaign) : undefined;
  const campaignBudget = campaignRecord?.budgetMinor ?? (campaign ? policy.budget.perCampaignMinor : undefined);
  const campaignLeft = campaignBudget === undefined ? undefined : campaignBudget - (campaignRecord?.spentMinor ?? 0);
  return { reach, reachTotals, reachClasses, conversations, history, campaignLeft };
}

/** What may still be spent: the message's budget less what it spent, capped by what the campaign has left. */
export function budgetLeft(perMessage: number | undefined, spent: number, campaignLeft: number | undefined): number | undefined {
  const message = perMessage === undefined ? undefined : perMessage - spent;
  if (message === undefined) return campaignLeft === undefined ? undefined : Math.max(0, campaignLeft);
  return Math.max(0, campaignLeft === undefined ? message : Math.min(message, campaignLeft));
}

/** The facts {@link gatherFacts} reads for one contact. */
export type PlanningFacts = Awaited<ReturnType<typeof gatherFacts>>;

/** Plans from gathered facts over the cascade's channels, policy and branches; `rest` holds what differs per call. */
export function planWithFacts(
  ctx: CascadeContext,
  contact: Contact,
  content: NormalizedContent,
  facts: PlanningFacts,
  rest: Pick<PlanOptions, 'now' | 'kind' | 'campaign' | 'branchId' | 'budgetMinor' | 'attempted' | 'remainingSteps'>,
): CascadePlan {
  return plan(contact, content, {
    channels: ctx.channels,
    policy: ctx.options.policy,
    branches: ctx.hub.branches,
    reach: facts.reach,
    reachTotals: facts.reachTotals,
    reachClasses: facts.reachClasses,
    conversations: facts.conversations,
    history: facts.history,
    ...rest,
  });
}

/** Plans the rest of a running cascade: the channels not yet attempted, within its budget and step count. */
export async function planFor(ctx: CascadeContext, state: CascadeState): Promise<CascadePlan> {
  const facts = await gatherFacts(ctx, state.contact, state.id, state.campaign);
  return planWithFacts(ctx, state.contact, state.content, facts, {
    now: ctx.clock.now(),
    kind: state.kind,
    campaign: state.campaign,
    branchId: state.branchId,
    attempted: state.steps.map((step) => step.channelId),
    budgetMinor: budgetLeft(state.budgetMinor, state.spentMinor, facts.campaignLeft),
    remainingSteps: Math.max(0, ctx.policy.maxSteps - state.steps.length),
  });
}
