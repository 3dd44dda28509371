import type Database from 'better-sqlite3';

/**
 * The schema, one step per entry: step `n` moves a database from `user_version` n to n + 1. Steps are only ever
 * appended, never edited, so a file written by any earlier release upgrades in place.
 *
 * Every entity keeps its full JSON in `data` (validated with the core zod schemas on read) next to the few columns
 * the queries filter and sort on. `seq` is the insertion order: upserts keep it, so "newest" and "oldest first"
 * mean what the in-memory store means.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
  );
  -- findContactByAddress: one row per phone, lower-cased e-mail and channel identity.
  CREATE TABLE contact_addresses (
    address TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    contact_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    external_id TEXT,
    status TEXT NOT NULL,
    assignee TEXT,
    handler TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX conversations_by_contact ON conversations (contact_id, channel, seq);
  CREATE INDEX conversations_by_updated ON conversations (updated_at DESC, seq);

  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    provider_message_id TEXT,
    queued INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
  CREATE INDEX messages_by_provider_id ON messages (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;
  -- The outbox: only queued outbound rows are in this index, so listing it never scans sent history.
  CREATE INDEX messages_queued ON messages (seq) WHERE queued = 1;

  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

  CREATE TABLE webhook_keys (
    key TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX webhook_keys_by_age ON webhook_keys (seen_at);

  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    lease_until INTEGER,
    attempts INTEGER NOT NULL,
    payload TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  -- claimDueJobs reads pending jobs by due time and running jobs by lease end.
  CREATE INDEX jobs_pending_by_run_at ON jobs (run_at, seq) WHERE status = 'pending';
  CREATE INDEX jobs_running_by_lease ON jobs (lease_until) WHERE status = 'running';

  CREATE TABLE records (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;
  `,
  // 2: listConversations({ branchId }) reads a column with an index instead of the JSON of every row; existing rows
  // get the branch their JSON holds.
  `
  ALTER TABLE conversations ADD COLUMN branch_id TEXT;
  UPDATE conversations SET branch_id = json_extract(data, '$.branchId');
  CREATE INDEX conversations_by_branch ON conversations (branch_id, updated_at DESC, seq) WHERE branch_id IS NOT NULL;
  `,
];

/**
 * Brings a database to the newest schema. Runs inside `BEGIN IMMEDIATE`, so two processes opening one new file at
 * the same moment migrate it once: the second waits for the write lock, then sees the new `user_version`.
 * @throws Error when the file was written by a newer release (its `user_version` is beyond the known steps).
 */
export function migrate(database: Database.Database, migrations: readonly string[] = sqliteMigrations): number {
  const run = database.transaction(() => {
    const current = database.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) {
      throw new Error(
        `the SQLite file is at schema version ${current}, newer than this @omnidealer/store-sqlite knows (${migrations.length}); upgrade the package`,
      );
    }
    for (let version = current; version < migrations.length; version++) {
      database.exec(migrations[version] as string);
    }
    if (current !== migrations.length) database.pragma(`user_version = ${migrations.length}`);
    return migrations.length;
  });
  return run.immediate();
}
