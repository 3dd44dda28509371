import {
  type Message,
  type MessageStatus,
  OmnidealerError,
  UnreachableRecipientError,
  WindowClosedError,
} from '@omnidealer/core';
import type { FallbackReason } from '../cascade-events.js';
import type { FallbackCondition } from '../cascade-policy.js';
import type { CascadeState, CascadeStepRecord } from '../cascade-state.js';
import type { CascadePlan, ExcludedChannel, PlannedStep } from '../planner.js';
import { type CampaignRecord, type CascadeContext, campaignNamespace, emit, save } from './context.js';
import { planFor } from './facts.js';
import { withInvite } from './invite.js';
import { jobId, schedule } from './jobs.js';

/** True when a status meets a step's success condition (`failed` needs the deadline, or a delivery, to succeed). */
export function conditionMet(condition: FallbackCondition, status: MessageStatus): boolean {
  return condition.after === 'not_read' ? status === 'read' : status === 'delivered' || status === 'read';
}

/** Why a step is left, from the error its send threw or the failed message. */
export function fallbackReasonOf(error: unknown, message: Message | undefined): FallbackReason {
  if (WindowClosedError.isInstance(error) || message?.error?.code === 'window_closed') return 'window_closed';
  if (UnreachableRecipientError.isInstance(error) || message?.error?.code === 'unreachable_recipient') return 'unreachable';
  if (error !== undefined) return 'rejected';
  return 'failed';
}

/** Counts an accepted step's cost against the cascade and its campaign. */
async function recordAccepted(ctx: CascadeContext, state: CascadeState, step: CascadeStepRecord): Promise<void> {
  state.spentMinor += step.costMinor;
  // Shared records (the contact's mailing history, the campaign's spend) are updated atomically in the store, so
  // cascades running at once — in this process or in other workers on the same store — lose no entry and no spend.
  // The contact's mailing history got this cascade's entry when it claimed its place under the frequency cap.
  const campaign = state.campaign;
  if (campaign) {
    await ctx.store.updateRecord<CampaignRecord>(campaignNamespace, campaign, (record) => ({
      ...record,
      spentMinor: (record?.spentMinor ?? 0) + step.costMinor,
    }));
  }
}

/** Ends a cascade as succeeded on `step`, cancelling the step's deadline. */
export async function succeed(
  ctx: CascadeContext,
  state: CascadeState,
  step: CascadeStepRecord,
  status: MessageStatus,
): Promise<void> {
  step.status = 'succeeded';
  step.outcome = status;
  state.status = 'succeeded';
  await save(ctx, state);
  if (step.deadline !== undefined) await ctx.store.cancelJob(jobId(state.key, step.index, 'deadline', step.deadline));
  emit(ctx, 'cascade.step.succeeded', { cascadeId: state.id, step: step.index, channelId: step.channelId, status });
  emit(ctx, 'cascade.completed', {
    cascadeId: state.id,
    contactId: state.contact.id,
    channelId: step.channelId,
    spentMinor: state.spentMinor,
  });
}

/** Ends a cascade that has no channel left to try. */
async function exhaust(ctx: CascadeContext, state: CascadeState, reason: string, excluded: ExcludedChannel[]): Promise<void> {
  // A cascade that reached nobody gives its place under the frequency cap back.
  if (!state.steps.some((step) => step.messageId !== undefined && step.status !== 'failed'))
    await ctx.hub.releaseFrequency(state.contact.id, state.id);
  state.status = 'exhausted';
  state.exhausted = { reason, excluded };
  await save(ctx, state);
  emit(ctx, 'cascade.exhausted', {
    cascadeId: state.id,
    contactId: state.contact.id,
    reason,
    excluded,
    spentMinor: state.spentMinor,
  });
}

/**
 * Takes the cascade's place under the contact's frequency cap, atomically in the store: the plan read the history
 * before, but another cascade for the same contact (in this process or another worker) may have claimed since. A
 * refused cascade is exhausted with `frequency_cap`; resolves with whether it may go on.
 */
export async function claimPlace(ctx: CascadeContext, state: CascadeState, planned: CascadePlan): Promise<boolean> {
  if (planned.steps.length === 0) return true;
  const refusal = await ctx.hub.claimFrequency(state.contact.id, {
    kind: state.kind,
    claimId: state.id,
    campaign: state.campaign,
    cap: ctx.policy.frequencyCaps[state.kind],
  });
  if (refusal === undefined) return true;
  const excluded = planned.steps.map((step) => ({
    channelId: step.channelId,
    reason: 'frequency_cap' as const,
    detail: refusal,
  }));
  await exhaust(ctx, state, 'frequency_cap', [...planned.excluded, ...excluded]);
  return false;
}

/** The record of the next step of `state`, taken from the planner's candidate. */
function stepRecord(state: CascadeState, candidate: PlannedStep, status: CascadeStepRecord['status']): CascadeStepRecord {
  return {
    index: state.steps.length,
    channelId: candidate.channelId,
    content: candidate.content,
    costMinor: candidate.estimatedCost.money.amountMinor,
    currency: candidate.estimatedCost.money.currency,
    condition: candidate.fallback,
    status,
  };
}

/**
 * The hub send of a step. Its idempotency key is the cascade's and the channel's, so sending a step again after a
 * crash finds the message the first attempt stored instead of sending twice.
 */
export function sendStep(ctx: CascadeContext, state: CascadeState, step: CascadeStepRecord): Promise<Message> {
  return ctx.hub.send({
    channel: step.channelId,
    contact: state.contact,
    content: step.content,
    idempotencyKey: `${state.id}:${step.channelId}`,
    kind: state.kind,
    // The cascade claimed its place under the frequency cap once (see claimPlace): its steps do not count again.
    frequencyClaim: state.id,
    metadata: { cascadeId: state.id, cascadeKey: state.key, cascadeStep: step.index },
  });
}

/** Sends one planned step. Resolves `undefined` when the provider accepted it, else why it failed. */
async function startStep(ctx: CascadeContext, state: CascadeState, candidate: PlannedStep): Promise<FallbackReason | undefined> {
  const now = ctx.clock.now();
  const step: CascadeStepRecord = {
    ...stepRecord(state, candidate, 'waiting'),
    startedAt: now,
    deadline: now + candidate.fallback.withinMs,
  };
  await withInvite(ctx, state, step, candidate);
  // Every running cascade has a pending job, so none is stranded by a crash: the deadline is scheduled before the
  // step is recorded (a job for a step that never got recorded starts it then) and before the provider is called.
  await schedule(ctx, state.key, step.index, 'deadline', step.deadline as number);
  state.steps.push(step);
  await save(ctx, state);
  emit(ctx, 'cascade.step.started', {
    cascadeId: state.id,
    contactId: state.contact.id,
    step: step.index,
    channelId: step.channelId,
    costMinor: step.costMinor,
    campaign: state.campaign,
  });
  let message: Message | undefined;
  let thrown: unknown;
  try {
    message = await sendStep(ctx, state, step);
  } catch (error) {
    thrown = error;
  }
  if (message) step.messageId = message.id;
  if (thrown !== undefined || !message || message.status === 'failed') {
    step.status = 'failed';
    step.outcome = 'failed';
    step.error = OmnidealerError.isInstance(thrown) ? thrown.code : (message?.error?.code ?? 'internal');
    await ctx.store.cancelJob(jobId(state.key, step.index, 'deadline', step.deadline as number));
    await save(ctx, state);
    return fallbackReasonOf(thrown, message);
  }
  step.outcome = message.status;
  await recordAccepted(ctx, state, step);
  if (conditionMet(step.condition, message.status)) await succeed(ctx, state, step, message.status);
  else await save(ctx, state);
  return undefined;
}

/**
 * Moves a cascade forward: tries the planned candidates in order until one is accepted, defers one past quiet
 * hours, or runs out. `from` is the step being left (for the `cascade.fallback` event).
 */
export async function proceed(
  ctx: CascadeContext,
  state: CascadeState,
  planned?: CascadePlan,
  from?: { step: number; from: string; reason: FallbackReason },
): Promise<void> {
  const current = planned ?? (await planFor(ctx, state));
  let leaving = from;
  for (const candidate of current.steps) {
    if (state.status !== 'running') return;
    if (leaving) {
      emit(ctx, 'cascade.fallback', { cascadeId: state.id, ...leaving, to: candidate.channelId });
      leaving = undefined;
    }
    const now = ctx.clock.now();
    if (candidate.notBefore !== undefined && candidate.notBefore > now) {
      const step: CascadeStepRecord = { ...stepRecord(state, candidate, 'deferred'), notBefore: candidate.notBefore };
      await schedule(ctx, state.key, step.index, 'start', candidate.notBefore);
      state.steps.push(step);
      await save(ctx, state);
      emit(ctx, 'cascade.step.deferred', {
        cascadeId: state.id,
        step: step.index,
        channelId: step.channelId,
        notBefore: candidate.notBefore,
      });
      return;
    }
    const failure = await startStep(ctx, state, candidate);
    if (failure === undefined) return;
    const last = state.steps[state.steps.length - 1] as CascadeStepRecord;
    leaving = { step: last.index, from: last.channelId, reason: failure };
  }
  if (leaving) emit(ctx, 'cascade.fallback', { cascadeId: state.id, ...leaving, to: undefined });
  await exhaust(
    ctx,
    state,
    state.steps.length === 0 ? 'no_channel' : state.steps.length >= ctx.policy.maxSteps ? 'max_steps' : 'no_channel_left',
    current.excluded,
  );
}
