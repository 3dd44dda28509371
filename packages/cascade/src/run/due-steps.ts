import type { MessageStatus, ScheduledJob } from '@omnidealer/core';
import type { FallbackReason } from '../cascade-events.js';
import { type CascadeContext, load, save, withLock } from './context.js';
import { type JobPayload, jobKind, schedule } from './jobs.js';
import { conditionMet, fallbackReasonOf, proceed, sendStep, succeed } from './steps.js';

/** Runs one cascade job under the cascade's lock: starts, re-sends, times out or moves on the step it names. */
async function runJob(ctx: CascadeContext, payload: JobPayload): Promise<void> {
  await withLock(ctx, payload.key, async () => {
    const state = await load(ctx, payload.key);
    if (state?.status !== 'running') return;
    if (payload.step === state.steps.length) {
      // The process that scheduled this job died before it recorded the step: start it now.
      await proceed(ctx, state);
      return;
    }
    if (payload.action === 'resume') return;
    const step = state.steps[payload.step];
    if (!step || payload.step !== state.steps.length - 1) return;
    if (payload.action === 'start') {
      if (step.status !== 'deferred') return;
      state.steps.pop();
      await proceed(ctx, state);
      return;
    }
    if (step.status !== 'waiting') return;
    let message = step.messageId ? await ctx.store.getMessage(step.messageId) : undefined;
    if (!message) {
      // The process stopped between storing the step and the hub's answer: the idempotency key finds the message.
      try {
        message = await sendStep(ctx, state, step);
        step.messageId = message.id;
        step.deadline = message.createdAt + step.condition.withinMs;
      } catch {
        // Unreachable now: treat as failed below.
      }
    }
    const status: MessageStatus = message?.status ?? 'failed';
    const leave = async (reason: FallbackReason) => {
      step.outcome = status;
      await proceed(ctx, state, undefined, { step: step.index, from: step.channelId, reason });
    };
    if (status === 'failed') {
      step.status = 'failed';
      step.error = message?.error?.code ?? 'failed';
      await leave(fallbackReasonOf(undefined, message));
      return;
    }
    if (conditionMet(step.condition, status)) {
      await succeed(ctx, state, step, status);
      return;
    }
    const now = ctx.clock.now();
    if (now < (step.deadline ?? 0)) {
      await save(ctx, state);
      await schedule(ctx, state.key, step.index, 'deadline', step.deadline as number);
      return;
    }
    if (step.condition.after === 'failed') {
      await succeed(ctx, state, step, status);
      return;
    }
    step.status = 'timed_out';
    await leave(step.condition.after);
  });
}

/** Runs a claimed job and completes it; resolves whether it ran (a failed run is retried once its lease expires). */
async function runOne(ctx: CascadeContext, job: ScheduledJob): Promise<boolean> {
  // Another extension's job: leave it; its lease expires and its owner claims it again.
  if (job.kind !== jobKind) return false;
  try {
    await runJob(ctx, job.payload as unknown as JobPayload);
    await ctx.store.completeJob(job.id);
    return true;
  } catch (error) {
    ctx.logger.error({ job: job.id, error: String(error) }, 'cascade: step failed to run; it runs again when the lease expires');
    return false;
  }
}

/** Claims due cascade jobs from the store in batches and runs them, `concurrency` at a time; resolves how many ran. */
export async function runDueSteps(ctx: CascadeContext, runOptions: { limit?: number } = {}): Promise<number> {
  const batch = 100;
  const limit = runOptions.limit ?? Number.POSITIVE_INFINITY;
  let count = 0;
  while (count < limit) {
    const jobs = await ctx.store.claimDueJobs(ctx.clock.now(), Math.min(batch, limit - count), ctx.leaseMs, [jobKind]);
    if (jobs.length === 0) break;
    // Jobs of different cascades are independent (one cascade's work is serialised by its lock).
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as ScheduledJob;
        if (await runOne(ctx, job)) count++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, jobs.length) }, worker));
    if (jobs.length < batch) break;
  }
  return count;
}
