import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { createTestChannel, type TestChannel } from '../test-channel.js';
import { storeNamespaces } from './store-namespaces.js';

const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };
const start = Date.parse('2026-03-01T09:00:00Z');

/** What a crashed process left: a contact, a conversation and `count` queued messages its provider never got. */
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
  const ids = Array.from({ length: count }, (_, index) => `msg-${index}`);
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

/** A channel whose provider answers after a real pause, so two machines' resumes overlap. */
function slowChannel(): TestChannel {
  const channel = createTestChannel({ id: 'sms', kind: 'sms' });
  const send = channel.doSend.bind(channel);
  channel.doSend = async (message, options) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return send(message, options);
  };
  return channel;
}

describe('hub.resumeOutbox on several machines at once', () => {
  it('two hubs resuming one outbox at once send each message once', async () => {
    const store = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    const ids = await crashedOutbox(store, 6);
    const channelA = slowChannel();
    const channelB = slowChannel();
    const hubA = createOmnidealer({ channels: [channelA], store, clock, retry: fastRetry });
    const hubB = createOmnidealer({ channels: [channelB], store, clock, retry: fastRetry });

    const [resumedA, resumedB] = await Promise.all([hubA.resumeOutbox(), hubB.resumeOutbox()]);
    const sent = [...channelA.sent, ...channelB.sent].map((message) => message.id);
    expect(sent.toSorted()).toEqual(ids);
    expect([...resumedA, ...resumedB].map((message) => message.id).toSorted()).toEqual(ids);
    expect([...resumedA, ...resumedB].every((message) => message.status === 'sent')).toBe(true);
    expect(await store.listQueuedMessages()).toEqual([]);
    // Claims are released once their message is finished.
    expect(await store.listRecords(storeNamespaces.outboxClaim)).toEqual([]);
    expect(await hubA.resumeOutbox()).toEqual([]);
    expect(await hubB.resumeOutbox()).toEqual([]);
  });

  it("leaves a message another process holds, and takes it over once that claim's lease ran out", async () => {
    const store = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    await crashedOutbox(store, 1);
    await store.putRecord(storeNamespaces.outboxClaim, 'msg-0', { token: 'resume_dead', until: clock.now() + 1_000 });
    const channel = createTestChannel({ id: 'sms', kind: 'sms' });
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    expect(await hub.resumeOutbox()).toEqual([]);
    expect(channel.sent).toEqual([]);
    expect(await store.getRecord(storeNamespaces.outboxClaim, 'msg-0')).toEqual({
      token: 'resume_dead',
      until: clock.now() + 1_000,
    });
    clock.advance(1_000);
    expect((await hub.resumeOutbox({ claimMs: 5_000 })).map((message) => [message.id, message.status])).toEqual([
      ['msg-0', 'sent'],
    ]);
    expect(channel.sent.map((message) => message.id)).toEqual(['msg-0']);
    expect(await store.listRecords(storeNamespaces.outboxClaim)).toEqual([]);
  });

  it('a message another machine finished between the list and the claim is not sent again', async () => {
    const base = createMemoryStore();
    const clock = createManualClock(start + 600_000);
    await crashedOutbox(base, 1);
    const channelA = createTestChannel({ id: 'sms', kind: 'sms' });
    const hubA = createOmnidealer({ channels: [channelA], store: base, clock, retry: fastRetry });
    // Machine B reads the outbox, then machine A resumes and finishes the message before B claims it.
    const store: Store = {
      ...base,
      async listQueuedMessages(limit) {
        const listed = await base.listQueuedMessages(limit);
        await hubA.resumeOutbox();
        return listed;
      },
    };
    const channelB = createTestChannel({ id: 'sms', kind: 'sms' });
    const hubB = createOmnidealer({ channels: [channelB], store, clock, retry: fastRetry });
    expect(await hubB.resumeOutbox()).toEqual([]);
    expect(channelA.sent.map((message) => message.id)).toEqual(['msg-0']);
    expect(channelB.sent).toEqual([]);
  });
});
