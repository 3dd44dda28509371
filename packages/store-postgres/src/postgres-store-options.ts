import type { Clock, Store } from '@omnidealer/core';
import type pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PostgresStoreError } from './postgres-store-error.js';

/** Options of {@link createPostgresStore}: a connection string or a pool of your own, and where the tables go. */
export type PostgresStoreOptions = PostgresStoreConnection & {
  /** The PostgreSQL schema (namespace) holding the store's tables; created by the first migration. @default 'omnidealer' */
  schema?: string;
  /** Stamps key and record times (for {@link PostgresStore.prune}). @default the system clock */
  clock?: Clock;
  /**
   * Migrate the schema on first use. Off, calls fail until {@link PostgresStore.migrate} ran (by this process or a
   * deploy step). @default true
   */
  migrateOnFirstUse?: boolean;
  /** How many times a call is retried when it could not get a connection, or lost it before writing. @default 2 */
  retries?: number;
  /**
   * Group commit: the single-statement calls (reads, upserts keyed by id) made in one event-loop turn go to the server
   * together, as one transaction — one round trip and one commit for all of them — and each call resolves only after
   * that commit, so a write reported stored is as durable as one committed alone. A statement that fails is run again
   * alone, so it fails alone. The atomic methods of one turn are batched likewise, into one transaction of two round
   * trips (locks and reads; writes and COMMIT), each update still called once and no change lost. `markWebhookSeen`,
   * `claimDueJobs`, `mergeContacts` and `prune` are never grouped. Off, each call is a statement and a commit of its
   * own, and each atomic method a transaction of its own. @default true
   */
  groupCommit?: boolean;
  /**
   * Job wake-ups ({@link Store.watchJobs}): `scheduleJob` sends a NOTIFY on the channel `<schema>.jobs` in its own
   * transaction, and `watchJobs` LISTENs on one dedicated connection (reopened with backoff when lost), so cascade
   * workers start a due step on time and poll only as a safety net. Turn it off behind a pooler that cannot LISTEN
   * (PgBouncer in transaction mode); the workers then poll. @default true
   */
  jobNotifications?: boolean;
};

/** Where {@link createPostgresStore} connects: exactly one of `connectionString` and `pool`. */
export type PostgresStoreConnection =
  | {
      /** `postgresql://user:password@host:5432/database` (libpq keyword form works too); the store opens a pool and closes it in `close()`. */
      connectionString: string;
      /** Size of the pool the store opens. @default 10 */
      poolSize?: number;
      /** How long getting a connection may take before it fails as retryable. @default 10000 */
      connectTimeoutMs?: number;
      pool?: never;
    }
  | {
      /** A `pg` pool you own (shared with your CRM's queries); `close()` leaves it open. */
      pool: pg.Pool;
      connectionString?: never;
      poolSize?: never;
      connectTimeoutMs?: never;
    };

/** What {@link PostgresStore.prune} takes: anything older than `olderThanMs` (by the store's clock) goes. */
export interface PostgresPruneOptions {
  olderThanMs: number;
}

/** What {@link PostgresStore.prune} removed. */
export interface PostgresPruneResult {
  webhookKeys: number;
  idempotencyKeys: number;
  jobs: number;
}

/** A {@link Store} on PostgreSQL, plus migrations and housekeeping. */
export interface PostgresStore extends Store {
  /** The schema holding the tables. */
  readonly schema: string;
  /** `host:port/database` of the server (no user, no password). */
  readonly server: string;
  /**
   * Brings the schema to this release's version (idempotent; several processes at once migrate it once). Runs by
   * itself on first use unless `migrateOnFirstUse` is false. Resolves with the version.
   * @throws PostgresStoreError `schema_too_new` when a newer release migrated the schema; `connect` or `auth` when the
   * server cannot be used.
   */
  migrate(): Promise<number>;
  /**
   * Deletes webhook de-dup keys and idempotency keys older than `olderThanMs`, and done or cancelled jobs not touched
   * for as long, in one transaction. Keep `olderThanMs` above the providers' webhook retry horizon (WhatsApp retries
   * for up to 7 days). The hub's own records are not touched: it expires them itself.
   */
  prune(options: PostgresPruneOptions): Promise<PostgresPruneResult>;
  /** Always present here: reads under a row lock and an advisory lock, so no process sharing the database loses a change. */
  updateContact: NonNullable<Store['updateContact']>;
  /** See {@link Store.updateConversation}. */
  updateConversation: NonNullable<Store['updateConversation']>;
  /** See {@link Store.openConversation}. */
  openConversation: NonNullable<Store['openConversation']>;
  /** See {@link Store.mergeContacts}. */
  mergeContacts: NonNullable<Store['mergeContacts']>;
  /** See {@link Store.forgetWebhookKey}. */
  forgetWebhookKey: NonNullable<Store['forgetWebhookKey']>;
  /** Ends the pool the store opened (a pool passed in stays open). Further calls fail. */
  close(): Promise<void>;
}

/** `host:port/database` of a pg configuration: what errors name (never the user or password). */
export function describeServer(config: {
  host?: string | null | undefined;
  port?: string | number | null | undefined;
  database?: string | null | undefined;
}) {
  return `${config.host || 'localhost'}:${config.port || 5432}/${config.database || '(default database)'}`;
}

/** A connection string's parts; a string that cannot be parsed is a typed error that does not repeat it. */
export function safeParse(connectionString: string) {
  try {
    return parseConnectionString(connectionString);
  } catch (error) {
    // The string may hold a password: it is not repeated.
    throw new PostgresStoreError({
      reason: 'connect',
      server: '(unparsable connection string)',
      message: 'the PostgreSQL connection string cannot be parsed (it is not repeated here: it may hold a password)',
      cause: error,
    });
  }
}
