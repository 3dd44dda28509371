import { createHash } from 'node:crypto';
import { OmnidealerError } from '@omnidealer/core';
import pg, { type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { PostgresStoreError, type PostgresStoreErrorReason } from './postgres-store-error.js';

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

/** A 64-bit advisory lock key for a string, as a decimal literal (computed here, so BEGIN and the lock share one trip). */
function lockKey(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString();
}

const statementNames = new Map<string, string>();
/** A prepared-statement name for an SQL text: each connection parses a statement once, then only binds it. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `omnidealer_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pool plus what every call needs: retries, error classification, transactions. */
export interface Connection {
  /** `host:port/database`, for error messages. */
  readonly server: string;
  /** One statement outside a transaction (a single statement is atomic by itself). */
  query<R extends QueryResultRow>(text: string, values: unknown[], options: CallOptions): Promise<QueryResult<R>>;
  /** `work` inside BEGIN … COMMIT on one connection, after the advisory locks in `options.locks`. */
  transaction<T>(work: (context: CallContext) => Promise<T>, options: CallOptions): Promise<T>;
  /** `work` with a connection of its own and no transaction around it. */
  withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
}

/** An array as a PostgreSQL array literal's text (`{"a","b"}`). */
function arrayText(values: readonly unknown[]): string {
  return `{${values.map((value) => `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** One value as an SQL literal, for the statements a transaction sends in one simple-protocol round trip. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return pg.escapeLiteral(arrayText(value));
  return pg.escapeLiteral(String(value));
}

/**
 * `text` with its `$n` placeholders replaced by the values as escaped literals (`escapeLiteral` of pg). Lets a
 * transaction send BEGIN, its locks and its first read — or its last write and COMMIT — as one simple-protocol query:
 * two round trips per atomic update instead of four. Statement texts hold `$` only in placeholders (schema names are
 * plain identifiers without `$`).
 */
function inline(text: string, values: unknown[] = []): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => literal(values[Number(index) - 1]));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a pg pool. A failure to get a connection is retried (`retries` times, 50 ms then ×4); so is a transaction whose
 * connection broke or that hit a deadlock before the user's callback ran. Past that point the error is surfaced as a
 * retryable {@link PostgresStoreError}: the server rolled the transaction back, nothing of it is written — unless the
 * connection broke during COMMIT (`commit_unknown`).
 */
export function createConnection(pool: Pool, server: string, retries: number): Connection {
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
      let pending: string[] = inTransaction
        ? [
            'BEGIN',
            ...[...new Set(options.locks ?? [])]
              .map(lockKey)
              .sort()
              .map((key) => `SELECT pg_advisory_xact_lock(${key})`),
          ]
        : [];
      let begun = false;
      let committed = !inTransaction;
      /** Sends `statements` (with BEGIN and the locks when still pending) as one query; answers the last result before `tail`. */
      const batch = async <R extends QueryResultRow>(statements: string[], tail: string[]): Promise<QueryResult<R>> => {
        const all = [...pending, ...statements, ...tail];
        pending = [];
        begun = true;
        const results = (await client.query(all.join('; '))) as unknown as QueryResult<R> | Array<QueryResult<R>>;
        return Array.isArray(results) ? (results[results.length - 1 - tail.length] as QueryResult<R>) : results;
      };
      const named = runOn(client);
      const context: CallContext = {
        run: <R extends QueryResultRow>(text: string, values?: unknown[]) =>
          pending.length > 0 ? batch<R>([inline(text, values)], []) : named<R>(text, values),
        commit: async <R extends QueryResultRow>(text: string, values?: unknown[]) => {
          if (!inTransaction) return named<R>(text, values);
          phase = 'commit';
          const result = await batch<R>([inline(text, values)], ['COMMIT']);
          committed = true;
          return result;
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

  return {
    server,
    query: (text, values, options) => call(({ run }) => run(text, values), options, false),
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
