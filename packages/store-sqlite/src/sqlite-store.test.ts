import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Conversation, createManualClock, type Message, OmnidealerError } from '@omnidealer/core';
import { testStoreContract } from '@omnidealer/core/test';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, sqliteMigrations } from './sqlite-migrations.js';
import { createSqliteStore } from './sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'omnidealer-sqlite-'));
let files = 0;
const freshPath = () => join(folder, `store-${++files}.db`);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

testStoreContract('sqlite (file)', () => createSqliteStore({ path: freshPath() }));
testStoreContract('sqlite (:memory:)', () => createSqliteStore({ path: ':memory:' }));

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

describe('createSqliteStore', () => {
  it('keeps everything across close and reopen', async () => {
    const path = freshPath();
    const first = createSqliteStore({ path });
    await first.saveContact({ id: 'c1', phone: '+79161234567', identities: { whatsapp: '79161234567' } });
    await first.saveConversation({
      id: 'conv-1',
      contactId: 'c1',
      channel: 'whatsapp',
      status: 'open',
      handler: 'operator',
      assignee: 'anna',
      assignments: [{ at: 5, assignee: 'anna', handler: 'operator' }],
      unreadCount: 2,
      createdAt: 1,
      updatedAt: 5,
    });
    await first.saveMessage(message('m1'));
    await first.saveMessage(message('m2', { status: 'sent', providerMessageId: 'wamid.2' }));
    expect(await first.claimIdempotencyKey('order-42', 'm1')).toBeUndefined();
    expect(await first.markWebhookSeen('wa:wamid.2:sent', 3)).toBe(true);
    await first.scheduleJob({
      id: 'j1',
      kind: 'cascade.step',
      runAt: 100,
      payload: { run: 'r1', step: 2 },
      status: 'pending',
      attempts: 0,
    });
    await first.putRecord('cascade', 'run-1', { step: 2, channels: ['whatsapp', 'sms'] });
    await first.close();

    const second = createSqliteStore({ path });
    expect((await second.findContactByAddress('79161234567'))?.id).toBe('c1');
    expect((await second.getConversation('conv-1'))?.assignments).toEqual([{ at: 5, assignee: 'anna', handler: 'operator' }]);
    expect((await second.listQueuedMessages()).map((m) => m.id)).toEqual(['m1']);
    expect((await second.findMessageByProviderId('whatsapp', 'wamid.2'))?.id).toBe('m2');
    expect(await second.claimIdempotencyKey('order-42', 'm9')).toBe('m1');
    expect(await second.markWebhookSeen('wa:wamid.2:sent', 4)).toBe(false);
    expect((await second.claimDueJobs(100, 10, 1000)).map((job) => [job.id, job.payload, job.attempts])).toEqual([
      ['j1', { run: 'r1', step: 2 }, 1],
    ]);
    expect(await second.getRecord('cascade', 'run-1')).toEqual({ step: 2, channels: ['whatsapp', 'sms'] });
    await second.close();
  });

  it('puts the file in WAL mode', async () => {
    const path = freshPath();
    const store = createSqliteStore({ path, synchronous: 'normal' });
    const peek = new Database(path, { readonly: true });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    peek.close();
    await store.close();
  });

  it('validates rows on read with the core schemas and names the broken field', async () => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    await store.saveMessage(message('m1'));
    await store.saveMessage(message('m2'));
    const raw = new Database(path);
    raw.prepare("UPDATE messages SET data = json_set(data, '$.status', 'teleported') WHERE id = 'm1'").run();
    raw.prepare("UPDATE messages SET data = '{not json' WHERE id = 'm2'").run();
    raw.close();
    const invalid = await store.getMessage('m1').catch((error: unknown) => error);
    expect(OmnidealerError.isInstance(invalid)).toBe(true);
    expect(invalid).toMatchObject({ code: 'validation', field: 'sqlite.messages.status' });
    await expect(store.getMessage('m2')).rejects.toMatchObject({ code: 'validation', field: 'sqlite.messages' });
    await store.close();
  });

  it('refuses values that have no JSON form instead of storing something else', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await expect(store.putRecord('caps', 'k', { count: 1n })).rejects.toMatchObject({ code: 'validation' });
    await store.putRecord('caps', 'k', { count: 1 });
    await store.putRecord('caps', 'k', undefined);
    expect(await store.getRecord('caps', 'k')).toBeUndefined();
    await store.close();
  });

  it('lists records by prefix through the key range, including non-ASCII keys', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    for (const key of ['run-1', 'run-2', 'run-🚗', 'run', 'rum-1', 'rux', 'машина-1']) await store.putRecord('ns', key, key);
    await store.putRecord('other', 'run-3', 'x');
    expect((await store.listRecords('ns', 'run-')).map((record) => record.key)).toEqual(['run-1', 'run-2', 'run-🚗']);
    expect((await store.listRecords('ns', 'машина')).map((record) => record.value)).toEqual(['машина-1']);
    expect(await store.listRecords('ns')).toHaveLength(7);
    await store.close();
  });

  it('leases jobs whose running lease has no end as expired, and keeps a job id unique on reschedule', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.scheduleJob({ id: 'j1', kind: 'cascade.step', runAt: 10, payload: {}, status: 'running', attempts: 1 });
    await store.scheduleJob({ id: 'j2', kind: 'cascade.step', runAt: 10, payload: {}, status: 'pending', attempts: 0 });
    await store.scheduleJob({
      id: 'j2',
      kind: 'cascade.step',
      runAt: 500,
      payload: { moved: true },
      status: 'pending',
      attempts: 0,
    });
    expect((await store.claimDueJobs(20, 10, 100)).map((job) => job.id)).toEqual(['j1']);
    expect(await store.claimDueJobs(20, 0, 100)).toEqual([]);
    await store.completeJob('j1');
    expect((await store.claimDueJobs(500, 10, 100)).map((job) => [job.id, job.payload])).toEqual([['j2', { moved: true }]]);
    await store.close();
  });

  it('prunes old webhook keys, idempotency keys and finished jobs by the injected clock', async () => {
    const clock = createManualClock(1_000_000);
    const store = createSqliteStore({ path: ':memory:', clock });
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
    await store.close();
  });
});

const conversation = (id: string, branchId: string | undefined, updatedAt: number): Conversation => ({
  id,
  contactId: `contact-${id}`,
  channel: branchId ? `whatsapp-${branchId}` : 'whatsapp',
  ...(branchId ? { branchId } : {}),
  status: 'open',
  handler: 'operator',
  assignments: [],
  unreadCount: 0,
  createdAt: 1,
  updatedAt,
});

describe('listConversations({ branchId })', () => {
  it('fills branch_id from the JSON when a file of schema version 1 is upgraded', async () => {
    const path = freshPath();
    const old = new Database(path);
    migrate(old, sqliteMigrations.slice(0, 1));
    const insert = old.prepare(
      `INSERT INTO conversations (id, contact_id, channel, status, handler, updated_at, data)
       VALUES (@id, @contactId, @channel, @status, @handler, @updatedAt, @data)`,
    );
    for (const row of [conversation('n1', 'north', 1), conversation('s1', 'south', 2), conversation('g1', undefined, 3)])
      insert.run({ ...row, data: JSON.stringify({ ...row, subject: { title: 'nul \u0000 inside' } }) });
    old.close();

    const store = createSqliteStore({ path });
    const file = new Database(path, { readonly: true });
    expect(file.pragma('user_version', { simple: true })).toBe(sqliteMigrations.length);
    expect(file.prepare('SELECT id, branch_id FROM conversations ORDER BY id').all()).toEqual([
      { id: 'g1', branch_id: null },
      { id: 'n1', branch_id: 'north' },
      { id: 's1', branch_id: 'south' },
    ]);
    file.close();
    expect((await store.listConversations({ branchId: 'north' })).map((found) => found.id)).toEqual(['n1']);
    // Every write keeps the column: a hand-off moves the conversation to the other branch's list.
    await store.saveConversation({ ...conversation('n1', 'south', 4), contactId: 'contact-n1' });
    expect((await store.listConversations({ branchId: 'south' })).map((found) => found.id)).toEqual(['n1', 's1']);
    expect(await store.listConversations({ branchId: 'north' })).toEqual([]);
    await store.close();
  });

  it('reads the branch from its index, not from the JSON of every row', async () => {
    const path = freshPath();
    const store = createSqliteStore({ path });
    await store.saveConversation(conversation('n1', 'north', 1));
    const statements: string[] = [];
    const prepare = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, source: string) {
      statements.push(source);
      return prepare.call(this, source);
    } as typeof prepare;
    try {
      expect((await store.listConversations({ branchId: 'north', status: 'open' })).map((found) => found.id)).toEqual(['n1']);
    } finally {
      Database.prototype.prepare = prepare;
    }
    const [listing] = statements;
    expect(listing).toMatch(/branch_id = \?/);
    expect(listing).not.toMatch(/json_extract/);
    const file = new Database(path, { readonly: true });
    const plan = file
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${listing}`)
      .all('open', 'north')
      .map((row) => row.detail);
    expect(plan.join('\n')).toMatch(/USING INDEX conversations_by_branch/);
    file.close();
    await store.close();
  });
});
