import { describe, expect, it } from 'vitest';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import { testStoreContract } from '../testing/store-contract.js';
import { createMemoryStore } from './memory-store.js';

testStoreContract('memory', () => createMemoryStore());

const now = Date.parse('2026-03-01T09:00:00Z');

const message = (id: string, overrides: Partial<Message> = {}): Message => ({
  id,
  conversationId: 'conv-1',
  contactId: 'contact-1',
  direction: 'outbound',
  channel: 'whatsapp',
  content: { type: 'text', text: 'Здравствуйте!' },
  status: 'sent',
  createdAt: now,
  updatedAt: now,
  ...overrides,
});

const conversation = (id: string, overrides: Partial<Conversation> = {}): Conversation => ({
  id,
  contactId: 'contact-1',
  channel: 'whatsapp',
  status: 'open',
  handler: 'bot',
  assignments: [],
  unreadCount: 0,
  createdAt: now,
  updatedAt: now,
  ...overrides,
});

describe('memory store: compact records give back exactly what was saved', () => {
  it('round-trips every message field, times far apart or fractional, and fields the model does not know', async () => {
    const store = createMemoryStore();
    const full = message('m1', {
      content: { type: 'template', name: 'spring_sale', language: 'ru', params: ['Иван', { type: 'text', text: 'Rio' }] },
      status: 'failed',
      providerMessageId: 'wamid.1',
      idempotencyKey: 'key-1',
      cost: { amountMinor: 850, currency: 'RUB' },
      error: { code: 'unreachable_recipient', message: 'not on WhatsApp', providerCode: 131026, retryable: false },
      replyTo: 'wamid.0',
      metadata: { sentBy: 'anna', nested: { list: [1, 2] } },
      updatedAt: now + 40 * 24 * 3_600_000,
      statusTimes: { queued: now, sent: now + 0.25, failed: now + 40 * 24 * 3_600_000 },
    });
    const untyped = { ...full, crmRef: { deal: 7 } } as Message;
    await store.saveMessage(untyped);
    expect(await store.getMessage('m1')).toEqual(untyped);
    await store.saveMessage(message('m2', { createdAt: 0.1, updatedAt: 1e15 + 0.5, statusTimes: { sent: Number.NaN } }));
    const odd = await store.getMessage('m2');
    expect(odd?.createdAt).toBe(0.1);
    expect(odd?.updatedAt).toBe(1e15 + 0.5);
    expect(odd?.statusTimes?.sent).toBeNaN();
  });

  it('keeps statusTimes it cannot slot (empty, or unknown keys) as given', async () => {
    const store = createMemoryStore();
    await store.saveMessage(message('m1', { statusTimes: {} }));
    await store.saveMessage(message('m2', { statusTimes: { sent: now, bounced: now + 1 } as Message['statusTimes'] }));
    expect((await store.getMessage('m1'))?.statusTimes).toEqual({});
    expect((await store.getMessage('m2'))?.statusTimes).toEqual({ sent: now, bounced: now + 1 });
  });

  it('round-trips conversations with assignments, subject and every optional time', async () => {
    const store = createMemoryStore();
    const full = conversation('conv-1', {
      externalId: 'u2i-1',
      status: 'closed',
      assignee: 'anna',
      department: 'sales',
      handler: 'operator',
      assignments: [{ at: now, handler: 'operator', assignee: 'anna', note: 'VIP' }],
      unreadCount: 2,
      lastInboundAt: now + 1000,
      lastOutboundAt: now + 2000,
      firstInboundAt: now + 1000,
      firstResponseMs: 1000,
      awaitingReplySince: now + 3000.5,
      subject: { itemId: 42, title: 'Kia Rio' },
      updatedAt: now + 3000,
    });
    await store.saveConversation(full);
    expect(await store.getConversation('conv-1')).toEqual(full);
    expect(await store.findConversation('contact-1', 'whatsapp', 'u2i-1')).toEqual(full);
  });
});

describe('memory store: what readers get', () => {
  it('gives fresh top-level objects and frozen nested values, so no reader can change what is stored', async () => {
    const store = createMemoryStore();
    await store.saveMessage(message('m1', { metadata: { tags: ['vip'] }, statusTimes: { sent: now } }));
    const first = await store.getMessage('m1');
    const second = await store.getMessage('m1');
    expect(first).not.toBe(second);
    first!.status = 'read';
    first!.statusTimes!.read = now + 1;
    expect(() => (first!.metadata!.tags as string[]).push('spam')).toThrow(TypeError);
    expect(await store.getMessage('m1')).toEqual(message('m1', { metadata: { tags: ['vip'] }, statusTimes: { sent: now } }));
  });

  it('copies values that are not plain data (a Date) on every read instead of sharing them', async () => {
    const store = createMemoryStore();
    const at = new Date(now);
    await store.saveMessage(message('m1', { metadata: { at } }));
    at.setTime(0);
    const atOf = async () => (await store.getMessage('m1'))!.metadata!.at as Date;
    const loaded = await atOf();
    expect(loaded.getTime()).toBe(now);
    loaded.setTime(1);
    expect((await atOf()).getTime()).toBe(now);
  });

  it('does not keep a reference to what the caller saved', async () => {
    const store = createMemoryStore();
    const input = message('m1', { metadata: { tags: ['vip'] } });
    await store.saveMessage(input);
    (input.metadata!.tags as string[]).push('spam');
    input.statusTimes = { read: now };
    expect((await store.getMessage('m1'))?.metadata).toEqual({ tags: ['vip'] });
    expect((await store.getMessage('m1'))?.statusTimes).toBeUndefined();
  });

  it('keeps contacts the same way: fresh object, frozen identities', async () => {
    const store = createMemoryStore();
    await store.saveContact({ id: 'c1', phone: '+79161234567', identities: { whatsapp: '79161234567' } });
    const contact = await store.findContactByAddress('79161234567');
    contact!.name = 'Иван';
    expect(() => {
      contact!.identities!.whatsapp = 'other';
    }).toThrow(TypeError);
    expect(await store.getContact('c1')).toEqual({ id: 'c1', phone: '+79161234567', identities: { whatsapp: '79161234567' } });
  });

  it('finds a contact by an e-mail in any case, and by ids exactly as given', async () => {
    const store = createMemoryStore();
    await store.saveContact({ id: 'c1', email: 'Ivan@Example.ru', identities: { avitoUser: 'avito-user:AbC' } });
    expect((await store.findContactByAddress('IVAN@example.RU'))?.id).toBe('c1');
    expect((await store.findContactByAddress('ivan@example.ru'))?.id).toBe('c1');
    expect((await store.findContactByAddress('avito-user:AbC'))?.id).toBe('c1');
    expect(await store.findContactByAddress('79161234567')).toBeUndefined();
  });
});

describe('memory store: indexes follow updates', () => {
  it('moves a message to another conversation and keeps both lists in order', async () => {
    const store = createMemoryStore();
    for (const id of ['m1', 'm2', 'm3']) await store.saveMessage(message(id));
    await store.saveMessage(message('m4', { conversationId: 'conv-2' }));
    await store.saveMessage(message('m2', { conversationId: 'conv-2', status: 'read' }));
    expect((await store.listMessages('conv-1')).map((m) => m.id)).toEqual(['m1', 'm3']);
    expect((await store.listMessages('conv-2')).map((m) => m.id)).toEqual(['m4', 'm2']);
    await store.saveMessage(message('m3', { conversationId: 'conv-2' }));
    expect((await store.listMessages('conv-1')).map((m) => m.id)).toEqual(['m1']);
    expect((await store.listMessages('conv-2', { limit: 2 })).map((m) => m.id)).toEqual(['m2', 'm3']);
  });

  it('updates in place keep the message position; a changed provider id no longer finds it', async () => {
    const store = createMemoryStore();
    await store.saveMessage(message('m1', { status: 'queued', providerMessageId: 'tmp-1' }));
    await store.saveMessage(message('m2'));
    await store.saveMessage(message('m1', { status: 'sent', providerMessageId: 'wamid.1' }));
    expect((await store.listMessages('conv-1')).map((m) => [m.id, m.status])).toEqual([
      ['m1', 'sent'],
      ['m2', 'sent'],
    ]);
    expect(await store.findMessageByProviderId('whatsapp', 'tmp-1')).toBeUndefined();
    expect((await store.findMessageByProviderId('whatsapp', 'wamid.1'))?.id).toBe('m1');
  });

  it('re-indexes a conversation whose contact changes, and finds the newest per contact first', async () => {
    const store = createMemoryStore();
    await store.saveConversation(conversation('conv-1'));
    await store.saveConversation(conversation('conv-2'));
    await store.saveConversation(conversation('conv-3', { contactId: 'contact-2' }));
    expect((await store.findConversation('contact-1', 'whatsapp'))?.id).toBe('conv-2');
    await store.saveConversation(conversation('conv-2', { contactId: 'contact-2' }));
    expect((await store.findConversation('contact-1', 'whatsapp'))?.id).toBe('conv-1');
    expect((await store.findConversation('contact-2', 'whatsapp'))?.id).toBe('conv-2');
    expect((await store.listConversations({ contactId: 'contact-2' })).map((c) => c.id).sort()).toEqual(['conv-2', 'conv-3']);
  });
});

describe('memory store: webhook keys', () => {
  it('forgets delivery keys past their retention as new ones come, and still de-duplicates within it', async () => {
    const hour = 60 * 60 * 1000;
    const store = createMemoryStore({ webhookKeyTtlMs: 24 * hour });
    expect(await store.markWebhookSeen('wamid.A:delivered', 0)).toBe(true);
    expect(await store.markWebhookSeen('wamid.A:delivered', 23 * hour)).toBe(false);
    expect(await store.markWebhookSeen('wamid.B:delivered', 23 * hour)).toBe(true);
    // A day after A: A is forgotten (a redelivery that late counts as new), B is still remembered.
    expect(await store.markWebhookSeen('wamid.C:read', 25 * hour)).toBe(true);
    expect(await store.markWebhookSeen('wamid.A:delivered', 25 * hour)).toBe(true);
    expect(await store.markWebhookSeen('wamid.B:delivered', 25 * hour)).toBe(false);
  });

  it('keeps a bounded number of keys over a long run', async () => {
    const store = createMemoryStore({ webhookKeyTtlMs: 1000 });
    // 100 000 distinct keys, one per millisecond: only the last second's are kept, so re-marking an old one is new.
    for (let at = 0; at < 100_000; at++) await store.markWebhookSeen(`key-${at}`, at);
    expect(await store.markWebhookSeen('key-0', 100_000)).toBe(true);
    expect(await store.markWebhookSeen('key-99500', 100_000)).toBe(false);
  });
});

describe('memory store: a value saved again unchanged is kept once', () => {
  const template = () => ({
    type: 'template' as const,
    name: 'spring_sale',
    language: 'ru',
    params: ['Иван', { type: 'text' as const, text: 'Kia Rio' }],
  });

  it('shares the kept copy when equal content comes back, and takes a new one when it changed', async () => {
    const store = createMemoryStore();
    await store.saveMessage(message('m1', { content: template(), status: 'queued' }));
    const first = (await store.getMessage('m1'))?.content;
    // A fresh but equal object, as the hub passes on the queued → sent save; an undefined property counts as absent.
    await store.saveMessage(message('m1', { content: { ...template(), extra: undefined } as never, status: 'sent' }));
    const second = (await store.getMessage('m1'))?.content;
    expect(second).toBe(first);
    expect(Object.isFrozen(second)).toBe(true);

    const changed = { ...template(), params: ['Иван', { type: 'text' as const, text: 'Haval F7' }] };
    await store.saveMessage(message('m1', { content: changed, status: 'delivered' }));
    const third = (await store.getMessage('m1'))?.content;
    expect(third).not.toBe(first);
    expect(third).toEqual(changed);
    // One more key, or one key fewer, is a change too.
    await store.saveMessage(message('m1', { content: { ...changed, components: [] } as never }));
    expect((await store.getMessage('m1'))?.content).toEqual({ ...changed, components: [] });
    await store.saveMessage(message('m1', { content: changed }));
    expect((await store.getMessage('m1'))?.content).toEqual(changed);
  });

  it('never shares a kept array with an object that has the same entries', async () => {
    const store = createMemoryStore();
    await store.saveMessage(message('m2', { metadata: { tags: ['a', 'b'] } }));
    await store.saveMessage(message('m2', { metadata: { tags: { 0: 'a', 1: 'b' } } }));
    expect(Array.isArray((await store.getMessage('m2'))?.metadata?.tags)).toBe(false);
  });
});
