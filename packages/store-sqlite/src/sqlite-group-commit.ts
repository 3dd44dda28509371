import type Database from 'better-sqlite3';

interface PendingWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { value: unknown } | { error: unknown };
}

/** Runs a write in the shared transaction and resolves once that transaction is committed. */
export type GroupWrite = <T>(write: () => T) => Promise<T>;

/**
 * Group commit: the writes asked for during one event-loop turn run together, in call order, in one `BEGIN IMMEDIATE`
 * transaction at the end of the turn (`setImmediate`), and each promise settles only after that COMMIT — so what a
 * caller was told is stored is on disk, as with one transaction per write. A commit is most of a small write's cost
 * (≈ 43 µs of CPU in WAL mode here, against ≈ 8 µs for the write itself): 32 sends in flight, each waiting on its own
 * writes, now share a commit instead of paying one per write.
 *
 * Each write runs in its own savepoint: one that fails (a constraint, a bad value) is undone and rejected alone. A
 * failure that ends the whole transaction (a full disk, an I/O error) or a failed COMMIT rejects every write of the
 * batch. The write lock is held only while the batch runs, never across turns, so other connections (other
 * processes, or another store on the same file in this one) are not held up longer than before.
 */
export function createGroupCommit(database: Database.Database): { write: GroupWrite; flush: () => void } {
  let queue: PendingWrite[] | undefined;
  const runAlone = database.transaction((write: () => unknown) => write());
  const runBatch = database.transaction((batch: PendingWrite[]) => {
    for (const pending of batch) {
      try {
        pending.outcome = { value: runAlone(pending.write) };
      } catch (error) {
        if (!database.inTransaction) throw error;
        pending.outcome = { error };
      }
    }
  });

  /** Runs and commits what is queued now (also called by `close`, so nothing queued is dropped). */
  function flush(): void {
    const batch = queue;
    queue = undefined;
    if (!batch) return;
    try {
      runBatch.immediate(batch);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const { outcome, resolve, reject } of batch) {
      if (outcome && 'error' in outcome) reject(outcome.error);
      else resolve(outcome?.value);
    }
  }

  const write: GroupWrite = <T>(work: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (!queue) {
        queue = [];
        setImmediate(flush);
      }
      queue.push({ write: work, resolve: resolve as (value: unknown) => void, reject });
    });
  return { write, flush };
}
