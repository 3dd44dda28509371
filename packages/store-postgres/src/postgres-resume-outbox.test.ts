import { type Channel, createManualClock, createOmnidealer, type Store } from '@omnidealer/core';
import { createTestChannel, type TestChannel } from '@omnidealer/core/test';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const url = testPostgresUrl();
const stores: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
});

const start = Date.parse('2026-03-01T09:00:00Z');
const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };

/** What a crashed machine left: a contact, a conversation and `count` queued messages its provider never got. */
async function crashedOutbox(store: Store, count: number): Promise<string[]> {
  await store.saveContact({ id: 'c1', phone: '+79161234567', identities: {} });
  await store.saveConversation({
    id: 'conv-1',
    contactId: 'c1',
    channel: 'sms',
    status: 'open',
    handler: 'bot',
    assignments: [],
    unreadCount: 0,
    createdAt: start,
    updatedAt: start,
  });
  const ids = Array.from({ length: count }, (_, index) => `msg-${String(index).padStart(2, '0')}`);
  for (const id of ids) {
    await store.saveMessage({
      id,
      conversationId: 'conv-1',
      contactId: 'c1',
      direction: 'outbound',
      channel: 'sms',
      content: { type: 'text', text: 'Напоминаем о записи на ТО' },
      status: 'queued',
      createdAt: start,
      updatedAt: start,
    });
  }
  return ids;
}

/** A channel whose provider answers after a real pause, so the two machines' resumes overlap. */
function slowChannel(): TestChannel {
  const channel = createTestChannel({ id: 'sms', kind: 'sms' });
  const send = channel.doSend.bind(channel);
  channel.doSend = async (message, options) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return send(message, options);
  };
  return channel;
}

describe.skipIf(!url)('hub.resumeOutbox on two machines sharing PostgreSQL', () => {
  it('two hubs on two store instances resuming one outbox at once send each message once', async () => {
    const schema = freshSchema();
    const clock = createManualClock(start + 600_000);
    const storeA = createPostgresStore({ connectionString: url, schema, clock, poolSize: 4 });
    const storeB = createPostgresStore({ connectionString: url, schema, clock, poolSize: 4 });
    stores.push(storeA, storeB);
    const ids = await crashedOutbox(storeA, 12);
    const channelA = slowChannel();
    const channelB = slowChannel();
    const hubA = createOmnidealer({ channels: [channelA] as Channel[], store: storeA, clock, retry: fastRetry });
    const hubB = createOmnidealer({ channels: [channelB] as Channel[], store: storeB, clock, retry: fastRetry });

    const [resumedA, resumedB] = await Promise.all([hubA.resumeOutbox(), hubB.resumeOutbox()]);
    const sent = [...channelA.sent, ...channelB.sent].map((message) => message.id);
    expect(sent.toSorted()).toEqual(ids);
    expect([...resumedA, ...resumedB].map((message) => message.id).toSorted()).toEqual(ids);
    expect(await storeB.listQueuedMessages()).toEqual([]);
    expect(await storeA.listRecords('outbox-claim')).toEqual([]);
    expect(await hubB.resumeOutbox()).toEqual([]);
  });
});
