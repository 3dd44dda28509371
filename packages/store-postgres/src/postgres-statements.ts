/**
 * The store's SQL, for the quoted schema `s`. Every statement has a fixed text: each is prepared once per connection
 * (see runPipeline) and only bound afterwards.
 */
export function postgresStatements(s: string) {
  return {
    // One statement writes the contact and its addresses: atomic without a transaction round trip.
    saveContact: `WITH saved AS (
        INSERT INTO ${s}.contacts (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data
      )
      INSERT INTO ${s}.contact_addresses (address, contact_id) SELECT address, $1 FROM unnest($3::text[]) AS address
      ON CONFLICT (address) DO UPDATE SET contact_id = excluded.contact_id`,
    getContact: `SELECT data FROM ${s}.contacts WHERE id = $1`,
    getContactForUpdate: `SELECT id, data FROM ${s}.contacts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    findContactsByAddress: `SELECT a.contact_id, a.address, c.data FROM ${s}.contact_addresses AS a
      JOIN ${s}.contacts AS c ON c.id = a.contact_id WHERE a.address = ANY($1::text[])`,
    deleteContact: `DELETE FROM ${s}.contacts WHERE id = $1`,
    moveAddresses: `UPDATE ${s}.contact_addresses SET contact_id = $1 WHERE contact_id = $2`,

    saveConversation: `INSERT INTO ${s}.conversations
        (id, contact_id, channel, external_id, status, assignee, handler, updated_at, data, branch_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, channel = excluded.channel,
        external_id = excluded.external_id, status = excluded.status, assignee = excluded.assignee,
        handler = excluded.handler, updated_at = excluded.updated_at, data = excluded.data, branch_id = excluded.branch_id`,
    getConversation: `SELECT id, data FROM ${s}.conversations WHERE id = $1`,
    getConversationForUpdate: `SELECT id, data FROM ${s}.conversations WHERE id = $1 FOR UPDATE`,
    findConversation: `SELECT id, data FROM ${s}.conversations WHERE contact_id = $1 AND channel = $2 ORDER BY seq DESC LIMIT 1`,
    findConversationByExternalId: `SELECT id, data FROM ${s}.conversations
      WHERE contact_id = $1 AND channel = $2 AND external_id = $3 ORDER BY seq DESC LIMIT 1`,
    contactConversationsForUpdate: `SELECT id, data FROM ${s}.conversations WHERE contact_id = ANY($1::text[]) ORDER BY seq FOR UPDATE`,
    deleteConversations: `DELETE FROM ${s}.conversations WHERE id = ANY($1::text[])`,

    saveMessage: `INSERT INTO ${s}.messages (id, conversation_id, channel, provider_message_id, queued, data)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id, channel = excluded.channel,
        provider_message_id = excluded.provider_message_id, queued = excluded.queued, data = excluded.data`,
    getMessage: `SELECT id, data FROM ${s}.messages WHERE id = $1`,
    findMessageByProviderId: `SELECT id, data FROM ${s}.messages WHERE channel = $1 AND provider_message_id = $2
      ORDER BY seq DESC LIMIT 1`,
    listMessages: `SELECT id, data FROM ${s}.messages WHERE conversation_id = $1 ORDER BY seq`,
    listLastMessages: `SELECT id, data FROM (
        SELECT seq, id, data FROM ${s}.messages WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2
      ) AS last ORDER BY seq`,
    listQueuedMessages: `SELECT id, data FROM ${s}.messages WHERE queued ORDER BY seq LIMIT $1`,
    messagesOfConversationsForUpdate: `SELECT id, conversation_id, data FROM ${s}.messages
      WHERE conversation_id = ANY($1::text[]) ORDER BY seq FOR UPDATE`,
    moveMessages: `UPDATE ${s}.messages AS m SET conversation_id = moved.conversation_id, data = moved.data
      FROM unnest($1::text[], $2::text[], $3::text[]) AS moved (id, conversation_id, data) WHERE m.id = moved.id`,

    insertIdempotencyKey: `INSERT INTO ${s}.idempotency_keys (key, message_id, created_at) VALUES ($1, $2, $3)
      ON CONFLICT (key) DO NOTHING`,
    getIdempotencyKey: `SELECT message_id FROM ${s}.idempotency_keys WHERE key = $1`,
    insertWebhookKey: `INSERT INTO ${s}.webhook_keys (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
    deleteWebhookKey: `DELETE FROM ${s}.webhook_keys WHERE key = $1`,

    // Notifies the job watchers (watchJobs) of a pending job; PostgreSQL delivers it when the transaction commits.
    scheduleJob: `WITH saved AS (
        INSERT INTO ${s}.jobs (id, kind, run_at, status, lease_until, attempts, payload, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, run_at = excluded.run_at, status = excluded.status,
          lease_until = excluded.lease_until, attempts = excluded.attempts, payload = excluded.payload,
          updated_at = excluded.updated_at
        RETURNING kind, run_at, status
      )
      SELECT pg_notify($9, json_build_object('runAt', run_at, 'kind', kind)::text) FROM saved
      WHERE $10 AND status = 'pending'`,
    getJob: `SELECT id, kind, run_at, status, lease_until, attempts, payload FROM ${s}.jobs WHERE id = $1`,
    // The due conditions sit at the level that locks, so a row another worker leased meanwhile is re-checked on its
    // new version (and dropped), and one it still holds is skipped: no job is leased twice.
    claimDueJobs: `WITH due AS (
        SELECT seq FROM ${s}.jobs
        WHERE ((status = 'pending' AND run_at <= $1) OR (status = 'running' AND (lease_until IS NULL OR lease_until <= $1)))
          AND ($4::text[] IS NULL OR kind = ANY($4::text[]))
        ORDER BY run_at, seq LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${s}.jobs AS j SET status = 'running', lease_until = $1 + $3, attempts = j.attempts + 1, updated_at = $5
      FROM due WHERE j.seq = due.seq
      RETURNING j.seq, j.id, j.kind, j.run_at, j.status, j.lease_until, j.attempts, j.payload`,
    completeJob: `UPDATE ${s}.jobs SET status = 'done', updated_at = $2 WHERE id = $1`,
    cancelJob: `UPDATE ${s}.jobs SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status <> 'done'`,

    putRecord: `INSERT INTO ${s}.records (namespace, key, value, updated_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    deleteRecord: `DELETE FROM ${s}.records WHERE namespace = $1 AND key = $2`,
    getRecord: `SELECT value FROM ${s}.records WHERE namespace = $1 AND key = $2`,
    getRecordForUpdate: `SELECT value FROM ${s}.records WHERE namespace = $1 AND key = $2 FOR UPDATE`,
    listRecords: `SELECT key, value FROM ${s}.records WHERE namespace = $1 AND key >= $2 AND key < $3 ORDER BY key`,

    pruneWebhookKeys: `DELETE FROM ${s}.webhook_keys WHERE seen_at < $1`,
    pruneIdempotencyKeys: `DELETE FROM ${s}.idempotency_keys WHERE created_at < $1`,
    pruneJobs: `DELETE FROM ${s}.jobs WHERE status IN ('done', 'cancelled') AND updated_at < $1`,
  };
}

/** The store's statements by name. */
export type PostgresStatements = ReturnType<typeof postgresStatements>;
