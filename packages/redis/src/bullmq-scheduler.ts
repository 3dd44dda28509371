import { type Clock, type Logger, OmnidealerError, type ScheduledJob, type Store } from '@omnidealer/core';
import { createRedactingLogger, silentLogger, systemClock } from '@omnidealer/core/provider-utils';
import { type ConnectionOptions, DelayedError, type Job, Queue, Worker } from 'bullmq';

/** Runs one due job. Throwing leaves the job leased: it runs again when the lease ends. */
export type JobHandler = (job: ScheduledJob) => Promise<void>;

/** What {@link BullMqScheduler.schedule} takes. */
export interface ScheduleJobInput {
  /** Your id for the job (e.g. `visit-981:reminder`); scheduling the same id again moves it instead of adding one. */
  id: string;
  /** Who runs it, e.g. `reminder`: one of the scheduler's `kinds`. */
  kind: string;
  /** When it is due, in ms since the epoch (by the scheduler's clock). */
  runAt: number;
  payload?: Record<string, unknown>;
}

/** Options of {@link createBullMqScheduler}. */
export interface BullMqSchedulerOptions {
  /** The Redis BullMQ uses: ioredis options, or an ioredis instance created with `maxRetriesPerRequest: null`. */
  connection: ConnectionOptions;
  /** BullMQ queue name; every process sharing a schedule uses the same one. */
  queueName: string;
  /** The store that holds the jobs (your database or SQLite): the source of truth and the exactly-once arbiter. */
  store: Store;
  /**
   * The job kinds this scheduler schedules and runs, e.g. `['reminder']`. It claims only jobs of these kinds from the
   * store: the hub's store also holds other runners' jobs (the cascade's `cascade.step` deadlines, which
   * `cascade.start()` runs), and those are left to their owners. Scheduling another kind throws.
   */
  kinds: readonly string[];
  /** @default the system clock */
  clock?: Clock;
  /** How long a claimed job is held before another worker may retake it; longer than your slowest step. @default 60000 */
  leaseMs?: number;
  /** A job claimed more often than this is cancelled instead of run (a poison job). @default 10 */
  maxAttempts?: number;
  /** Jobs one worker runs at once. @default 1 */
  concurrency?: number;
  /**
   * How often a started worker also claims due jobs straight from the store, catching jobs whose wake-up never reached
   * Redis (a crash between the store write and the enqueue, a flushed Redis). 0 turns it off. @default 30000
   */
  sweepIntervalMs?: number;
  /** BullMQ lock of an active wake-up; after a worker dies, its wake-ups go back to the queue within about this. @default 30000 */
  lockDurationMs?: number;
  /** How often BullMQ looks for wake-ups whose worker died. @default 30000 */
  stalledIntervalMs?: number;
  /** BullMQ key prefix. @default 'bull' */
  prefix?: string;
  /** Receives redacted log lines (pino's `(fields, message)` order: a pino logger fits). @default silent */
  logger?: Logger;
}

/** A schedule shared by every process on one Redis: due jobs run exactly once, whichever worker picks them up. */
export interface BullMqScheduler {
  /** The BullMQ queue of wake-ups (for dashboards and metrics). */
  readonly queue: Queue;
  /**
   * Stores the job (pending, committed first), then enqueues its wake-up as a delayed BullMQ job with the same id.
   * @throws OmnidealerError (`validation`) when its kind is not one of the scheduler's `kinds`.
   */
  schedule(input: ScheduleJobInput): Promise<ScheduledJob>;
  /** Cancels a job that has not run; a job already done stays done. */
  cancel(id: string): Promise<void>;
  /** Starts this process's worker: due jobs are handed to `handler`. */
  start(handler: JobHandler): Promise<void>;
  /** Claims and runs the jobs due now, straight from the store (what the sweep does). Returns the ids that ran. */
  runDue(): Promise<string[]>;
  /** Stops the worker (waiting for running jobs unless `force`) and closes the queue. */
  close(options?: { force?: boolean }): Promise<void>;
}

/** BullMQ refuses custom ids that are integers or contain `:`; map those one-to-one onto ids it accepts. */
export function toBullJobId(id: string): string {
  if (/^\d+$/.test(id)) return `%${id}`;
  return id.replaceAll('%', '%25').replaceAll(':', '%3A');
}

/**
 * Creates a {@link BullMqScheduler}. The store stays the source of truth: a job is committed there before its
 * wake-up goes to Redis, and it runs only after this worker leases it in the store (`claimDueJobs`), so two workers
 * woken for one job — or a duplicate wake-up — never both run it. BullMQ brings the wake-up to some worker at the
 * due time; a worker that dies mid-step leaves its wake-up stalled, BullMQ hands it to another worker, and that worker
 * re-delays it until the dead worker's store lease ends, then runs the step (`attempts` 2).
 *
 * Steps can still start twice if a worker dies (or outlives its lease) mid-step, so make them idempotent — e.g. send
 * with `idempotencyKey: job.id`.
 * @example
 * const scheduler = createBullMqScheduler({ connection: { host: '127.0.0.1', port: 6379 }, queueName: 'omnidealer', store, kinds: ['reminder'] });
 * await scheduler.start(async (job) => sendReminder(job.payload, { idempotencyKey: job.id }));
 * await scheduler.schedule({ id: 'visit-981:reminder', kind: 'reminder', runAt: Date.now() + 3_600_000, payload: { visitId: 981 } });
 * @throws OmnidealerError (`validation`) when `kinds` is empty.
 * @see https://docs.bullmq.io/guide/jobs/delayed
 */
export function createBullMqScheduler(options: BullMqSchedulerOptions): BullMqScheduler {
  const clock = options.clock ?? systemClock;
  const logger = createRedactingLogger(options.logger ?? silentLogger);
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const prefix = options.prefix ?? 'bull';
  const kinds = [...options.kinds];
  if (kinds.length === 0 || kinds.some((kind) => typeof kind !== 'string' || kind.length === 0))
    throw new OmnidealerError({ code: 'validation', message: 'kinds: name at least one job kind this scheduler runs' });
  const queue = new Queue<{ id: string }>(options.queueName, { connection: options.connection, prefix });
  let worker: Worker<{ id: string }> | undefined;
  let handler: JobHandler | undefined;
  let sweep: ReturnType<typeof setInterval> | undefined;

  const delayUntil = (at: number) => Math.max(0, at - clock.now());

  async function enqueue(job: ScheduledJob): Promise<void> {
    const jobId = toBullJobId(job.id);
    const delay = delayUntil(job.runAt);
    const existing = await queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      // A waiting or active wake-up re-checks the store when it runs and re-delays itself if it came too early.
      if (state === 'delayed') return existing.changeDelay(delay).catch(() => undefined);
      if (state !== 'completed' && state !== 'failed') return;
      await existing.remove().catch(() => undefined);
    }
    await queue.add(
      job.kind,
      { id: job.id },
      { jobId, delay, removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
    );
  }

  /** Runs one leased job; completes it only if the lease is still ours (nobody retook it meanwhile). */
  async function execute(job: ScheduledJob): Promise<void> {
    if (!handler) return;
    if (job.attempts > maxAttempts) {
      logger.error({ jobId: job.id, kind: job.kind, attempts: job.attempts }, 'scheduled job cancelled after too many attempts');
      await options.store.cancelJob(job.id);
      return;
    }
    try {
      await handler(job);
    } catch (error) {
      logger.warn(
        {
          jobId: job.id,
          kind: job.kind,
          attempts: job.attempts,
          error: error instanceof Error ? error.message : String(error),
        },
        'scheduled job failed; it runs again when its lease ends',
      );
      return;
    }
    const current = await options.store.getJob(job.id);
    if (current?.status === 'running' && current.attempts === job.attempts) await options.store.completeJob(job.id);
    else logger.warn({ jobId: job.id, attempts: job.attempts }, 'scheduled job finished after its lease was taken over');
  }

  async function claimAndRun(limit: number): Promise<string[]> {
    if (!handler) throw new Error('start the scheduler with a handler before running jobs');
    const claimed = await options.store.claimDueJobs(clock.now(), limit, leaseMs, kinds);
    for (const job of claimed) await execute(job);
    return claimed.map((job) => job.id);
  }

  async function processWakeUp(bullJob: Job<{ id: string }>, token?: string): Promise<void> {
    await claimAndRun(1);
    const own = await options.store.getJob(bullJob.data.id);
    // Another runner's job (a stray wake-up): not ours to run or to keep waking.
    if (!own || own.status === 'done' || own.status === 'cancelled' || !kinds.includes(own.kind)) return;
    // Not done yet: not due (woken early, or rescheduled later), due behind other jobs, or leased by a worker that
    // may have died. Sleep until it can be claimed, keeping the same BullMQ id.
    const wakeAt = own.status === 'pending' ? own.runAt : (own.leaseUntil ?? clock.now()) + 1;
    await bullJob.moveToDelayed(Date.now() + delayUntil(wakeAt), token);
    throw new DelayedError();
  }

  async function runDue(): Promise<string[]> {
    const ran: string[] = [];
    for (;;) {
      const batch = await claimAndRun(10);
      ran.push(...batch);
      if (batch.length < 10) return ran;
    }
  }

  return {
    queue,
    runDue,
    async schedule(input) {
      if (!kinds.includes(input.kind))
        throw new OmnidealerError({
          code: 'validation',
          message: `kind: "${input.kind}" is not one of this scheduler's kinds (${kinds.join(', ')}); no worker would run it`,
        });
      const job: ScheduledJob = {
        id: input.id,
        kind: input.kind,
        runAt: input.runAt,
        payload: input.payload ?? {},
        status: 'pending',
        attempts: 0,
      };
      await options.store.scheduleJob(job);
      try {
        await enqueue(job);
      } catch (error) {
        // The job is durable in the store; the sweep runs it when due even without its wake-up.
        logger.warn(
          {
            jobId: job.id,
            error: error instanceof Error ? error.message : String(error),
          },
          'could not enqueue a wake-up; the sweep will run the job',
        );
      }
      return job;
    },
    async cancel(id) {
      await options.store.cancelJob(id);
      await queue.remove(toBullJobId(id)).catch(() => undefined);
    },
    async start(jobHandler) {
      if (worker) throw new Error('this scheduler is already started');
      handler = jobHandler;
      worker = new Worker<{ id: string }>(options.queueName, processWakeUp, {
        connection: options.connection,
        prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: 1000,
      });
      worker.on('error', (error) => logger.error({ error: error.message }, 'BullMQ worker error'));
      await worker.waitUntilReady();
      const every = options.sweepIntervalMs ?? 30_000;
      if (every > 0) {
        sweep = setInterval(() => {
          runDue().catch((error: unknown) =>
            logger.error({ error: error instanceof Error ? error.message : String(error) }, 'scheduler sweep failed'),
          );
        }, every);
        sweep.unref();
      }
    },
    async close(closeOptions = {}) {
      if (sweep) clearInterval(sweep);
      await worker?.close(closeOptions.force ?? false);
      await queue.close();
    },
  };
}
