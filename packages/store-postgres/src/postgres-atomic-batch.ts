import type { QueryResult } from 'pg';
import type { CallContext, CallOptions, Statement } from './postgres-connection.js';
import { checkValues } from './postgres-pipeline.js';
import { PostgresStoreError } from './postgres-store-error.js';

/**
 * An atomic read-change-write (see `Connection.atomic`): the advisory locks to take, the read (`… FOR UPDATE`),
 * and what to write once the caller's update ran on what was read.
 */
export interface AtomicStep<T> {
  /** Transaction-scoped advisory locks on what the step changes (hashed to 64 bits). */
  locks: string[];
  read: Statement;
  /** Names of the rows the read returned: a step of the same batch that read one of them waits for the next batch. */
  rows(result: QueryResult): string[];
  /** Runs the caller's update (synchronously, once) on what was read; the writes and the value to resolve with. */
  write(result: QueryResult): { statements: Statement[]; value: T };
}

/** An atomic step waiting for its event-loop turn's batch. */
interface QueuedStep {
  step: AtomicStep<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most statements sent in one group or steps in one batch: a longer queue is split. */
export const maxGroup = 64;

/** Runs `work` inside BEGIN … COMMIT after the advisory locks in `options.locks` (Connection.transaction). */
type Transaction = <T>(work: (context: CallContext) => Promise<T>, options: CallOptions) => Promise<T>;

/**
 * The atomic read-change-writes of a connection (see Connection.atomic). With `group`, the steps asked for in one
 * event-loop turn share one transaction; without, each runs in its own.
 */
export function createAtomicBatcher(transaction: Transaction, group: boolean): <T>(step: AtomicStep<T>) => Promise<T> {
  // Batched atomic steps: the steps of one event-loop turn share a transaction (see Connection.atomic). Steps on a
  // lock another queued step holds, and steps whose read returned a row an earlier step of the batch read, wait for
  // the next batch: no two updates of one batch ever see the same row. Locks are taken in one sorted order by every
  // transaction, so batches cannot deadlock on them; a deadlock with a row lock is retried before any update ran.
  let atomicQueue: Array<QueuedStep> | undefined;
  const enqueueStep = (step: QueuedStep) => {
    if (!atomicQueue) {
      atomicQueue = [];
      setImmediate(flushSteps);
    }
    atomicQueue.push(step);
  };
  function flushSteps(): void {
    const queued = atomicQueue ?? [];
    atomicQueue = undefined;
    const held = new Set<string>();
    const batch: QueuedStep[] = [];
    for (const step of queued) {
      if (batch.length >= maxGroup || step.step.locks.some((key) => held.has(key))) {
        enqueueStep(step);
        continue;
      }
      for (const key of step.step.locks) held.add(key);
      batch.push(step);
    }
    if (batch.length > 0) void runSteps(batch, batch.length > 1);
  }
  async function runSteps(batch: QueuedStep[], together: boolean): Promise<void> {
    const reads: Statement[] = [];
    const runnable: QueuedStep[] = [];
    for (const queuedStep of batch) {
      try {
        checkValues(queuedStep.step.read);
        reads.push(queuedStep.step.read);
        runnable.push(queuedStep);
      } catch (error) {
        queuedStep.reject(error);
      }
    }
    if (runnable.length === 0) return;
    // Steps that failed on their own (their update threw): never run again, even when the transaction is retried.
    const failed = new Set<QueuedStep>();
    const fail = (queuedStep: QueuedStep, error: unknown) => {
      failed.add(queuedStep);
      queuedStep.reject(error);
    };
    // Filled by each try of the transaction: [step, value] of the steps that ran, the steps left for the next batch.
    let ran: Array<[QueuedStep, unknown]> = [];
    let deferred: QueuedStep[] = [];
    try {
      await transaction(
        async (context) => {
          ran = [];
          deferred = [];
          const results = await context.runAll(reads);
          const seen = new Set<string>();
          const writes: Statement[] = [];
          for (const [index, queuedStep] of runnable.entries()) {
            if (failed.has(queuedStep)) continue;
            const result = results[index] as QueryResult;
            const rows = queuedStep.step.rows(result);
            if (rows.some((row) => seen.has(row))) {
              deferred.push(queuedStep);
              continue;
            }
            for (const row of rows) seen.add(row);
            try {
              const { statements, value } = context.once(() => queuedStep.step.write(result));
              for (const statement of statements) checkValues(statement);
              writes.push(...statements);
              ran.push([queuedStep, value]);
            } catch (error) {
              // Its update threw, or its values cannot be written: nothing of it is written; the others go on.
              fail(queuedStep, error);
            }
          }
          if (writes.length > 0) await context.commitAll(writes);
        },
        { idempotent: false, locks: runnable.flatMap((queuedStep) => queuedStep.step.locks) },
      );
    } catch (error) {
      const reason = PostgresStoreError.isInstance(error) ? error.reason : undefined;
      const waiting = new Set(deferred);
      const unsettled = runnable.filter((queuedStep) => !failed.has(queuedStep) && !waiting.has(queuedStep));
      // A statement's own error before any update ran: each step runs again in a transaction of its own, so only the
      // failing one fails. Otherwise (an update ran, the server is gone) it is the answer of every step not deferred.
      if (together && ran.length === 0 && failed.size === 0 && (reason === 'query' || reason === 'conflict')) {
        for (const queuedStep of runnable) void runSteps([queuedStep], false);
        return;
      }
      for (const queuedStep of unsettled) queuedStep.reject(error);
      for (const queuedStep of deferred) enqueueStep(queuedStep);
      return;
    }
    for (const [queuedStep, value] of ran) queuedStep.resolve(value);
    for (const queuedStep of deferred) enqueueStep(queuedStep);
  }

  return <T>(step: AtomicStep<T>) =>
    new Promise<T>((resolve, reject) => {
      const queuedStep: QueuedStep = { step, resolve: resolve as (value: unknown) => void, reject };
      if (group) enqueueStep(queuedStep);
      else void runSteps([queuedStep], false);
    });
}
