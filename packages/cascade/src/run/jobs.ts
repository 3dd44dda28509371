import type { ScheduledJob } from '@omnidealer/core';
import { type CascadeContext, indexNamespace, load, save, withLock } from './context.js';

/** The kind of the cascade's store jobs: other extensions' jobs are left alone. */
export const jobKind = 'cascade.step';

/** What a cascade job asks for; stored with the job, so its shape is kept for jobs scheduled by an earlier version. */
export interface JobPayload {
  key: string;
  step: number;
  /** `resume`: the safety net scheduled with a new cascade, for a process that dies before its first step is recorded. */
  action: 'deadline' | 'failed' | 'start' | 'resume';
}

/** When the safety net of a new cascade fires; by then its first step has long been recorded, unless the process died. */
export const RESUME_AFTER_MS = 60_000;

/** Job ids carry their run time: a rescheduled job is a new job, never one the current runner is about to complete. */
export function jobId(key: string, step: number, action: JobPayload['action'], runAt: number): string {
  return `cascade:${key}:${step}:${action}:${runAt}`;
}

/** Stores a durable job for a cascade's step, due at `runAt`. */
export async function schedule(
  ctx: CascadeContext,
  key: string,
  step: number,
  action: JobPayload['action'],
  runAt: number,
): Promise<void> {
  const job: ScheduledJob = {
    id: jobId(key, step, action, runAt),
    kind: jobKind,
    runAt,
    payload: { key, step, action } satisfies JobPayload as unknown as Record<string, unknown>,
    status: 'pending',
    attempts: 0,
  };
  await ctx.store.scheduleJob(job);
}

/** {@link Cascade.cancel}: stops a running cascade and cancels its last step's pending deadline or deferred start. */
export async function cancelCascade(ctx: CascadeContext, cascadeId: string): Promise<void> {
  const key = await ctx.store.getRecord<string>(indexNamespace, cascadeId);
  if (key === undefined) return;
  await withLock(ctx, key, async () => {
    const state = await load(ctx, key);
    if (state?.status !== 'running') return;
    state.status = 'cancelled';
    await save(ctx, state);
    const last = state.steps[state.steps.length - 1];
    if (last) {
      // A pending `failed` job finds the cascade cancelled and does nothing.
      if (last.deadline !== undefined) await ctx.store.cancelJob(jobId(key, last.index, 'deadline', last.deadline));
      if (last.notBefore !== undefined) await ctx.store.cancelJob(jobId(key, last.index, 'start', last.notBefore));
    }
  });
}
