import { createManualClock, type Message, OmnidealerError } from '@omnidealer/core';
import { testStoreContract } from '@omnidealer/core/test';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const url = testPostgresUrl();
const admin = url ? new pg.Pool({ connectionString: url, max: 2 }) : undefined;
afterAll(() => admin?.end());

const stores: PostgresStore[] = [];
const create = (options: Partial<Parameters<typeof createPostgresStore>[0]> = {}) => {
  const store = createPostgresStore({ connectionString: url, schema: freshSchema(), poolSize: 4, ...options } as Parameters<
    typeof createPostgresStore
  >[0]);
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
});

// A second instance on the same schema stands for a second machine (its own pool).
if (url)
  testStoreContract('postgres', () => create(), { openAgain: (store) => create({ schema: (store as PostgresStore).schema }) });

/** Passes every query a pg client sends (its text and values) to `record`, until the returned function restores pg. */
function recordQueries(record: (text: string, values: unknown[]) => void): () => void {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    if (typeof config === 'string') record(config, values ?? []);
    else record(config.text, config.values ?? values ?? []);
    return (query as (...parameters: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return () => {
    pg.Client.prototype.query = query;
  };
}

const message = (id: string, overrides: Partial<Message> = {}): Message => ({
  id,
  conversationId: 'conv-1',
  contactId: 'contact-1',
  direction: 'outbound',
  channel: 'whatsapp',
  content: { type: 'text', text: 'Ваш автомобиль готов' },
  status: 'queued',
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

describe.skipIf(!url)('createPostgresStore (real PostgreSQL)', () => {
  it('keeps everything for a second store on the same schema (another machine)', async () => {
    const schema = freshSchema();
    const first = create({ schema });
    await first.saveContact({ id: 'c1', phone: '+79161234567', identities: { whatsapp: '79161234567' } });
    await first.saveMessage(message('m1'));
    await first.saveMessage(message('m2', { status: 'sent', providerMessageId: 'wamid.2' }));
    expect(await first.claimIdempotencyKey('order-42', 'm1')).toBeUndefined();
    expect(await first.markWebhookSeen('wa:wamid.2:sent', 3)).toBe(true);
    await first.scheduleJob({
      id: 'j1',
      kind: 'cascade.step',
      runAt: 100,
      payload: { run: 'r1' },
      status: 'pending',
      attempts: 0,
    });
    await first.putRecord('cascade', 'run-1', { step: 2, channels: ['whatsapp', 'sms'] });
    await first.close();

    const second = create({ schema });
    expect((await second.findContactByAddress('79161234567'))?.id).toBe('c1');
    expect((await second.listQueuedMessages()).map((m) => m.id)).toEqual(['m1']);
    expect((await second.findMessageByProviderId('whatsapp', 'wamid.2'))?.id).toBe('m2');
    expect(await second.claimIdempotencyKey('order-42', 'm9')).toBe('m1');
    expect(await second.markWebhookSeen('wa:wamid.2:sent', 4)).toBe(false);
    expect((await second.claimDueJobs(100, 10, 1000)).map((job) => [job.id, job.payload, job.attempts])).toEqual([
      ['j1', { run: 'r1' }, 1],
    ]);
    expect(await second.getRecord('cascade', 'run-1')).toEqual({ step: 2, channels: ['whatsapp', 'sms'] });
  });

  it('works on a pool the application owns, and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const store = createPostgresStore({ pool, schema: freshSchema() });
    await store.putRecord('ns', 'k', 1);
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });

  it('validates rows on read with the core schemas and names the broken field', async () => {
    const store = create();
    await store.saveMessage(message('m1'));
    await store.saveMessage(message('m2'));
    await admin!.query(`UPDATE ${store.schema}.messages SET data = replace(data, '"queued"', '"teleported"') WHERE id = 'm1'`);
    await admin!.query(`UPDATE ${store.schema}.messages SET data = '{not json' WHERE id = 'm2'`);
    const invalid = await store.getMessage('m1').catch((error: unknown) => error);
    expect(OmnidealerError.isInstance(invalid)).toBe(true);
    expect(invalid).toMatchObject({ code: 'validation', field: 'postgres.messages.status' });
    await expect(store.getMessage('m2')).rejects.toMatchObject({ code: 'validation', field: 'postgres.messages' });
  });

  it('stores text PostgreSQL jsonb would refuse (\\u0000) and refuses values with no JSON form', async () => {
    const store = create();
    await store.saveMessage(message('m1', { content: { type: 'text', text: 'a\u0000b' } }));
    expect((await store.getMessage('m1'))?.content).toEqual({ type: 'text', text: 'a\u0000b' });
    await expect(store.putRecord('caps', 'k', { count: 1n })).rejects.toMatchObject({ code: 'validation' });
    await expect(store.updateRecord('caps', 'k', () => ({ count: 1n }))).rejects.toMatchObject({ code: 'validation' });
    expect(await store.getRecord('caps', 'k')).toBeUndefined();
  });

  it('lists records by prefix through the key range, including non-ASCII keys', async () => {
    const store = create();
    for (const key of ['run-1', 'run-2', 'run-🚗', 'run', 'rum-1', 'rux', 'машина-1']) await store.putRecord('ns', key, key);
    await store.putRecord('other', 'run-3', 'x');
    expect((await store.listRecords('ns', 'run-')).map((record) => record.key)).toEqual(['run-1', 'run-2', 'run-🚗']);
    expect((await store.listRecords('ns', 'машина')).map((record) => record.value)).toEqual(['машина-1']);
    expect(await store.listRecords('ns')).toHaveLength(7);
  });

  it('leases each due job to exactly one of several stores claiming at once (FOR UPDATE SKIP LOCKED)', async () => {
    const schema = freshSchema();
    const workers = [create({ schema }), create({ schema }), create({ schema })];
    await workers[0]!.migrate();
    for (let index = 0; index < 300; index++) {
      await workers[0]!.scheduleJob({
        id: `j${index}`,
        kind: 'cascade.step',
        runAt: index,
        payload: {},
        status: 'pending',
        attempts: 0,
      });
    }
    const claimed: string[] = [];
    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: 4 }, async () => {
          for (;;) {
            const jobs = await worker.claimDueJobs(1_000, 7, 60_000);
            if (jobs.length === 0) return;
            claimed.push(...jobs.map((job) => job.id));
          }
        }),
      ),
    );
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed).size).toBe(300);
  });

  it('loses no update when several stores update one record, contact and conversation at once', async () => {
    const schema = freshSchema();
    const machines = [create({ schema }), create({ schema }), create({ schema })];
    await machines[0]!.migrate();
    await machines[0]!.saveContact({ id: 'c1', phone: '+79161234567', tags: [] });
    const rounds = 20;
    await Promise.all(
      machines.flatMap((machine, index) =>
        Array.from({ length: rounds }, async (_, round) => {
          await machine.updateRecord<number>('caps', 'count', (current) => (current ?? 0) + 1);
          await machine.updateContact(
            'c1',
            (contact) => contact && { ...contact, tags: [...(contact.tags ?? []), `${index}-${round}`] },
          );
          await machine.openConversation('c1', 'whatsapp', undefined, (newest) =>
            newest
              ? { ...newest, unreadCount: newest.unreadCount + 1 }
              : {
                  id: `conv-${index}-${round}`,
                  contactId: 'c1',
                  channel: 'whatsapp',
                  status: 'open',
                  handler: 'bot',
                  assignments: [],
                  unreadCount: 1,
                  createdAt: 1,
                  updatedAt: 1,
                },
          );
        }),
      ),
    );
    expect(await machines[1]!.getRecord('caps', 'count')).toBe(3 * rounds);
    expect((await machines[2]!.getContact('c1'))?.tags).toHaveLength(3 * rounds);
    const conversations = await machines[0]!.listConversations({ contactId: 'c1' });
    expect(conversations).toHaveLength(1);
    expect(conversations[0]?.unreadCount).toBe(3 * rounds);
  });

  it('prunes old webhook keys, idempotency keys and finished jobs by the injected clock', async () => {
    const clock = createManualClock(1_000_000);
    const store = create({ clock });
    await store.markWebhookSeen('old', clock.now());
    await store.claimIdempotencyKey('old-key', 'm1');
    await store.scheduleJob({ id: 'done', kind: 'k', runAt: 0, payload: {}, status: 'pending', attempts: 0 });
    await store.scheduleJob({ id: 'waiting', kind: 'k', runAt: 10 ** 12, payload: {}, status: 'pending', attempts: 0 });
    await store.completeJob('done');
    clock.advance(10_000);
    await store.markWebhookSeen('new', clock.now());
    await store.claimIdempotencyKey('new-key', 'm2');
    expect(await store.prune({ olderThanMs: 5_000 })).toEqual({ webhookKeys: 1, idempotencyKeys: 1, jobs: 1 });
    expect(await store.markWebhookSeen('old', clock.now())).toBe(true);
    expect(await store.markWebhookSeen('new', clock.now())).toBe(false);
    expect(await store.claimIdempotencyKey('new-key', 'm3')).toBe('m2');
    expect(await store.getJob('done')).toBeUndefined();
    expect((await store.getJob('waiting'))?.status).toBe('pending');
  });

  it('groups the calls of one event-loop turn into one round trip and commit; a failing one fails alone', async () => {
    const store = create();
    await store.migrate();
    const sent: string[] = [];
    const restore = recordQueries((text) => sent.push(text));
    try {
      const results = await Promise.allSettled([
        store.saveMessage(message('grouped-1')),
        store.putRecord('grouped', 'ok', { n: 1 }),
        // Out of a bigint's range: PostgreSQL refuses this statement, and rolls the group back with it.
        store.scheduleJob({ id: 'grouped-job', kind: 'k', runAt: 1e30, payload: {}, status: 'pending', attempts: 0 }),
        store.getMessage('grouped-1'),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ reason: 'query', retryable: false });
      // One query held all four (and failed); then each ran again alone.
      expect(sent.filter((text) => text.includes('; ')).length).toBe(1);
      expect(sent.length).toBe(5);
    } finally {
      restore();
    }
    expect((await store.getMessage('grouped-1'))?.id).toBe('grouped-1');
    expect(await store.getRecord('grouped', 'ok')).toEqual({ n: 1 });
    expect(await store.getJob('grouped-job')).toBeUndefined();
    // A value the group cannot carry inline (a NUL ends the protocol's query string) goes alone, and fails alone.
    const nul = await Promise.allSettled([
      store.putRecord('grouped', 'bad\u0000key', { n: 2 }),
      store.putRecord('grouped', 'fine', { n: 3 }),
    ]);
    expect(nul.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
    expect(await store.getRecord('grouped', 'fine')).toEqual({ n: 3 });

    sent.length = 0;
    const [saved, read] = await Promise.all([store.saveMessage(message('grouped-2')), store.getRecord('grouped', 'ok')]);
    expect(saved).toBeUndefined();
    expect(read).toEqual({ n: 1 });
  });

  it('runs the atomic updates of one event-loop turn as one transaction of two round trips; same key or row waits its turn', async () => {
    const store = create();
    await store.migrate();
    const conversation = {
      id: 'batched-conv',
      contactId: 'batched-contact',
      channel: 'whatsapp',
      status: 'open' as const,
      handler: 'bot' as const,
      assignments: [],
      unreadCount: 0,
      createdAt: 1,
      updatedAt: 1,
    };
    await store.saveConversation(conversation);
    const sent: string[] = [];
    const restore = recordQueries((text) => sent.push(text));
    try {
      const counts = Array.from({ length: 6 }, (_, index) =>
        store.updateRecord<number>('batched', `key-${index}`, (current) => (current ?? 0) + 1),
      );
      const results = await Promise.allSettled([
        ...counts,
        // The same key twice: the second waits for the next batch, and sees the first.
        store.updateRecord<number>('batched', 'key-0', (current) => (current ?? 0) + 10),
        store.updateContact('batched-contact', () => ({ id: 'batched-contact', phone: '+79161234567' })),
        // One update that throws fails alone; nothing of it is written.
        store.updateRecord('batched', 'throws', () => {
          throw new Error('refused by the caller');
        }),
        // The same conversation row reached by two methods (two locks): the second waits for the next batch.
        store.updateConversation('batched-conv', (current) => current && { ...current, unreadCount: current.unreadCount + 1 }),
        store.openConversation('batched-contact', 'whatsapp', undefined, (current) =>
          current ? { ...current, unreadCount: current.unreadCount + 1 } : undefined,
        ),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        ...Array(8).fill('fulfilled'),
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((results[8] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused by the caller' });
      // Three transactions of two round trips each (BEGIN, locks and reads; writes and COMMIT): the batch, the repeated
      // key (sent at once, it waits on the lock), the second reader of the conversation (sent after the batch).
      expect(sent.filter((text) => text.startsWith('BEGIN')).length).toBe(3);
      expect(sent.length).toBe(6);
    } finally {
      restore();
    }
    expect(await store.getRecord('batched', 'key-0')).toBe(11);
    expect(await store.getRecord('batched', 'key-5')).toBe(1);
    expect(await store.getRecord('batched', 'throws')).toBeUndefined();
    expect((await store.getContact('batched-contact'))?.phone).toBe('+79161234567');
    expect((await store.getConversation('batched-conv'))?.unreadCount).toBe(2);
  });

  it('answers every lookup from an index', async () => {
    const store = create();
    await store.migrate();
    await admin!.query('SET enable_seqscan = off');
    const client = await admin!.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plans: string[] = [];
      const s = store.schema;
      for (const statement of [
        `SELECT a.contact_id, c.data FROM ${s}.contact_addresses AS a JOIN ${s}.contacts AS c ON c.id = a.contact_id
          WHERE a.address = ANY('{a,b}'::text[])`,
        `SELECT id FROM ${s}.conversations WHERE contact_id = 'c' AND channel = 'w' ORDER BY seq DESC LIMIT 1`,
        `SELECT id FROM ${s}.conversations WHERE status = 'open' ORDER BY updated_at DESC, seq LIMIT 50`,
        `SELECT id FROM ${s}.conversations WHERE branch_id = 'north' ORDER BY updated_at DESC, seq LIMIT 50`,
        `SELECT id FROM ${s}.messages WHERE channel = 'w' AND provider_message_id = 'x' ORDER BY seq DESC LIMIT 1`,
        `SELECT id FROM ${s}.messages WHERE conversation_id = 'c' ORDER BY seq`,
        `SELECT id FROM ${s}.messages WHERE queued ORDER BY seq LIMIT 10`,
        `SELECT seq FROM ${s}.jobs WHERE status = 'pending' AND run_at <= 5 ORDER BY run_at, seq LIMIT 5`,
        `DELETE FROM ${s}.webhook_keys WHERE seen_at < 5`,
        `SELECT key FROM ${s}.records WHERE namespace = 'n' AND key >= 'a' AND key < 'b' ORDER BY key`,
      ]) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`);
        plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
      }
      for (const plan of plans) expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      client.release(true);
    }
  });

  it('filters conversations by branch on the branch_id column, written on every save, through its index', async () => {
    const store = create();
    const conversation = (id: string, branchId: string, updatedAt: number) => ({
      id,
      contactId: `contact-${id}`,
      channel: `whatsapp-${branchId}`,
      branchId,
      status: 'open' as const,
      handler: 'operator' as const,
      assignments: [],
      unreadCount: 0,
      createdAt: 1,
      updatedAt,
    });
    await store.saveConversation(conversation('n1', 'north', 1));
    await store.saveConversation(conversation('s1', 'south', 2));
    // A hand-off through the atomic update moves it to the other branch's list.
    await store.updateConversation('n1', (current) => current && { ...current, branchId: 'south', updatedAt: 3 });
    const sent: Array<{ text: string; values: unknown[] }> = [];
    const restore = recordQueries((text, values) => sent.push({ text, values }));
    let listed: string[];
    try {
      listed = (await store.listConversations({ branchId: 'south' })).map((found) => found.id);
    } finally {
      restore();
    }
    expect(listed).toEqual(['n1', 's1']);
    expect(await store.listConversations({ branchId: 'north' })).toEqual([]);
    const listing = sent.find(({ text }) => text.includes('conversations'));
    expect(listing?.text).toMatch(/WHERE branch_id = \$1/);
    expect(listing?.text).not.toMatch(/branchId/);
    const client = await admin!.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${listing!.text}`, listing!.values);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Scan using conversations_by_branch/);
    } finally {
      client.release(true);
    }
  });
});
