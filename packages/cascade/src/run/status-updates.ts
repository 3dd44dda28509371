import type { Message, MessageStatus } from '@omnidealer/core';
import { type CascadeContext, emit, load, save, track, withLock } from './context.js';
import { runDueSteps } from './due-steps.js';
import { jobId, schedule } from './jobs.js';
import { conditionMet, succeed } from './steps.js';

const statusRank: Record<MessageStatus, number> = { queued: 0, sent: 1, failed: 1, delivered: 2, read: 3 };

/**
 * Applies a status of a cascade's message: the current step succeeds or, failed, moves on at once through a `failed`
 * job; a status of an earlier step is recorded as late.
 */
async function onMessageUpdate(ctx: CascadeContext, message: Message): Promise<void> {
  const key = message.metadata?.cascadeKey;
  if (typeof key !== 'string') return;
  let kick = false;
  await withLock(ctx, key, async () => {
    const state = await load(ctx, key);
    const step = state?.steps.find((candidate) => candidate.messageId === message.id);
    if (!state || !step) return;
    const isCurrent = state.status === 'running' && step.status === 'waiting' && step.index === state.steps.length - 1;
    if (message.status === 'failed') {
      if (step.status === 'failed') return;
      if (isCurrent) {
        step.outcome = 'failed';
        await schedule(ctx, key, step.index, 'failed', ctx.clock.now());
        await save(ctx, state);
        if (step.deadline !== undefined) await ctx.store.cancelJob(jobId(key, step.index, 'deadline', step.deadline));
        kick = true;
        return;
      }
    } else if (isCurrent) {
      step.outcome = message.status;
      if (conditionMet(step.condition, message.status)) await succeed(ctx, state, step, message.status);
      else await save(ctx, state);
      return;
    }
    if (step.outcome !== undefined && statusRank[message.status] <= statusRank[step.outcome] && message.status !== 'failed')
      return;
    step.outcome = message.status;
    if (step.status !== 'succeeded') {
      step.late = [...(step.late ?? []), { status: message.status, at: ctx.clock.now() }];
      emit(ctx, 'cascade.step.late', {
        cascadeId: state.id,
        step: step.index,
        channelId: step.channelId,
        status: message.status,
      });
    }
    await save(ctx, state);
  });
  if (kick) await runDueSteps(ctx);
}

/** Follows the hub's outbound statuses and failures; returns the function that detaches from the hub. */
export function attachStatusUpdates(ctx: CascadeContext): () => void {
  const onStatus = ({ message }: { message: Message }) => {
    if (message.status !== 'failed' && message.direction === 'outbound') track(ctx, onMessageUpdate(ctx, message));
  };
  const onFailed = ({ message }: { message: Message }) => {
    if (message.direction === 'outbound') track(ctx, onMessageUpdate(ctx, message));
  };
  ctx.hub.on('message.status', onStatus);
  ctx.hub.on('message.failed', onFailed);
  return () => {
    ctx.hub.off('message.status', onStatus);
    ctx.hub.off('message.failed', onFailed);
  };
}
