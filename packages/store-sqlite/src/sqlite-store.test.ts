import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type Message, OmnidealerError } from '@omnidealer/core';
import { testStoreContract } from '@omnidealer/core/test';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
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
