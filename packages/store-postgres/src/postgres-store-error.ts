import { OmnidealerError } from '@omnidealer/core';

const marker = Symbol.for('omnidealer.PostgresStoreError');

/**
 * Why a {@link PostgresStoreError} was thrown:
 * - `connect`: the server could not be reached (refused, unknown host, timeout) — retryable;
 * - `auth`: the server refused the user or password, or the database does not exist — not retryable;
 * - `connection_lost`: the connection broke during a call; the transaction was rolled back by the server, nothing of
 *   it is written — retryable;
 * - `commit_unknown`: the connection broke while committing, so the write may or may not be stored — retryable when
 *   the write is idempotent (every hub write is keyed by id);
 * - `conflict`: a deadlock or serialisation failure that persisted through the store's own retries — retryable;
 * - `schema_too_new`: the database was migrated by a newer release of this package — not retryable: upgrade;
 * - `query`: any other error PostgreSQL answered — not retryable.
 */
export type PostgresStoreErrorReason =
  | 'connect'
  | 'auth'
  | 'connection_lost'
  | 'commit_unknown'
  | 'conflict'
  | 'schema_too_new'
  | 'query';

/**
 * An error of `@omnidealer/store-postgres`. Names the server as `host:port/database` — never the user's password,
 * which is not part of any message or field — and carries PostgreSQL's SQLSTATE when the server answered one.
 * @example
 * try {
 *   await store.migrate();
 * } catch (error) {
 *   if (PostgresStoreError.isInstance(error) && error.reason === 'auth') console.error('check DATABASE_URL for', error.server);
 * }
 */
export class PostgresStoreError extends OmnidealerError {
  readonly [marker] = true;
  /** What went wrong; see {@link PostgresStoreErrorReason}. */
  readonly reason: PostgresStoreErrorReason;
  /** `host:port/database` of the server (a Unix socket folder for `host`), without user or password. */
  readonly server: string;
  /** PostgreSQL's SQLSTATE (e.g. `28P01` for a wrong password), or the Node error code (`ECONNREFUSED`). */
  readonly sqlState: string | undefined;

  constructor(options: {
    message: string;
    reason: PostgresStoreErrorReason;
    server: string;
    sqlState?: string | undefined;
    cause?: unknown;
  }) {
    const retryable = ['connect', 'connection_lost', 'commit_unknown', 'conflict'].includes(options.reason);
    const code =
      options.reason === 'auth'
        ? 'auth'
        : options.reason === 'schema_too_new'
          ? 'validation'
          : retryable
            ? 'network'
            : 'provider_error';
    super({
      message: options.message,
      code,
      retryable,
      ...(options.sqlState === undefined ? {} : { providerCode: options.sqlState }),
      cause: options.cause,
    });
    this.name = 'PostgresStoreError';
    this.reason = options.reason;
    this.server = options.server;
    this.sqlState = options.sqlState;
  }

  /** True for a {@link PostgresStoreError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is PostgresStoreError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
