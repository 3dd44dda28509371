import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScheduledJob } from '@omnidealer/core';
import { createSqliteStore, type SqliteStore } from '@omnidealer/store-sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from './__fixtures__/redis-url.js';
import { type BullMqScheduler, type BullMqSchedulerOptions, createBullMqScheduler, toBullJobId } from './bullmq-scheduler.js';

const redisUrl = testRedisUrl();
const folder = mkdtempSync(join(tmpdir(), 'omnidealer-bullmq-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const connection = () => {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port) };
};

/** Polls until `check` is true (real Redis runs on real time). */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('toBullJobId', () => {
  it('passes ordinary ids through and maps the ones BullMQ refuses one-to-one', () => {
    expect(toBullJobId('run-1.step-2')).toBe('run-1.step-2');
    expect(toBullJobId('cascade:run-1:2')).toBe('cascade%3Arun-1%3A2');
    expect(toBullJobId('42')).toBe('%42');
    expect(toBullJobId('%42')).toBe('%2542');
  });
});

describe.skipIf(!redisUrl)('createBullMqScheduler (real redis-server)', () => {
  const schedulers: BullMqScheduler[] = [];
  const stores: SqliteStore[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const scheduler of schedulers.splice(0)) await scheduler.close({ force: true });
    for (const store of stores.splice(0)) await store.close();
  });

  /** A scheduler and its own store connection on a shared SQLite file: what one worker process holds. */
  function worker(path: string, queueName: string, overrides: Partial<BullMqSchedulerOptions> = {}) {
    const store = createSqliteStore({ path });
    const scheduler = createBullMqScheduler({
      connection: connection(),
      queueName,
      store,
      kinds: ['reminder'],
      sweepIntervalMs: 0,
      ...overrides,
    });
    stores.push(store);
    schedulers.push(scheduler);
    return { store, scheduler };
  }

  it('runs a due step exactly once when two workers race for it and it is woken twice', async () => {
    const path = join(folder, `race-${randomUUID()}.db`);
    const queueName = `race-${randomUUID()}`;
    const runs: ScheduledJob[] = [];
    const step = async (job: ScheduledJob) => {
      runs.push(job);
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    // A short lease so the second wake-up, which finds the job leased by the other worker, re-checks soon.
    const a = worker(path, queueName, { leaseMs: 1000 });
    const b = worker(path, queueName, { leaseMs: 1000 });
    await a.scheduler.start(step);
    await b.scheduler.start(step);

    const job = { id: 'run-1:step-2', kind: 'reminder', runAt: Date.now() + 300, payload: { runId: 'run-1' } };
    await a.scheduler.schedule(job);
    await b.scheduler.schedule(job);
    // Same id: one wake-up in Redis, not two.
    expect(await a.scheduler.queue.getJobCounts('delayed')).toEqual({ delayed: 1 });
    // Force a second wake-up for the same job, as a lost acknowledgement or an operator's retry would.
    await a.scheduler.queue.add('reminder', { id: job.id }, { jobId: 'extra-wake-up', delay: 300 });

    await waitFor(async () => (await a.store.getJob(job.id))?.status === 'done');
    await waitFor(async () => {
      const counts = await a.scheduler.queue.getJobCounts('delayed', 'waiting', 'active');
      return counts.delayed === 0 && counts.waiting === 0 && counts.active === 0;
    });
    expect(runs.map((run) => [run.id, run.attempts, run.payload])).toEqual([[job.id, 1, { runId: 'run-1' }]]);
  }, 30_000);

  it('runs a step again on another worker after the first worker is killed mid-step and its lease ends', async () => {
    const path = join(folder, `kill-${randomUUID()}.db`);
    const queueName = `kill-${randomUUID()}`;
    const leaseMs = 2000;
    const survivor = worker(path, queueName, { leaseMs, lockDurationMs: 1000, stalledIntervalMs: 500 });

    const child = fork(
      fileURLToPath(new URL('./__fixtures__/scheduler-worker.ts', import.meta.url)),
      [redisUrl, queueName, path, String(leaseMs)],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    children.push(child);
    const messages: Array<{ ready?: boolean; started?: string; attempts?: number }> = [];
    child.on('message', (message: (typeof messages)[number]) => messages.push(message));
    await waitFor(() => messages.some((message) => message.ready));

    await survivor.scheduler.schedule({ id: 'run-7:step-1', kind: 'reminder', runAt: Date.now() + 100 });
    await waitFor(() => messages.some((message) => message.started === 'run-7:step-1'));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const leased = await survivor.store.getJob('run-7:step-1');
    expect(leased).toMatchObject({ status: 'running', attempts: 1 });

    const runs: Array<{ job: ScheduledJob; at: number }> = [];
    await survivor.scheduler.start(async (job) => {
      runs.push({ job, at: Date.now() });
    });
    await waitFor(async () => (await survivor.store.getJob('run-7:step-1'))?.status === 'done');
    expect(runs.map((run) => [run.job.id, run.job.attempts])).toEqual([['run-7:step-1', 2]]);
    // Not before the dead worker's lease ended.
    expect(runs[0]?.at).toBeGreaterThanOrEqual(leased?.leaseUntil ?? Number.POSITIVE_INFINITY);
    expect(runs[0]?.at).toBeGreaterThan(killedAt);
  }, 40_000);

  it('moves a wake-up when a job is scheduled again with another runAt', async () => {
    const path = join(folder, `move-${randomUUID()}.db`);
    const { store, scheduler } = worker(path, `move-${randomUUID()}`);
    const ran: Array<[string, unknown]> = [];
    await scheduler.start(async (job) => {
      ran.push([job.id, job.payload]);
    });
    await scheduler.schedule({ id: 'visit-9:reminder', kind: 'reminder', runAt: Date.now() + 3_600_000, payload: { v: 1 } });
    await scheduler.schedule({ id: 'visit-9:reminder', kind: 'reminder', runAt: Date.now() + 200, payload: { v: 2 } });
    await waitFor(async () => (await store.getJob('visit-9:reminder'))?.status === 'done', 10_000);
    expect(ran).toEqual([['visit-9:reminder', { v: 2 }]]);
    expect(await scheduler.queue.getJobCounts('delayed', 'waiting')).toMatchObject({ delayed: 0, waiting: 0 });
  }, 20_000);

  it('retries a failed step after its lease, and gives up on a poison job after maxAttempts', async () => {
    const path = join(folder, `retry-${randomUUID()}.db`);
    const { store, scheduler } = worker(path, `retry-${randomUUID()}`, { leaseMs: 300, maxAttempts: 2 });
    const attempts: number[] = [];
    await scheduler.start(async (job) => {
      attempts.push(job.attempts);
      throw new Error('provider down');
    });
    await scheduler.schedule({ id: 'poison', kind: 'reminder', runAt: Date.now() });
    await waitFor(async () => (await store.getJob('poison'))?.status === 'cancelled');
    expect(attempts).toEqual([1, 2]);
  }, 30_000);

  it('runs a job whose wake-up never reached Redis from the store (sweep), and never runs a cancelled one', async () => {
    const path = join(folder, `sweep-${randomUUID()}.db`);
    const { store, scheduler } = worker(path, `sweep-${randomUUID()}`);
    const ran: string[] = [];
    await scheduler.start(async (job) => {
      ran.push(job.id);
    });
    // As if the process died between the store commit and the enqueue.
    await store.scheduleJob({
      id: 'orphan',
      kind: 'reminder',
      runAt: Date.now() - 1,
      payload: {},
      status: 'pending',
      attempts: 0,
    });
    await scheduler.schedule({ id: 'cancelled', kind: 'reminder', runAt: Date.now() + 200 });
    await scheduler.cancel('cancelled');
    expect(await scheduler.runDue()).toEqual(['orphan']);
    expect((await store.getJob('orphan'))?.status).toBe('done');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await scheduler.runDue()).toEqual([]);
    expect(ran).toEqual(['orphan']);
    expect((await store.getJob('cancelled'))?.status).toBe('cancelled');
  }, 30_000);

  it("claims only its own kinds: the cascade's deadlines in the same store are left to the cascade, even when woken", async () => {
    const path = join(folder, `kinds-${randomUUID()}.db`);
    const { store, scheduler } = worker(path, `kinds-${randomUUID()}`);
    const ran: string[] = [];
    await scheduler.start(async (job) => {
      ran.push(job.id);
    });
    // A deadline the cascade stored in the hub's store (its own kind), due now, and one of the scheduler's jobs.
    const cascadeJob: ScheduledJob = {
      id: 'cascade:-/cascade_1:0:deadline:1',
      kind: 'cascade.step',
      runAt: Date.now() - 1,
      payload: { key: '-/cascade_1', step: 0, action: 'deadline' },
      status: 'pending',
      attempts: 0,
    };
    await store.scheduleJob(cascadeJob);
    await scheduler.schedule({ id: 'visit-3:reminder', kind: 'reminder', runAt: Date.now() - 1 });
    expect(await scheduler.runDue()).toEqual(['visit-3:reminder']);
    // A wake-up for the cascade's job (a stray one, or a queue shared by mistake) does not make the scheduler take it.
    await scheduler.queue.add('cascade.step', { id: cascadeJob.id }, { jobId: 'stray-wake-up' });
    await waitFor(async () => (await scheduler.queue.getJobState('stray-wake-up')) !== 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Dropped, not re-delayed forever.
    expect(await scheduler.queue.getJobCounts('wait', 'active', 'delayed')).toEqual({ wait: 0, active: 0, delayed: 0 });
    expect(ran).toEqual(['visit-3:reminder']);
    expect(await store.getJob(cascadeJob.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // The cascade's own runner still claims it.
    expect((await store.claimDueJobs(Date.now(), 10, 60_000, ['cascade.step'])).map((job) => job.id)).toEqual([cascadeJob.id]);
  }, 30_000);

  it('refuses to schedule a kind it does not run, and to be created without kinds', async () => {
    const path = join(folder, `refuse-${randomUUID()}.db`);
    const { scheduler, store } = worker(path, `refuse-${randomUUID()}`);
    await expect(scheduler.schedule({ id: 'x', kind: 'cascade.step', runAt: Date.now() })).rejects.toThrow(
      /kind: "cascade.step" is not one of this scheduler's kinds \(reminder\)/,
    );
    expect(await store.getJob('x')).toBeUndefined();
    expect(() => createBullMqScheduler({ connection: connection(), queueName: 'q', store, kinds: [] })).toThrow(/kinds:/);
  });
});
