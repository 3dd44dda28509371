import { createHash } from 'node:crypto';
import { OmnidealerError } from '@omnidealer/core';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { type AtomicStep, createAtomicBatcher, maxGroup } from './postgres-atomic-batch.js';
import { checkValues, runPipeline, type Statement, statementName } from './postgres-pipeline.js';
import { PostgresStoreError, type PostgresStoreErrorReason } from './postgres-store-error.js';

export type { AtomicStep, Statement };

/** Runs one statement on the connection a call holds. */
export type Run = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<QueryResult<R>>;

/** How a call may be retried when the connection fails. */
export interface CallOptions {
  /**
   * Running the call twice stores the same as running it once (an upsert keyed by id): retried even when the
   * connection broke after the statement or the COMMIT was sent.
   */
  idempotent: boolean;
  /** Transaction-scoped advisory locks to take first (each key hashed to 64 bits), in a fixed order. */
  locks?: string[];
}

/**
 * What a call's work gets: `run` for statements, `commit` for a transaction's last write (sent with its COMMIT, in one
 * round trip), `once` to call the user's callback (never retried after it).
 */
export interface CallContext {
  run: Run;
  commit: Run;
  once<T>(callback: () => T): T;
  /** Statements in one round trip (after BEGIN and the locks when pending); their results. */
  runAll(statements: Statement[]): Promise<QueryResult[]>;
  /** Writes sent with COMMIT in one round trip. */
  commitAll(statements: Statement[]): Promise<void>;
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'ENOENT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const connectionMessages =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Connection timeout|not queryable/i;

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for an error of the connection itself (not an error PostgreSQL answered for a statement). */
function isConnectionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (
    state !== undefined &&
    (connectionCodes.has(state) || state.startsWith('08') || ['57P01', '57P02', '57P03'].includes(state))
  ) {
    return true;
  }
  return error instanceof Error && connectionMessages.test(error.message);
}

const isConflict = (error: unknown) => ['40001', '40P01'].includes(sqlStateOf(error) ?? '');
const isAuthError = (error: unknown) => ['28000', '28P01', '3D000'].includes(sqlStateOf(error) ?? '');

/** A 64-bit advisory lock key for a string, as a decimal string (computed here, so BEGIN and the lock share one trip). */
function lockKey(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString();
}

const begin: Statement = { text: 'BEGIN', values: [] };
const commit: Statement = { text: 'COMMIT', values: [] };
/** The locks of a transaction, in the order of the array (unnest keeps it): one statement whatever their number. */
const takeLocks = (keys: string[]): Statement => ({
  text: 'SELECT pg_advisory_xact_lock(key) FROM unnest($1::bigint[]) AS key',
  values: [keys],
});

/** The pool plus what every call needs: retries, error classification, transactions. */
export interface Connection {
  /** `host:port/database`, for error messages. */
  readonly server: string;
  /** One statement outside a transaction (a single statement is atomic by itself). */
  query<R extends QueryResultRow>(text: string, values: unknown[], options: CallOptions): Promise<QueryResult<R>>;
  /** `work` inside BEGIN … COMMIT on one connection, after the advisory locks in `options.locks`. */
  transaction<T>(work: (context: CallContext) => Promise<T>, options: CallOptions): Promise<T>;
  /**
   * One idempotent statement (a read, or an upsert keyed by id) that may share one round trip and one commit with the
   * others asked for in the same event-loop turn (see {@link createConnection}); resolves after that commit.
   */
  grouped<R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>>;
  /**
   * One atomic read-change-write. The steps asked for in one event-loop turn (on distinct locks) run as one
   * transaction: BEGIN, every lock (sorted) and every read in one round trip; each caller's update; every write and
   * COMMIT in a second. Each resolves after that commit.
   */
  atomic<T>(step: AtomicStep<T>): Promise<T>;
  /** `work` with a connection of its own and no transaction around it. */
  withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

/** A statement waiting for its event-loop turn's group (see {@link Connection.grouped}). */
interface GroupedStatement {
  text: string;
  values: unknown[];
  resolve: (result: QueryResult) => void;
  reject: (error: unknown) => void;
}

/** A plain read (no `FOR UPDATE`): it may go in a group that writes nothing. */
const isRead = (text: string) => text.startsWith('SELECT') && !text.includes('FOR UPDATE');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a pg pool. A failure to get a connection is retried (`retries` times, 50 ms then ×4); so is a transaction whose
 * connection broke or that hit a deadlock before the user's callback ran. Past that point the error is surfaced as a
 * retryable {@link PostgresStoreError}: the server rolled the transaction back, nothing of it is written — unless the
 * connection broke during COMMIT (`commit_unknown`).
 */
export function createConnection(pool: Pool, server: string, retries: number, group = true): Connection {
  const wrap = (error: unknown, phase: 'connect' | 'statement' | 'commit'): unknown => {
    if (OmnidealerError.isInstance(error)) return error;
    const state = sqlStateOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    let reason: PostgresStoreErrorReason;
    let message: string;
    if (isAuthError(error)) {
      reason = 'auth';
      message = `PostgreSQL at ${server} refused the connection: ${detail}`;
    } else if (isConnectionError(error)) {
      reason = phase === 'connect' ? 'connect' : phase === 'commit' ? 'commit_unknown' : 'connection_lost';
      message =
        reason === 'connect'
          ? `cannot connect to PostgreSQL at ${server}: ${detail}`
          : reason === 'commit_unknown'
            ? `the connection to PostgreSQL at ${server} broke during COMMIT; the write may or may not be stored: ${detail}`
            : `the connection to PostgreSQL at ${server} broke; the transaction was rolled back: ${detail}`;
    } else if (isConflict(error)) {
      reason = 'conflict';
      message = `PostgreSQL at ${server} aborted the transaction (${state}); nothing of it is written: ${detail}`;
    } else {
      reason = 'query';
      message = `PostgreSQL at ${server}: ${detail}`;
    }
    return new PostgresStoreError({ reason, server, sqlState: state, message, cause: error });
  };

  async function connect(): Promise<PoolClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await pool.connect();
      } catch (error) {
        const wrapped = wrap(error, 'connect');
        if (attempt >= retries || !PostgresStoreError.isInstance(wrapped) || !wrapped.retryable) throw wrapped;
        await sleep(50 * 4 ** attempt);
      }
    }
  }

  const runOn =
    (client: PoolClient): Run =>
    (text, values) =>
      client.query({ name: statementName(text), text, values: values ?? [] });

  async function call<T>(
    work: (context: CallContext, client: PoolClient) => Promise<T>,
    options: CallOptions,
    inTransaction: boolean,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await connect();
      let invoked = false;
      let phase: 'statement' | 'commit' = 'statement';
      let broken = false;
      // BEGIN and the locks wait to go out with the transaction's first statement; `committed` once COMMIT was sent.
      // The locks in one statement, in sorted order (the target list is evaluated left to right): every transaction
      // takes its locks in that one order, so two never wait for each other's (a deadlock would still be detected by
      // the server and retried, before any callback ran).
      const keys = [...new Set(options.locks ?? [])].map(lockKey).sort();
      let pending: Statement[] = inTransaction ? (keys.length > 0 ? [begin, takeLocks(keys)] : [begin]) : [];
      let begun = false;
      let committed = !inTransaction;
      /** Sends `statements` (with BEGIN and the locks when still pending) in one round trip; answers their results. */
      const batch = async (statements: Statement[], tail: Statement[]): Promise<QueryResult[]> => {
        const skipped = pending.length;
        const all = [...pending, ...statements, ...tail];
        pending = [];
        begun = true;
        const results = await runPipeline(client, all);
        return results.slice(skipped, skipped + statements.length);
      };
      const last = <R extends QueryResultRow>(results: QueryResult[]) => results[results.length - 1] as QueryResult<R>;
      const named = runOn(client);
      const context: CallContext = {
        run: async <R extends QueryResultRow>(text: string, values?: unknown[]) =>
          pending.length > 0 ? last<R>(await batch([{ text, values: values ?? [] }], [])) : named<R>(text, values),
        commit: async <R extends QueryResultRow>(text: string, values?: unknown[]) => {
          if (!inTransaction) return named<R>(text, values);
          phase = 'commit';
          const result = last<R>(await batch([{ text, values: values ?? [] }], [commit]));
          committed = true;
          return result;
        },
        runAll: (statements) => batch(statements, []),
        async commitAll(statements) {
          if (!inTransaction) throw new Error('commitAll outside a transaction');
          phase = 'commit';
          await batch(statements, [commit]);
          committed = true;
        },
        once(callback) {
          invoked = true;
          return callback();
        },
      };
      try {
        const result = await work(context, client);
        if (!committed && begun) {
          phase = 'commit';
          await client.query('COMMIT');
        }
        return result;
      } catch (error) {
        broken = isConnectionError(error);
        if (inTransaction && begun && !broken) await client.query('ROLLBACK').catch(() => undefined);
        const wrapped = wrap(error, phase);
        const canRetry =
          attempt < retries &&
          !invoked &&
          (broken || isConflict(error)) &&
          (phase === 'statement' || options.idempotent) &&
          // A statement outside a transaction may have been applied before the connection broke.
          (inTransaction || options.idempotent);
        if (!canRetry) throw wrapped;
      } finally {
        client.release(broken);
      }
      await sleep(50 * 4 ** attempt);
    }
  }

  const query = <R extends QueryResultRow>(text: string, values: unknown[], options: CallOptions) =>
    call(({ run }) => run<R>(text, values), options, false);

  // Group commit: the statements asked for in one event-loop turn go to the server as one pipeline of prepared
  // statements ending in one Sync (runPipeline), which PostgreSQL runs as one implicit transaction — one round trip and one commit (one WAL flush) for all of them, and
  // every caller is answered after that commit. A statement that fails rolls the whole group back (nothing of it is
  // written); each statement is then run again alone, so only the failing one fails. Only idempotent statements are
  // grouped: a group whose connection broke is retried whole.
  // Reads and writes go in separate groups: a group of reads writes nothing, so its commit waits for no WAL flush, and
  // a read is not held up by the flush of the writes asked for in the same turn.
  const queues: { read: GroupedStatement[] | undefined; write: GroupedStatement[] | undefined } = {
    read: undefined,
    write: undefined,
  };
  const runAlone = (statement: GroupedStatement) =>
    query(statement.text, statement.values, { idempotent: true }).then(statement.resolve, statement.reject);
  function flush(kind: 'read' | 'write'): void {
    const statements = queues[kind] ?? [];
    queues[kind] = undefined;
    for (let start = 0; start < statements.length; start += maxGroup) {
      // A statement with a value PostgreSQL refuses (a NUL) runs alone, where its error is its own.
      const group: GroupedStatement[] = [];
      for (const statement of statements.slice(start, start + maxGroup)) {
        try {
          checkValues(statement);
          group.push(statement);
        } catch {
          void runAlone(statement);
        }
      }
      if (group.length < 2) {
        for (const statement of group) void runAlone(statement);
        continue;
      }
      call((_context, client) => runPipeline(client, group), { idempotent: true }, false).then(
        (results) => {
          for (const [index, statement] of group.entries()) statement.resolve(results[index] as QueryResult);
        },
        (error: unknown) => {
          const reason = PostgresStoreError.isInstance(error) ? error.reason : undefined;
          // A statement's own error (a value the server refuses, a NUL in a text): the group was rolled back; each
          // runs again alone. Anything else (the server is gone, the commit's outcome unknown) is every statement's answer.
          for (const statement of group) {
            if (reason === 'query' || reason === 'conflict') void runAlone(statement);
            else statement.reject(error);
          }
        },
      );
    }
  }

  const atomic = createAtomicBatcher((work, options) => call(work, options, true), group);

  return {
    server,
    query,
    atomic,
    grouped: <R extends QueryResultRow>(text: string, values: unknown[]) => {
      if (!group) return query<R>(text, values, { idempotent: true });
      return new Promise<QueryResult<R>>((resolve, reject) => {
        const kind = isRead(text) ? 'read' : 'write';
        let queue = queues[kind];
        if (!queue) {
          queue = queues[kind] = [];
          setImmediate(flush, kind);
        }
        queue.push({ text, values, resolve: resolve as (result: QueryResult) => void, reject });
      });
    },
    transaction: (work, options) => call(work, options, true),
    async withClient(work) {
      const client = await connect();
      let broken = false;
      try {
        return await work(client);
      } catch (error) {
        broken = isConnectionError(error);
        throw wrap(error, 'statement');
      } finally {
        client.release(broken);
      }
    },
  };
}
