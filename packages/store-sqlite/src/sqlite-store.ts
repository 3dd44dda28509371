import {
  type Clock,
  type Contact,
  type Conversation,
  contactSchema,
  type Message,
  type ScheduledJob,
  type Store,
} from '@omnidealer/core';
import {
  addressLookupKeys,
  type ConversationQuery,
  contactAddresses,
  conversationSchema,
  jobPayloadSchema,
  jobStatusSchema,
  jsonColumns,
  jsonValueSchema,
  messageSchema,
  systemClock,
} from '@omnidealer/core/provider-utils';
import Database from 'better-sqlite3';
import { createGroupCommit } from './sqlite-group-commit.js';
import { migrate } from './sqlite-migrations.js';

const { readJsonColumn, writeJsonColumn } = jsonColumns('sqlite');

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Path of the database file; created with its folder's permissions when missing. `:memory:` gives a throwaway store. */
  path: string;
  /** Stamps key and record times (for {@link SqliteStore.prune}). @default the system clock */
  clock?: Clock;
  /**
   * SQLite `synchronous` level in WAL mode. `full` syncs the log on every commit, so a committed outbox row survives a
   * power cut, not only a killed process; `normal` syncs at checkpoints only and may lose the last commits on power loss
   * (never on a process crash) — a lost "sent" mark would then resend a message.
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another process's write lock before failing with `SQLITE_BUSY`. @default 5000 */
  busyTimeoutMs?: number;
}

/** What {@link SqliteStore.prune} takes: anything older than `olderThanMs` (by the store's clock) goes. */
export interface SqlitePruneOptions {
  olderThanMs: number;
}

/** What {@link SqliteStore.prune} removed. */
export interface SqlitePruneResult {
  webhookKeys: number;
  idempotencyKeys: number;
  jobs: number;
}

/** A {@link Store} on a SQLite file, plus housekeeping. */
export interface SqliteStore extends Store {
  /** The database file path. */
  readonly path: string;
  /**
   * Deletes webhook de-dup keys and idempotency keys older than `olderThanMs`, and done or cancelled jobs not touched
   * for as long. Keep `olderThanMs` above the providers' webhook retry horizon (WhatsApp retries for up to 7 days).
   * The hub's own records are not touched: it expires them itself (`slaRetentionMs`, `parkedStatusTtlMs`).
   */
  prune(options: SqlitePruneOptions): Promise<SqlitePruneResult>;
  /**
   * Always present here, as are `updateConversation` and `openConversation`: each reads under the write lock, so
   * processes sharing the file lose no change.
   */
  updateContact: NonNullable<Store['updateContact']>;
  /** See {@link Store.updateConversation}. */
  updateConversation: NonNullable<Store['updateConversation']>;
  /** See {@link Store.openConversation}. */
  openConversation: NonNullable<Store['openConversation']>;
  /** Checkpoints the write-ahead log and closes the file. Further calls fail. */
  close(): Promise<void>;
}

interface JobRow {
  id: string;
  kind: string;
  run_at: number;
  status: string;
  lease_until: number | null;
  attempts: number;
  payload: string;
}

/**
 * Creates a durable {@link Store} on a SQLite file (better-sqlite3, WAL mode). A write's promise resolves only once it
 * is committed, so the hub's outbox writes are on disk before it calls a provider. The writes asked for in one
 * event-loop turn share one `BEGIN IMMEDIATE` transaction and one commit (group commit): concurrent sends pay one
 * commit per turn instead of one per write, and a write that fails is undone and rejected alone. Reads run at once and
 * see what is committed. Several processes may open the same file: jobs are leased and records updated under the
 * write lock, so no two processes ever claim one job or lose an update.
 *
 * Rows are validated on read with the core zod schemas; records and job payloads must be JSON values.
 * @example
 * const store = createSqliteStore({ path: './data/omnidealer.db' });
 * const hub = createOmnidealer({ channels, store });
 * await hub.resumeOutbox();
 * @throws SqliteError (from better-sqlite3) when the file cannot be opened; Error when it was written by a newer release.
 * @see https://www.sqlite.org/wal.html
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const clock = options.clock ?? systemClock;
  const database = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  database.pragma('foreign_keys = ON');
  migrate(database);

  const statements = {
    saveContact: database.prepare(
      'INSERT INTO contacts (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
    ),
    saveAddress: database.prepare(
      'INSERT INTO contact_addresses (address, contact_id) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET contact_id = excluded.contact_id',
    ),
    getContact: database.prepare<[string], { data: string }>('SELECT data FROM contacts WHERE id = ?'),
    deleteContact: database.prepare('DELETE FROM contacts WHERE id = ?'),
    moveAddresses: database.prepare('UPDATE contact_addresses SET contact_id = ? WHERE contact_id = ?'),
    listContactConversations: database.prepare<[string], { id: string; data: string }>(
      'SELECT id, data FROM conversations WHERE contact_id = ? ORDER BY seq',
    ),
    deleteConversation: database.prepare('DELETE FROM conversations WHERE id = ?'),
    // A merge's message moves edit the JSON in place (json_set), so no message is read into JavaScript.
    moveMessages: database.prepare(
      `UPDATE messages SET conversation_id = @into,
         data = json_set(data, '$.conversationId', @into, '$.contactId', @contactId) WHERE conversation_id = @from`,
    ),
    repointMessages: database.prepare(
      `UPDATE messages SET data = json_set(data, '$.contactId', @contactId)
       WHERE conversation_id = @conversationId AND json_extract(data, '$.contactId') = @mergeId`,
    ),
    findContactId: database.prepare<[string], { contact_id: string }>(
      'SELECT contact_id FROM contact_addresses WHERE address = ?',
    ),

    saveConversation: database.prepare(
      `INSERT INTO conversations (id, contact_id, channel, external_id, status, assignee, handler, branch_id, updated_at, data)
       VALUES (@id, @contactId, @channel, @externalId, @status, @assignee, @handler, @branchId, @updatedAt, @data)
       ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, channel = excluded.channel,
         external_id = excluded.external_id, status = excluded.status, assignee = excluded.assignee,
         handler = excluded.handler, branch_id = excluded.branch_id, updated_at = excluded.updated_at,
         data = excluded.data`,
    ),
    getConversation: database.prepare<[string], { data: string }>('SELECT data FROM conversations WHERE id = ?'),
    findConversation: database.prepare<[string, string], { id: string; data: string }>(
      'SELECT id, data FROM conversations WHERE contact_id = ? AND channel = ? ORDER BY seq DESC LIMIT 1',
    ),
    findConversationByExternalId: database.prepare<[string, string, string], { id: string; data: string }>(
      'SELECT id, data FROM conversations WHERE contact_id = ? AND channel = ? AND external_id = ? ORDER BY seq DESC LIMIT 1',
    ),

    saveMessage: database.prepare(
      `INSERT INTO messages (id, conversation_id, channel, provider_message_id, queued, data)
       VALUES (@id, @conversationId, @channel, @providerMessageId, @queued, @data)
       ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id, channel = excluded.channel,
         provider_message_id = excluded.provider_message_id, queued = excluded.queued, data = excluded.data`,
    ),
    getMessage: database.prepare<[string], { id: string; data: string }>('SELECT id, data FROM messages WHERE id = ?'),
    findMessageByProviderId: database.prepare<[string, string], { id: string; data: string }>(
      'SELECT id, data FROM messages WHERE channel = ? AND provider_message_id = ? ORDER BY seq DESC LIMIT 1',
    ),
    listMessages: database.prepare<[string], { id: string; data: string }>(
      'SELECT id, data FROM messages WHERE conversation_id = ? ORDER BY seq',
    ),
    listLastMessages: database.prepare<[string, number], { id: string; data: string }>(
      'SELECT id, data FROM (SELECT seq, id, data FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    ),
    listQueuedMessages: database.prepare<[number], { id: string; data: string }>(
      'SELECT id, data FROM messages WHERE queued = 1 ORDER BY seq LIMIT ?',
    ),

    insertIdempotencyKey: database.prepare(
      'INSERT INTO idempotency_keys (key, message_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    ),
    getIdempotencyKey: database.prepare<[string], { message_id: string }>(
      'SELECT message_id FROM idempotency_keys WHERE key = ?',
    ),
    insertWebhookKey: database.prepare('INSERT INTO webhook_keys (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    deleteWebhookKey: database.prepare('DELETE FROM webhook_keys WHERE key = ?'),

    scheduleJob: database.prepare(
      `INSERT INTO jobs (id, kind, run_at, status, lease_until, attempts, payload, updated_at)
       VALUES (@id, @kind, @runAt, @status, @leaseUntil, @attempts, @payload, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, run_at = excluded.run_at, status = excluded.status,
         lease_until = excluded.lease_until, attempts = excluded.attempts, payload = excluded.payload,
         updated_at = excluded.updated_at`,
    ),
    getJob: database.prepare<[string], JobRow>(
      'SELECT id, kind, run_at, status, lease_until, attempts, payload FROM jobs WHERE id = ?',
    ),
    dueJobIds: database.prepare<{ now: number; limit: number; kinds: string | null }, { id: string }>(
      `SELECT id FROM (
         SELECT id, run_at, seq, kind FROM jobs WHERE status = 'pending' AND run_at <= @now
         UNION ALL
         SELECT id, run_at, seq, kind FROM jobs WHERE status = 'running' AND ifnull(lease_until, 0) <= @now
       ) WHERE @kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds))
       ORDER BY run_at, seq LIMIT @limit`,
    ),
    leaseJob: database.prepare<{ id: string; leaseUntil: number; updatedAt: number }, JobRow>(
      `UPDATE jobs SET status = 'running', lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @updatedAt
       WHERE id = @id RETURNING id, kind, run_at, status, lease_until, attempts, payload`,
    ),
    completeJob: database.prepare("UPDATE jobs SET status = 'done', updated_at = ? WHERE id = ?"),
    cancelJob: database.prepare("UPDATE jobs SET status = 'cancelled', updated_at = ? WHERE id = ? AND status <> 'done'"),

    putRecord: database.prepare(
      `INSERT INTO records (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    deleteRecord: database.prepare('DELETE FROM records WHERE namespace = ? AND key = ?'),
    getRecord: database.prepare<[string, string], { value: string }>('SELECT value FROM records WHERE namespace = ? AND key = ?'),
    listRecords: database.prepare<[string, string, string], { key: string; value: string }>(
      'SELECT key, value FROM records WHERE namespace = ? AND key >= ? AND key < ? ORDER BY key',
    ),

    pruneWebhookKeys: database.prepare('DELETE FROM webhook_keys WHERE seen_at < ?'),
    pruneIdempotencyKeys: database.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
    pruneJobs: database.prepare("DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND updated_at < ?"),
  };

  const readContact = (data: string, id: string): Contact => readJsonColumn(contactSchema, data, 'contacts', id);
  const readConversation = (data: string, id: string): Conversation =>
    readJsonColumn(conversationSchema, data, 'conversations', id);
  const readMessage = (row: { id: string; data: string }): Message => readJsonColumn(messageSchema, row.data, 'messages', row.id);
  const readJob = (row: JobRow): ScheduledJob => {
    const job: ScheduledJob = {
      id: row.id,
      kind: row.kind,
      runAt: row.run_at,
      payload: readJsonColumn(jobPayloadSchema, row.payload, 'jobs', row.id),
      status: jobStatusSchema.parse(row.status),
      attempts: row.attempts,
    };
    if (row.lease_until !== null) job.leaseUntil = row.lease_until;
    return job;
  };

  // The writes below run only through the group commit (`write`), which gives each one a savepoint of its own inside
  // the turn's BEGIN IMMEDIATE transaction: they are atomic, and a read inside one happens under the write lock, so
  // another process's write waits for it. They need no transaction of their own.
  function saveContact(id: string, data: string, addresses: string[]): void {
    statements.saveContact.run(id, data);
    for (const address of addresses) statements.saveAddress.run(address, id);
  }

  function claimIdempotencyKey(key: string, messageId: string): string | undefined {
    if (statements.insertIdempotencyKey.run(key, messageId, clock.now()).changes === 1) return undefined;
    return statements.getIdempotencyKey.get(key)?.message_id;
  }

  function claimDueJobs(now: number, limit: number, leaseMs: number, kinds: readonly string[] | undefined): ScheduledJob[] {
    const ids = statements.dueJobIds.all({ now, limit, kinds: kinds ? JSON.stringify(kinds) : null });
    const claimed: ScheduledJob[] = [];
    for (const { id } of ids) {
      const row = statements.leaseJob.get({ id, leaseUntil: now + leaseMs, updatedAt: clock.now() });
      if (row) claimed.push(readJob(row));
    }
    return claimed;
  }

  function readRecord(namespace: string, key: string): unknown {
    const row = statements.getRecord.get(namespace, key);
    return row === undefined ? undefined : readJsonColumn(jsonValueSchema, row.value, 'records', `${namespace}/${key}`);
  }
  /** Writes a record's JSON text (undefined deletes it). */
  function writeRecord(namespace: string, key: string, text: string | undefined): void {
    if (text === undefined) statements.deleteRecord.run(namespace, key);
    else statements.putRecord.run(namespace, key, text, clock.now());
  }
  function updateRecord(namespace: string, key: string, update: (current: unknown) => unknown): unknown {
    const next = update(readRecord(namespace, key));
    const text = next === undefined ? undefined : writeJsonColumn(next, `record ${namespace}`);
    writeRecord(namespace, key, text);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }
  function prune(before: number): SqlitePruneResult {
    return {
      webhookKeys: statements.pruneWebhookKeys.run(before).changes,
      idempotencyKeys: statements.pruneIdempotencyKeys.run(before).changes,
      jobs: statements.pruneJobs.run(before).changes,
    };
  }

  function conversationRow(conversation: Conversation) {
    return {
      id: conversation.id,
      contactId: conversation.contactId,
      channel: conversation.channel,
      externalId: conversation.externalId ?? null,
      status: conversation.status,
      assignee: conversation.assignee ?? null,
      handler: conversation.handler,
      branchId: conversation.branchId ?? null,
      updatedAt: conversation.updatedAt,
      data: writeJsonColumn(conversation, 'conversation'),
    };
  }
  function newestConversation(contactId: string, channel: string, externalId: string | undefined): Conversation | undefined {
    const row =
      externalId === undefined
        ? statements.findConversation.get(contactId, channel)
        : statements.findConversationByExternalId.get(contactId, channel, externalId);
    return row && readConversation(row.data, row.id);
  }
  /**
   * Saves what `update` makes of `current` (nothing when it returns undefined) with `save`, which answers the JSON it
   * wrote; returns the value as stored: a copy of that JSON (the schema check is for rows read from disk).
   */
  function saveUpdated<T>(current: T | undefined, update: (current: T | undefined) => T | undefined, save: (next: T) => string) {
    const next = update(current);
    return next === undefined ? current : (JSON.parse(save(next)) as T);
  }
  function writeConversationRow(conversation: Conversation): string {
    const row = conversationRow(conversation);
    statements.saveConversation.run(row);
    return row.data;
  }

  // Writes of one event-loop turn share one commit; each resolves once it is committed (see createGroupCommit).
  const { write, flush } = createGroupCommit(database);

  return {
    path: options.path,

    async saveContact(contact) {
      // Serialised now, so a value JSON cannot hold fails this call before anything is queued.
      const data = writeJsonColumn(contact, 'contact');
      const addresses = contactAddresses(contact);
      await write(() => saveContact(contact.id, data, addresses));
    },
    async updateContact(id, update) {
      // Read inside the write (see above): under the write lock, so no other process's change comes in between.
      return write(() => {
        const row = statements.getContact.get(id);
        return saveUpdated(row && readContact(row.data, id), update, (next) => {
          const data = writeJsonColumn(next, 'contact');
          saveContact(next.id, data, contactAddresses(next));
          return data;
        });
      });
    },
    async getContact(id) {
      const row = statements.getContact.get(id);
      return row && readContact(row.data, id);
    },
    async findContactByAddress(address) {
      let id: string | undefined;
      for (const key of addressLookupKeys(address)) {
        id = statements.findContactId.get(key)?.contact_id;
        if (id !== undefined) break;
      }
      if (id === undefined) return undefined;
      const row = statements.getContact.get(id);
      return row && readContact(row.data, id);
    },

    async mergeContacts(keepId, mergeId, plan) {
      if (keepId === mergeId) return undefined;
      // One savepoint of the turn's transaction, read under the write lock: no other process's write comes between.
      return write(() => {
        const keepRow = statements.getContact.get(keepId);
        const mergeRow = statements.getContact.get(mergeId);
        if (!keepRow || !mergeRow) return undefined;
        const conversations = [keepId, mergeId].flatMap((contactId) =>
          statements.listContactConversations.all(contactId).map((row) => readConversation(row.data, row.id)),
        );
        const result = plan(readContact(keepRow.data, keepId), readContact(mergeRow.data, mergeId), conversations);
        statements.deleteContact.run(mergeId);
        statements.moveAddresses.run(keepId, mergeId);
        saveContact(result.contact.id, writeJsonColumn(result.contact, 'contact'), contactAddresses(result.contact));
        for (const conversation of result.conversations) statements.saveConversation.run(conversationRow(conversation));
        for (const { from, into } of result.folded) {
          statements.moveMessages.run({ from, into, contactId: keepId });
          statements.deleteConversation.run(from);
        }
        for (const conversation of conversations)
          if (conversation.contactId === mergeId)
            statements.repointMessages.run({ conversationId: conversation.id, contactId: keepId, mergeId });
        return result;
      });
    },
    async saveConversation(conversation) {
      const row = conversationRow(conversation);
      await write(() => statements.saveConversation.run(row));
    },
    async getConversation(id) {
      const row = statements.getConversation.get(id);
      return row && readConversation(row.data, id);
    },
    async findConversation(contactId, channel, externalId) {
      return newestConversation(contactId, channel, externalId);
    },
    async updateConversation(id, update) {
      // Read inside the write: under the write lock, so no other process's change comes in between.
      return write(() => {
        const row = statements.getConversation.get(id);
        return saveUpdated(row && readConversation(row.data, id), update, writeConversationRow);
      });
    },
    async openConversation(contactId, channel, externalId, update) {
      return write(() => saveUpdated(newestConversation(contactId, channel, externalId), update, writeConversationRow));
    },
    async listConversations(query: ConversationQuery = {}) {
      const where: string[] = [];
      const parameters: unknown[] = [];
      const filters: Array<[string, string | undefined]> = [
        ['status', query.status],
        ['channel', query.channel],
        ['assignee', query.assignee],
        ['handler', query.handler],
        ['contact_id', query.contactId],
        ['branch_id', query.branchId],
      ];
      for (const [column, value] of filters) {
        if (value === undefined || value === '') continue;
        where.push(`${column} = ?`);
        parameters.push(value);
      }
      let sql = 'SELECT id, data FROM conversations';
      if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
      sql += ' ORDER BY updated_at DESC, seq';
      if (query.limit) {
        sql += ' LIMIT ?';
        parameters.push(query.limit);
      }
      const rows = database.prepare<unknown[], { id: string; data: string }>(sql).all(...parameters);
      return rows.map((row) => readConversation(row.data, row.id));
    },

    async saveMessage(message) {
      const row = {
        id: message.id,
        conversationId: message.conversationId,
        channel: message.channel,
        providerMessageId: message.providerMessageId ?? null,
        queued: message.direction === 'outbound' && message.status === 'queued' ? 1 : 0,
        data: writeJsonColumn(message, 'message'),
      };
      await write(() => statements.saveMessage.run(row));
    },
    async getMessage(id) {
      const row = statements.getMessage.get(id);
      return row && readMessage(row);
    },
    async findMessageByProviderId(channel, providerMessageId) {
      const row = statements.findMessageByProviderId.get(channel, providerMessageId);
      return row && readMessage(row);
    },
    async listMessages(conversationId, listOptions = {}) {
      const rows = listOptions.limit
        ? statements.listLastMessages.all(conversationId, listOptions.limit)
        : statements.listMessages.all(conversationId);
      return rows.map(readMessage);
    },
    async listQueuedMessages(limit = 1000) {
      return statements.listQueuedMessages.all(limit).map(readMessage);
    },

    async claimIdempotencyKey(key, messageId) {
      return write(() => claimIdempotencyKey(key, messageId));
    },
    async markWebhookSeen(key, at) {
      return write(() => statements.insertWebhookKey.run(key, at).changes === 1);
    },
    async forgetWebhookKey(key) {
      await write(() => statements.deleteWebhookKey.run(key));
    },

    async scheduleJob(job) {
      const row = {
        id: job.id,
        kind: job.kind,
        runAt: job.runAt,
        status: jobStatusSchema.parse(job.status),
        leaseUntil: job.leaseUntil ?? null,
        attempts: job.attempts,
        payload: writeJsonColumn(job.payload, 'job.payload'),
        updatedAt: clock.now(),
      };
      await write(() => statements.scheduleJob.run(row));
    },
    async getJob(id) {
      const row = statements.getJob.get(id);
      return row && readJob(row);
    },
    async claimDueJobs(now, limit, leaseMs, kinds) {
      if (limit <= 0 || kinds?.length === 0) return [];
      // The batch's BEGIN IMMEDIATE takes the write lock before reading, so a second process waits instead of leasing
      // the same rows.
      return write(() => claimDueJobs(now, limit, leaseMs, kinds));
    },
    async completeJob(id) {
      await write(() => statements.completeJob.run(clock.now(), id));
    },
    async cancelJob(id) {
      await write(() => statements.cancelJob.run(clock.now(), id));
    },

    async putRecord(namespace, key, value) {
      const text = value === undefined ? undefined : writeJsonColumn(value, `record ${namespace}`);
      await write(() => writeRecord(namespace, key, text));
    },
    async getRecord<T>(namespace: string, key: string) {
      return readRecord(namespace, key) as T | undefined;
    },
    async updateRecord<T>(namespace: string, key: string, update: (current: T | undefined) => T | undefined) {
      return write(() => updateRecord(namespace, key, update as (current: unknown) => unknown) as T | undefined);
    },
    async listRecords<T>(namespace: string, prefix = '') {
      // The range [prefix, prefix + U+10FFFF) uses the primary key; startsWith drops the one key that range lets through
      // but does not start with the prefix (none, unless a key holds U+10FFFF itself).
      const rows = statements.listRecords.all(namespace, prefix, `${prefix}\u{10FFFF}`);
      return rows
        .filter((row) => row.key.startsWith(prefix))
        .map((row) => ({
          key: row.key,
          value: readJsonColumn(jsonValueSchema, row.value, 'records', `${namespace}/${row.key}`) as T,
        }));
    },

    async prune(pruneOptions) {
      return write(() => prune(clock.now() - pruneOptions.olderThanMs));
    },
    async close() {
      if (!database.open) return;
      flush();
      try {
        database.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        database.close();
      }
    },
  };
}
