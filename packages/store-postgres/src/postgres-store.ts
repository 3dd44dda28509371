import { type Contact, type Conversation, contactSchema, type Message, type ScheduledJob, type Store } from '@omnidealer/core';
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
import pg from 'pg';
import { type CallContext, createConnection, type Run, type Statement } from './postgres-connection.js';
import { createPostgresJobWatcher, jobChannelName, pendingJobsStatement, readPendingJobs } from './postgres-job-watcher.js';
import { migrateSchema, postgresMigrations, quoteIdentifier } from './postgres-migrations.js';
import { postgresStatements } from './postgres-statements.js';
import { PostgresStoreError } from './postgres-store-error.js';
import {
  describeServer,
  type PostgresPruneOptions,
  type PostgresPruneResult,
  type PostgresStore,
  type PostgresStoreConnection,
  type PostgresStoreOptions,
  safeParse,
} from './postgres-store-options.js';

export type { PostgresPruneOptions, PostgresPruneResult, PostgresStore, PostgresStoreConnection, PostgresStoreOptions };

const { readJsonColumn, writeJsonColumn } = jsonColumns('postgres');

interface JobRow {
  id: string;
  kind: string;
  run_at: string;
  status: string;
  lease_until: string | null;
  attempts: number;
  payload: string;
}

/** Messages whose data get new conversation / contact ids in a merge. */
interface MessageMove {
  id: string;
  conversationId: string;
  data: string;
}

/**
 * Creates a {@link Store} on PostgreSQL (the `pg` driver), for several application servers sharing one database:
 * conversations, the outbox, webhook de-duplication and cascade deadlines. Each atomic method — `updateContact`,
 * `openConversation`, `updateConversation`, `updateRecord`, `mergeContacts` — is one transaction that takes an advisory
 * lock on what it changes and reads it `FOR UPDATE`, so no other process's change comes between its read and its
 * write; `claimDueJobs` leases with `FOR UPDATE SKIP LOCKED`, so two workers never take one job. The schema is migrated
 * on first use (or by {@link PostgresStore.migrate}) under an advisory lock.
 *
 * Rows are validated on read with the core zod schemas; records and job payloads must be JSON values.
 * @example
 * const store = createPostgresStore({ connectionString: process.env.DATABASE_URL!, schema: 'omnidealer' });
 * await store.migrate(); // optional: it also runs on first use
 * const hub = createOmnidealer({ channels, store });
 * await hub.resumeOutbox();
 * @throws PostgresStoreError (from the calls, not the factory) naming `host:port/database`, never the password:
 * `connect`/`auth` when the server cannot be used, `schema_too_new` when a newer release migrated the schema,
 * `connection_lost`/`commit_unknown`/`conflict` (retryable) when a call's connection broke after its retries.
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const clock = options.clock ?? systemClock;
  const schema = options.schema ?? 'omnidealer';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new PostgresStoreError({
      reason: 'query',
      server: '(not connected)',
      message: `schema "${schema}" is not a plain PostgreSQL identifier (letters, digits and _; at most 63 characters)`,
    });
  }
  const s = quoteIdentifier(schema);

  let pool: pg.Pool;
  let server: string;
  const ownsPool = options.pool === undefined;
  if (options.pool !== undefined) {
    pool = options.pool;
    const config = pool.options as { connectionString?: string; host?: string; port?: number; database?: string };
    server = describeServer(config.connectionString ? safeParse(config.connectionString) : config);
  } else {
    server = describeServer(safeParse(options.connectionString));
    pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    });
    // A broken idle connection is dropped by the pool; without a listener its 'error' would end the process.
    pool.on('error', () => undefined);
  }
  const connection = createConnection(pool, server, options.retries ?? 2, options.groupCommit ?? true);
  const jobNotifications = options.jobNotifications ?? true;
  const jobChannel = jobChannelName(schema);
  // A client of its own, with the pool's settings: LISTEN holds its connection while anyone watches.
  const listenConfig: pg.ClientConfig =
    options.pool !== undefined
      ? { ...pool.options, keepAlive: true, query_timeout: 10_000 }
      : {
          connectionString: options.connectionString,
          connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
          keepAlive: true,
          query_timeout: 10_000,
        };
  const once = { idempotent: false };

  let migrated: Promise<number> | undefined;
  const migrate = (): Promise<number> => {
    migrated ??= connection
      .withClient((client) => migrateSchema(client, schema, server))
      .catch((error: unknown) => {
        migrated = undefined;
        throw error;
      });
    return migrated;
  };
  let closed = false;
  async function ready(): Promise<void> {
    if (closed)
      throw new PostgresStoreError({ reason: 'query', server, message: `the PostgreSQL store for ${server} is closed` });
    if (options.migrateOnFirstUse !== false) await migrate();
  }

  const readContact = (data: string, id: string): Contact => readJsonColumn(contactSchema, data, 'contacts', id);
  const readConversation = (row: { id: string; data: string }): Conversation =>
    readJsonColumn(conversationSchema, row.data, 'conversations', row.id);
  const readMessage = (row: { id: string; data: string }): Message => readJsonColumn(messageSchema, row.data, 'messages', row.id);
  const readJob = (row: JobRow): ScheduledJob => {
    const job: ScheduledJob = {
      id: row.id,
      kind: row.kind,
      runAt: Number(row.run_at),
      payload: readJsonColumn(jobPayloadSchema, row.payload, 'jobs', row.id),
      status: jobStatusSchema.parse(row.status),
      attempts: row.attempts,
    };
    if (row.lease_until !== null) job.leaseUntil = Number(row.lease_until);
    return job;
  };

  const sql = postgresStatements(s);

  const jobWatcher = jobNotifications
    ? createPostgresJobWatcher({
        channel: jobChannel,
        createClient: () => new pg.Client(listenConfig),
        pendingJobs: async () =>
          readPendingJobs((await query<{ kind: string; run_at: string }>(pendingJobsStatement(s), [])).rows),
      })
    : undefined;

  const lock = (kind: string, ...parts: string[]) => `${schema}\u0000${kind}\u0000${parts.join('\u0000')}`;

  /** Statement outside a transaction, after the schema is ready; an idempotent one may share its turn's commit. */
  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[], idempotentCall = true) {
    await ready();
    return idempotentCall ? connection.grouped<R>(text, values) : connection.query<R>(text, values, once);
  }
  /** A transaction after the schema is ready. */
  async function transaction<T>(locks: string[], work: (context: CallContext) => Promise<T>, idempotentCall = false) {
    await ready();
    return connection.transaction(work, { idempotent: idempotentCall, locks });
  }

  const dedupe = (values: string[]) => [...new Set(values)];
  function writeContact(run: Run, contact: Contact): Promise<unknown> {
    return run(sql.saveContact, contactValues(contact, writeJsonColumn(contact, 'contact')));
  }
  const contactValues = (contact: Contact, text: string): unknown[] => [contact.id, text, dedupe(contactAddresses(contact))];
  function conversationValues(conversation: Conversation, text = writeJsonColumn(conversation, 'conversation')): unknown[] {
    return [
      conversation.id,
      conversation.contactId,
      conversation.channel,
      conversation.externalId ?? null,
      conversation.status,
      conversation.assignee ?? null,
      conversation.handler,
      conversation.updatedAt,
      text,
      conversation.branchId ?? null,
    ];
  }
  /**
   * One atomic read-change-write of a JSON row, batched with the others of its event-loop turn (see
   * `Connection.atomic`): `read` runs under `locks` (`… FOR UPDATE`), `update` gets what it found (once), and what it
   * returns is written by `writes` with its JSON text, serialised once. Resolves with the value as stored: a copy
   * through that JSON (the schema check is for rows read from the database); with `current` when `update` returns
   * undefined (nothing is written).
   */
  async function atomicUpdate<T, R extends { id: string }>(
    locks: string[],
    read: Statement,
    parse: (row: R) => T,
    rowName: string,
    update: (current: T | undefined) => T | undefined,
    writes: (next: T, text: string) => Statement[],
  ): Promise<T | undefined> {
    await ready();
    return connection.atomic({
      locks,
      read,
      rows: (result) => (result.rows as R[]).map((row) => `${rowName}\u0000${row.id}`),
      write: (result) => {
        const row = result.rows[0] as R | undefined;
        const current = row && parse(row);
        const next = update(current);
        if (next === undefined) return { statements: [], value: current };
        // Serialised before the write, so a value JSON cannot hold fails here and nothing of it is written.
        const text = writeJsonColumn(next, rowName);
        return { statements: writes(next, text), value: JSON.parse(text) as T };
      },
    });
  }

  return {
    schema,
    server,
    durable: true,
    migrate,

    async saveContact(contact) {
      await query(sql.saveContact, [contact.id, writeJsonColumn(contact, 'contact'), dedupe(contactAddresses(contact))]);
    },
    async getContact(id) {
      const { rows } = await query<{ data: string }>(sql.getContact, [id]);
      return rows[0] && readContact(rows[0].data, id);
    },
    async findContactByAddress(address) {
      const keys = addressLookupKeys(address);
      // The address rows and their contacts in one statement; the first lookup key that matches wins, as in the other
      // stores.
      const { rows } = await query<{ contact_id: string; address: string; data: string }>(sql.findContactsByAddress, [keys]);
      for (const key of keys) {
        const row = rows.find((candidate) => candidate.address === key);
        if (row) return readContact(row.data, row.contact_id);
      }
      return undefined;
    },
    async updateContact(id, update) {
      return atomicUpdate<Contact, { id: string; data: string }>(
        [lock('contact', id)],
        { text: sql.getContactForUpdate, values: [[id]] },
        (row) => readContact(row.data, id),
        'contact',
        update,
        (next, text) => [{ text: sql.saveContact, values: contactValues(next, text) }],
      );
    },
    async mergeContacts(keepId, mergeId, plan) {
      if (keepId === mergeId) return undefined;
      return transaction([lock('contact', keepId), lock('contact', mergeId)], async (context) => {
        const { run } = context;
        const contacts = await run<{ id: string; data: string }>(sql.getContactForUpdate, [[keepId, mergeId]]);
        const keepRow = contacts.rows.find((row) => row.id === keepId);
        const mergeRow = contacts.rows.find((row) => row.id === mergeId);
        if (!keepRow || !mergeRow) return undefined;
        const { rows: conversationRows } = await run<{ id: string; data: string }>(sql.contactConversationsForUpdate, [
          [keepId, mergeId],
        ]);
        const conversations = conversationRows.map(readConversation);
        const result = context.once(() =>
          plan(readContact(keepRow.data, keepId), readContact(mergeRow.data, mergeId), conversations),
        );

        await run(sql.deleteContact, [mergeId]);
        await run(sql.moveAddresses, [keepId, mergeId]);
        await writeContact(run, result.contact);
        for (const conversation of result.conversations) await run(sql.saveConversation, conversationValues(conversation));

        // Messages of folded conversations move into the one they were folded into; every message of the merged
        // contact's conversations then belongs to the kept contact. Edited as JSON here (merges are rare), not with
        // jsonb in SQL, which would refuse a text holding \u0000.
        const mergedConversations = conversations.filter((conversation) => conversation.contactId === mergeId).map((c) => c.id);
        const touched = dedupe([...result.folded.map((fold) => fold.from), ...mergedConversations]);
        if (touched.length > 0) {
          const { rows } = await run<{ id: string; conversation_id: string; data: string }>(
            sql.messagesOfConversationsForUpdate,
            [touched],
          );
          const moves: MessageMove[] = [];
          for (const row of rows) {
            const data = JSON.parse(row.data) as Record<string, unknown>;
            let conversationId = row.conversation_id;
            let changed = false;
            for (const { from, into } of result.folded) {
              if (conversationId !== from) continue;
              conversationId = into;
              data.conversationId = into;
              data.contactId = keepId;
              changed = true;
            }
            if (mergedConversations.includes(row.conversation_id) && data.contactId === mergeId) {
              data.contactId = keepId;
              changed = true;
            }
            if (changed) moves.push({ id: row.id, conversationId, data: JSON.stringify(data) });
          }
          if (moves.length > 0) {
            await run(sql.moveMessages, [
              moves.map((move) => move.id),
              moves.map((move) => move.conversationId),
              moves.map((move) => move.data),
            ]);
          }
        }
        if (result.folded.length > 0) await run(sql.deleteConversations, [result.folded.map((fold) => fold.from)]);
        return result;
      });
    },

    async saveConversation(conversation) {
      await query(sql.saveConversation, conversationValues(conversation));
    },
    async getConversation(id) {
      const { rows } = await query<{ id: string; data: string }>(sql.getConversation, [id]);
      return rows[0] && readConversation(rows[0]);
    },
    async findConversation(contactId, channel, externalId) {
      const { rows } =
        externalId === undefined
          ? await query<{ id: string; data: string }>(sql.findConversation, [contactId, channel])
          : await query<{ id: string; data: string }>(sql.findConversationByExternalId, [contactId, channel, externalId]);
      return rows[0] && readConversation(rows[0]);
    },
    async updateConversation(id, update) {
      return atomicUpdate(
        [lock('conversation', id)],
        { text: sql.getConversationForUpdate, values: [id] },
        readConversation,
        'conversation',
        update,
        (next, text) => [{ text: sql.saveConversation, values: conversationValues(next, text) }],
      );
    },
    async openConversation(contactId, channel, externalId, update) {
      // One lock per contact and channel, whatever the thread id: a find without one sees every thread.
      return atomicUpdate(
        [lock('open-conversation', contactId, channel)],
        externalId === undefined
          ? { text: `${sql.findConversation} FOR UPDATE`, values: [contactId, channel] }
          : { text: `${sql.findConversationByExternalId} FOR UPDATE`, values: [contactId, channel, externalId] },
        readConversation,
        'conversation',
        update,
        (next, text) => [{ text: sql.saveConversation, values: conversationValues(next, text) }],
      );
    },
    async listConversations(conversationQuery: ConversationQuery = {}) {
      const where: string[] = [];
      const values: unknown[] = [];
      const filters: Array<[string, string | undefined]> = [
        ['status', conversationQuery.status],
        ['channel', conversationQuery.channel],
        ['assignee', conversationQuery.assignee],
        ['handler', conversationQuery.handler],
        ['contact_id', conversationQuery.contactId],
        ['branch_id', conversationQuery.branchId],
      ];
      for (const [column, value] of filters) {
        if (value === undefined || value === '') continue;
        values.push(value);
        where.push(`${column} = $${values.length}`);
      }
      let text = `SELECT id, data FROM ${s}.conversations`;
      if (where.length > 0) text += ` WHERE ${where.join(' AND ')}`;
      text += ' ORDER BY updated_at DESC, seq';
      if (conversationQuery.limit) {
        values.push(conversationQuery.limit);
        text += ` LIMIT $${values.length}`;
      }
      const { rows } = await query<{ id: string; data: string }>(text, values);
      return rows.map(readConversation);
    },

    async saveMessage(message) {
      await query(sql.saveMessage, [
        message.id,
        message.conversationId,
        message.channel,
        message.providerMessageId ?? null,
        message.direction === 'outbound' && message.status === 'queued',
        writeJsonColumn(message, 'message'),
      ]);
    },
    async getMessage(id) {
      const { rows } = await query<{ id: string; data: string }>(sql.getMessage, [id]);
      return rows[0] && readMessage(rows[0]);
    },
    async findMessageByProviderId(channel, providerMessageId) {
      const { rows } = await query<{ id: string; data: string }>(sql.findMessageByProviderId, [channel, providerMessageId]);
      return rows[0] && readMessage(rows[0]);
    },
    async listMessages(conversationId, listOptions = {}) {
      const { rows } = listOptions.limit
        ? await query<{ id: string; data: string }>(sql.listLastMessages, [conversationId, listOptions.limit])
        : await query<{ id: string; data: string }>(sql.listMessages, [conversationId]);
      return rows.map(readMessage);
    },
    async listQueuedMessages(limit = 1000) {
      const { rows } = await query<{ id: string; data: string }>(sql.listQueuedMessages, [limit]);
      return rows.map(readMessage);
    },

    async claimIdempotencyKey(key, messageId) {
      // Retried on a lost connection: a first try that did insert then reads back this same message id.
      const inserted = await query(sql.insertIdempotencyKey, [key, messageId, clock.now()]);
      if (inserted.rowCount === 1) return undefined;
      const { rows } = await query<{ message_id: string }>(sql.getIdempotencyKey, [key]);
      const holder = rows[0]?.message_id;
      return holder === messageId ? undefined : holder;
    },
    async markWebhookSeen(key, at) {
      // Not retried after it was sent: a first try that did insert would make the retry report a duplicate.
      const inserted = await query(sql.insertWebhookKey, [key, at], false);
      return inserted.rowCount === 1;
    },
    async forgetWebhookKey(key) {
      await query(sql.deleteWebhookKey, [key]);
    },

    async scheduleJob(job) {
      await query(sql.scheduleJob, [
        job.id,
        job.kind,
        job.runAt,
        jobStatusSchema.parse(job.status),
        job.leaseUntil ?? null,
        job.attempts,
        writeJsonColumn(job.payload, 'job.payload'),
        clock.now(),
        jobChannel,
        jobNotifications,
      ]);
    },
    async getJob(id) {
      const { rows } = await query<JobRow>(sql.getJob, [id]);
      return rows[0] && readJob(rows[0]);
    },
    async claimDueJobs(now, limit, leaseMs, kinds) {
      if (limit <= 0 || kinds?.length === 0) return [];
      // One statement (atomic by itself); not retried once sent: a lease that was taken must not be taken again.
      const { rows } = await query<JobRow & { seq: string }>(
        sql.claimDueJobs,
        [now, limit, leaseMs, kinds ? [...kinds] : null, clock.now()],
        false,
      );
      return rows.sort((a, b) => Number(a.run_at) - Number(b.run_at) || Number(a.seq) - Number(b.seq)).map((row) => readJob(row));
    },
    async completeJob(id) {
      await query(sql.completeJob, [id, clock.now()]);
    },
    async cancelJob(id) {
      await query(sql.cancelJob, [id, clock.now()]);
    },

    async putRecord(namespace, key, value) {
      if (value === undefined) await query(sql.deleteRecord, [namespace, key]);
      else await query(sql.putRecord, [namespace, key, writeJsonColumn(value, `record ${namespace}`), clock.now()]);
    },
    async getRecord<T>(namespace: string, key: string) {
      const { rows } = await query<{ value: string }>(sql.getRecord, [namespace, key]);
      return rows[0] && (readJsonColumn(jsonValueSchema, rows[0].value, 'records', `${namespace}/${key}`) as T);
    },
    async updateRecord<T>(namespace: string, key: string, update: (current: T | undefined) => T | undefined) {
      await ready();
      return connection.atomic<T | undefined>({
        locks: [lock('record', namespace, key)],
        read: { text: sql.getRecordForUpdate, values: [namespace, key] },
        rows: (result) => (result.rows.length > 0 ? [`record\u0000${namespace}\u0000${key}`] : []),
        write: (result) => {
          const row = result.rows[0] as { value: string } | undefined;
          const current = row && (readJsonColumn(jsonValueSchema, row.value, 'records', `${namespace}/${key}`) as T);
          const next = update(current);
          if (next === undefined) return { statements: [{ text: sql.deleteRecord, values: [namespace, key] }], value: undefined };
          const text = writeJsonColumn(next, `record ${namespace}`);
          return {
            statements: [{ text: sql.putRecord, values: [namespace, key, text, clock.now()] }],
            value: JSON.parse(text) as T,
          };
        },
      });
    },
    async listRecords<T>(namespace: string, prefix = '') {
      // Keys are COLLATE "C" (byte order = code point order): [prefix, prefix + U+10FFFF) is a primary-key range;
      // startsWith drops the one key that range lets through without the prefix (none, unless a key holds U+10FFFF).
      const { rows } = await query<{ key: string; value: string }>(sql.listRecords, [namespace, prefix, `${prefix}\u{10FFFF}`]);
      return rows
        .filter((row) => row.key.startsWith(prefix))
        .map((row) => ({
          key: row.key,
          value: readJsonColumn(jsonValueSchema, row.value, 'records', `${namespace}/${row.key}`) as T,
        }));
    },

    async prune(pruneOptions) {
      const before = clock.now() - pruneOptions.olderThanMs;
      return transaction(
        [],
        async ({ run }) => ({
          webhookKeys: (await run(sql.pruneWebhookKeys, [before])).rowCount ?? 0,
          idempotencyKeys: (await run(sql.pruneIdempotencyKeys, [before])).rowCount ?? 0,
          jobs: (await run(sql.pruneJobs, [before])).rowCount ?? 0,
        }),
        true,
      );
    },
    ...(jobWatcher && { watchJobs: jobWatcher.watch }),
    async close() {
      if (closed) return;
      closed = true;
      await jobWatcher?.close();
      if (ownsPool) await pool.end();
    },
  };
}

/** The number of schema versions this release knows. */
export const postgresSchemaVersion: number = postgresMigrations.length;
