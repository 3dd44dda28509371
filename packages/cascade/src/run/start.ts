import { type Channel, type Contact, type ContactInput, contactSchema, ValidationError } from '@omnidealer/core';
import { createId, parseInput } from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { type CampaignInput, type CampaignResult, runCampaign } from '../campaign.js';
import type { CascadeSendOptions } from '../cascade.js';
import { type CascadeContent, type NormalizedContent, normalizeContent, renderForChannel } from '../cascade-content.js';
import type { CascadeState } from '../cascade-state.js';
import type { CascadePlan } from '../planner.js';
import {
  type CampaignRecord,
  type CascadeContext,
  campaignNamespace,
  emit,
  indexNamespace,
  load,
  save,
  withLock,
} from './context.js';
import { budgetLeft, gatherFacts, type PlanningFacts, planWithFacts } from './facts.js';
import { jobId, RESUME_AFTER_MS, schedule } from './jobs.js';
import { claimPlace, proceed } from './steps.js';

const sendOptionsSchema = z
  .object({
    kind: z.string().min(1).optional(),
    campaign: z.string().min(1).max(200).optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    budgetMinor: z.number().int().nonnegative().optional(),
    subject: z.string().min(1).optional(),
    branchId: z.string().min(1).optional(),
  })
  .strict();

/** The send or plan options, validated; a `branchId` must name one of the hub's branches. */
function parseSendOptions(ctx: CascadeContext, input: CascadeSendOptions): CascadeSendOptions {
  const { hub } = ctx;
  const parsed = parseInput(sendOptionsSchema, input, 'options') as CascadeSendOptions;
  if (parsed.branchId !== undefined && !hub.branches.has(parsed.branchId))
    throw new ValidationError({
      field: 'options.branchId',
      message: `options.branchId: unknown branch "${parsed.branchId}"; known: ${[...hub.branches.keys()].join(', ') || 'none'}`,
    });
  return parsed;
}

/** The contact as given, validated, over what the store knows of it (identities merged). */
async function mergeContact(ctx: CascadeContext, input: ContactInput): Promise<Contact> {
  const contact = parseInput(contactSchema, input, 'contact');
  const stored = await ctx.store.getContact(contact.id);
  return stored ? { ...stored, ...contact, identities: { ...stored.identities, ...contact.identities } } : contact;
}

/** {@link Cascade.plan}: plans for a contact without sending. */
export async function planCascade(
  ctx: CascadeContext,
  contactInput: ContactInput,
  content: CascadeContent | NormalizedContent,
  planOptions: CascadeSendOptions = {},
): Promise<CascadePlan> {
  const parsed = parseSendOptions(ctx, planOptions);
  const contact = await mergeContact(ctx, contactInput);
  const facts = await gatherFacts(ctx, contact, undefined, parsed.campaign);
  return planFirst(ctx, contact, normalizeContent(content, parsed.subject), facts, parsed, ctx.clock.now());
}

/** The plan of a cascade's first step: the send's options, its budget left after the campaign's spend. */
function planFirst(
  ctx: CascadeContext,
  contact: Contact,
  content: NormalizedContent,
  facts: PlanningFacts,
  parsed: CascadeSendOptions,
  now: number,
): CascadePlan {
  return planWithFacts(ctx, contact, content, facts, {
    now,
    kind: parsed.kind,
    campaign: parsed.campaign,
    branchId: parsed.branchId,
    budgetMinor: budgetLeft(parsed.budgetMinor ?? ctx.policy.budget.perMessageMinor, 0, facts.campaignLeft),
  });
}

/** {@link Cascade.send}: returns a stored cascade with the same key, or starts a new one. */
export async function send(
  ctx: CascadeContext,
  contactInput: ContactInput,
  content: CascadeContent | NormalizedContent,
  sendOptions: CascadeSendOptions = {},
): Promise<CascadeState> {
  const parsed = parseSendOptions(ctx, sendOptions);
  const contact = await mergeContact(ctx, contactInput);
  const normalized = normalizeContent(content, parsed.subject);
  const id = parsed.idempotencyKey ? `cascade_${parsed.idempotencyKey}` : createId('cascade');
  const key = `${parsed.campaign ?? '-'}/${id}`;
  // A cascade already stored is returned as it is, without waiting for whoever works on it now. Otherwise the lock
  // (a lease across processes) lets one process plan and send the first step; the others then find its state.
  const existing = await load(ctx, key);
  if (existing) return existing;
  return withLock(ctx, key, async () => (await load(ctx, key)) ?? startNew(ctx, contact, normalized, parsed, id, key));
}

/** Plans and starts a new cascade (under its lock): stores its state and sends or defers its first step. */
async function startNew(
  ctx: CascadeContext,
  contact: Contact,
  normalized: NormalizedContent,
  parsed: CascadeSendOptions,
  id: string,
  key: string,
): Promise<CascadeState> {
  const { store, policy, channels, baselineChannel } = ctx;
  const now = ctx.clock.now();
  const facts = await gatherFacts(ctx, contact, id, parsed.campaign);
  const perMessage = parsed.budgetMinor ?? policy.budget.perMessageMinor;
  const initial = planFirst(ctx, contact, normalized, facts, parsed, now);
  let baselineMinor: number | undefined;
  const baselineContent = baselineChannel && renderForChannel(baselineChannel, normalized);
  if (baselineChannel && baselineContent && contact.phone) {
    try {
      baselineMinor = baselineChannel.estimateCost(baselineContent, contact, { now }).money.amountMinor;
    } catch {
      baselineMinor = undefined;
    }
  }
  const rank = (channelId: string) => {
    const channel = channels.find((candidate) => candidate.id === channelId) as Channel;
    const byId = policy.preference.indexOf(channel.id);
    const byKind = policy.preference.indexOf(channel.kind);
    const preferred = byId >= 0 ? byId : byKind >= 0 ? byKind : policy.preference.length;
    return preferred * 1000 + channels.indexOf(channel);
  };
  const fixedFirst = [...initial.steps].sort((a, b) => rank(a.channelId) - rank(b.channelId))[0];
  const state: CascadeState = {
    id,
    key,
    contact,
    content: normalized,
    kind: parsed.kind ?? 'transactional',
    ...(parsed.campaign ? { campaign: parsed.campaign } : {}),
    ...(parsed.branchId ? { branchId: parsed.branchId } : {}),
    ...(perMessage !== undefined ? { budgetMinor: perMessage } : {}),
    status: 'running',
    steps: [],
    plan: initial,
    spentMinor: 0,
    currency: initial.steps[0]?.estimatedCost.money.currency ?? 'RUB',
    ...(baselineMinor !== undefined ? { baselineMinor } : {}),
    ...(fixedFirst ? { fixedOrderFirstStepMinor: fixedFirst.estimatedCost.money.amountMinor } : {}),
    createdAt: now,
    updatedAt: now,
  };
  await schedule(ctx, key, 0, 'resume', now + RESUME_AFTER_MS);
  await store.putRecord(indexNamespace, id, key);
  await save(ctx, state);
  if (await claimPlace(ctx, state, initial)) await proceed(ctx, state, initial);
  // From here the step's own jobs keep the cascade going.
  await store.cancelJob(jobId(key, 0, 'resume', now + RESUME_AFTER_MS));
  return state;
}

/** {@link Cascade.campaign}: stores the campaign's budget, then sends the mailing through {@link send}. */
export async function startCampaign(ctx: CascadeContext, input: CampaignInput): Promise<CampaignResult> {
  if (input.budgetMinor !== undefined) {
    const budgetMinor = input.budgetMinor;
    await ctx.store.updateRecord<CampaignRecord>(campaignNamespace, input.mailingId, (record) => ({
      spentMinor: 0,
      ...record,
      budgetMinor,
    }));
  }
  return runCampaign(
    input,
    (contact, content) =>
      send(ctx, contact, content, {
        kind: input.kind ?? 'marketing',
        campaign: input.mailingId,
        idempotencyKey: `${input.mailingId}:${contact.id}`,
        ...(input.subject ? { subject: input.subject } : {}),
      }),
    (progress) => emit(ctx, 'campaign.progress', progress),
  );
}
