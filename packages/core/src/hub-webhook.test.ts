import { describe, expect, it, vi } from 'vitest';
import { createManualClock } from './clock.js';
import { createOmnidealer } from './hub.js';
import type { Message } from './model/message.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { createTestChannel } from './test-channel.js';
import { recordContactWrites } from './testing/record-contact-writes.js';
import { atomicityVariants } from './testing/store-variants.js';

const contact = { id: 'c1', name: 'Иван', phone: '+79161234567' };

function setup(store: Store = createMemoryStore()) {
  const channel = createTestChannel({ id: 'sms', priceMinor: 300 });
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const hub = createOmnidealer({ channels: [channel], store, clock });
  return { channel, store, hub };
}

/**
 * The memory store with `before(message)` run ahead of each message save: to fail a write, hold it or record it.
 * `durable` makes the hub treat it as a database (whose writes wait).
 */
function interceptMessageSaves(
  memory: Store,
  before: (message: Message) => void | Promise<void>,
  options: { durable?: boolean } = {},
): Store {
  return {
    ...memory,
    ...(options.durable ? { durable: true } : {}),
    async saveMessage(message) {
      await before(message);
      return memory.saveMessage(message);
    },
  };
}

describe('hub.handleWebhook: concurrent deliveries', () => {
  it('applies statuses for one message one at a time, whatever order concurrent deliveries arrive in', async () => {
    const { hub, channel, store } = setup();
    const statuses: string[] = [];
    hub.on('message.status', ({ message, previous }) => statuses.push(`${previous}→${message.status}`));
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    const id = message.providerMessageId!;
    const responses = await Promise.all([
      hub.handleWebhook('sms', channel.statusWebhook(id, 'read', 3000)),
      hub.handleWebhook('sms', channel.statusWebhook(id, 'delivered', 2000)),
      hub.handleWebhook('sms', channel.statusWebhook(id, 'read', 3000)),
      hub.handleWebhook('sms', channel.statusWebhook(id, 'delivered', 2000)),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const stored = await store.getMessage(message.id);
    expect(stored?.status).toBe('read');
    expect(stored?.statusTimes).toMatchObject({ read: 3000, delivered: 3000 });
    expect(statuses).toEqual(['sent→read']);
  });

  it('releases the key when applying an event fails, so the next delivery for that message still applies', async () => {
    const memory = createMemoryStore();
    let failNext = false;
    const store = interceptMessageSaves(memory, async (message) => {
      if (failNext && message.direction === 'outbound') {
        failNext = false;
        throw new Error('disk full');
      }
    });
    const { hub, channel } = setup(store);
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    failNext = true;
    const id = message.providerMessageId!;
    const [failed, other] = await Promise.all([
      hub.handleWebhook('sms', channel.statusWebhook(id, 'delivered', 2000)),
      hub.handleWebhook('sms', channel.statusWebhook(id, 'read', 3000)),
    ]);
    expect(failed.status).toBe(500);
    expect(other.status).toBe(200);
    expect((await memory.getMessage(message.id))?.status).toBe('read');
  });

  it("forgets the delivery key when applying fails, so the provider's redelivery of the same body is applied", async () => {
    const memory = createMemoryStore();
    let failNext = true;
    const store = interceptMessageSaves(memory, async (message) => {
      if (failNext && message.direction === 'inbound') {
        failNext = false;
        throw new Error('connection reset');
      }
    });
    const { hub, channel } = setup(store);
    const received: string[] = [];
    const duplicates: string[] = [];
    hub.on('message.received', ({ message }) => received.push(message.providerMessageId ?? ''));
    hub.on('webhook.duplicate', ({ key }) => duplicates.push(key));
    const delivery = () => channel.inboundWebhook('+79161234567', 'Есть Haval F7?', { providerMessageId: 'in-1' });

    expect((await hub.handleWebhook('sms', delivery())).status).toBe(500);
    expect(received).toEqual([]);
    expect((await hub.handleWebhook('sms', delivery())).status).toBe(200);
    expect(received).toEqual(['in-1']);
    expect(duplicates).toEqual([]);
    // Once applied, a further redelivery is a duplicate again.
    expect((await hub.handleWebhook('sms', delivery())).status).toBe(200);
    expect(received).toEqual(['in-1']);
    expect(duplicates).toHaveLength(1);
  });

  it('saves a known contact again only when an inbound message tells something new about it', async () => {
    const memory = createMemoryStore();
    const saved: string[] = [];
    const store = recordContactWrites(memory, (saving) => saved.push(saving.name ?? '(no name)'));
    const { hub, channel } = setup(store);
    await hub.handleWebhook('sms', channel.inboundWebhook('+79161234567', 'Здравствуйте'));
    await hub.handleWebhook('sms', channel.inboundWebhook('+79161234567', 'Есть Рио?'));
    await hub.handleWebhook('sms', channel.inboundWebhook('+79161234567', 'Это Иван', { profileName: 'Иван' }));
    expect(saved).toEqual(['(no name)', 'Иван']);
    expect((await memory.findContactByAddress('+79161234567'))?.name).toBe('Иван');
  });
});

describe.each(atomicityVariants)('hub.handleWebhook: a new customer writing several times at once, on %s', (_, variant) => {
  it('gets one contact and one conversation when the messages come in concurrent deliveries', async () => {
    const { hub, channel, store } = setup(variant(createMemoryStore()));
    const opened: string[] = [];
    hub.on('conversation.opened', ({ conversation }) => opened.push(conversation.id));
    const responses = await Promise.all(
      ['Здравствуйте', 'Haval F7 в наличии?', 'Можно в кредит?'].map((text, index) =>
        hub.handleWebhook('sms', channel.inboundWebhook('+79035550101', text, { providerMessageId: `in-${index}` })),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    const contact = await store.findContactByAddress('+79035550101');
    const conversations = await store.listConversations({ contactId: contact?.id as string });
    expect(conversations).toHaveLength(1);
    expect(opened).toHaveLength(1);
    expect((await store.listMessages(conversations[0]?.id as string)).map((message) => message.providerMessageId)).toEqual([
      'in-0',
      'in-1',
      'in-2',
    ]);
    expect(await store.listConversations()).toHaveLength(1);
  });
});

describe.each(atomicityVariants)('hub.handleWebhook: a customer writing while we send, on %s', (_, variant) => {
  it('shares one conversation between a send and an inbound message that start together', async () => {
    const memory = createMemoryStore();
    // A database answers later than it looked: both lookups can miss before either conversation is saved.
    const store: Store = variant({
      ...memory,
      async findConversation(contactId, channelId, externalId) {
        const found = await memory.findConversation(contactId, channelId, externalId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return found;
      },
    });
    const { hub, channel } = setup(store);
    await hub.upsertContact(contact);
    const [sent, response] = await Promise.all([
      hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ваш автомобиль готов' } }),
      hub.handleWebhook('sms', channel.inboundWebhook('+79161234567', 'Когда можно забрать?', { providerMessageId: 'in-x' })),
    ]);
    expect(response.status).toBe(200);
    const conversations = await store.listConversations({ contactId: 'c1' });
    expect(conversations).toHaveLength(1);
    expect(conversations[0]?.id).toBe(sent.conversationId);
    expect(conversations[0]).toMatchObject({ unreadCount: 1 });
    expect(conversations[0]?.lastOutboundAt).toBeDefined();
  });
});

describe('hub.handleWebhook: one delivery with many events', () => {
  const batch = (events: unknown[]) =>
    new Request('https://hooks.test/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-secret': 'test' },
      body: JSON.stringify({ events }),
    });

  it("applies statuses of different messages side by side on a durable store, each message's own in order", async () => {
    const memory = createMemoryStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowId: string | undefined;
    // Durable, as a database is: its writes wait, so the hub applies independent statuses side by side.
    const store = interceptMessageSaves(
      memory,
      async (message) => {
        // The first message's "delivered" write is held until the test lets it go.
        if (message.id === slowId && message.status === 'delivered') await gate;
      },
      { durable: true },
    );
    const { hub } = setup(store);
    const sent = [];
    for (const text of ['один', 'два', 'три'])
      sent.push(await hub.send({ channel: 'sms', contact, content: { type: 'text', text } }));
    const [first, second, third] = sent.map((message) => message.providerMessageId as string);
    slowId = sent[0]?.id;
    const changes: string[] = [];
    hub.on('message.status', ({ message, previous }) =>
      changes.push(`${message.providerMessageId}:${previous}→${message.status}`),
    );

    const response = hub.handleWebhook(
      'sms',
      batch([
        { type: 'status', providerMessageId: first, status: 'delivered', at: 2000 },
        { type: 'status', providerMessageId: second, status: 'delivered', at: 2000 },
        { type: 'status', providerMessageId: first, status: 'read', at: 3000 },
        { type: 'status', providerMessageId: third, status: 'delivered', at: 2000 },
      ]),
    );
    // The other messages' statuses are applied while the first one's write is held.
    for (let turn = 0; turn < 50 && changes.length < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(changes).toEqual([`${second}:sent→delivered`, `${third}:sent→delivered`]);
    expect((await memory.getMessage(sent[0]?.id as string))?.status).toBe('sent');

    release();
    expect((await response).status).toBe(200);
    expect(changes.filter((change) => change.startsWith(`${first}:`))).toEqual([
      `${first}:sent→delivered`,
      `${first}:delivered→read`,
    ]);
    expect((await memory.getMessage(sent[0]?.id as string))?.status).toBe('read');
  });

  it("applies inbound messages of different senders side by side on a durable store, each sender's in order", async () => {
    const memory = createMemoryStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = interceptMessageSaves(
      memory,
      async (message) => {
        // The first customer's first message is held until the test lets it go.
        if (message.providerMessageId === 'a-1') await gate;
      },
      { durable: true },
    );
    const { hub } = setup(store);
    const received: string[] = [];
    hub.on('message.received', ({ message }) => received.push(message.providerMessageId ?? ''));
    const inbound = (from: string, providerMessageId: string, text: string) => ({
      type: 'inbound',
      providerMessageId,
      from,
      content: { type: 'text', text },
      kind: 'message',
      at: 1000,
    });
    const response = hub.handleWebhook(
      'sms',
      batch([
        inbound('+79035550101', 'a-1', 'Здравствуйте'),
        inbound('+79035550202', 'b-1', 'Есть ли Kia Rio?'),
        inbound('+79035550101', 'a-2', 'Можно в кредит?'),
      ]),
    );
    for (let turn = 0; turn < 50 && received.length < 1; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual(['b-1']);
    release();
    expect((await response).status).toBe(200);
    expect(received).toEqual(['b-1', 'a-1', 'a-2']);
    const customer = await memory.findContactByAddress('+79035550101');
    const [conversation] = await memory.listConversations({ contactId: customer?.id as string });
    expect((await memory.listMessages(conversation?.id as string)).map((message) => message.providerMessageId)).toEqual([
      'a-1',
      'a-2',
    ]);
  });

  it("answers 500 when one of the batch's statuses fails, after the others were applied", async () => {
    const memory = createMemoryStore();
    let failId: string | undefined;
    const store = interceptMessageSaves(
      memory,
      async (message) => {
        if (message.id === failId && message.status === 'delivered') throw new Error('disk full');
      },
      { durable: true },
    );
    const { hub } = setup(store);
    const one = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'один' } });
    const two = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'два' } });
    failId = one.id;
    const response = await hub.handleWebhook(
      'sms',
      batch([
        { type: 'status', providerMessageId: one.providerMessageId, status: 'delivered', at: 2000 },
        { type: 'status', providerMessageId: two.providerMessageId, status: 'delivered', at: 2000 },
      ]),
    );
    expect(response.status).toBe(500);
    expect((await memory.getMessage(two.id))?.status).toBe('delivered');
    expect((await memory.getMessage(one.id))?.status).toBe('sent');
  });
});

describe('hub.handleWebhook: statuses repeating what the message already has', () => {
  const pricing = { billable: true, model: 'PMP', category: 'marketing', type: 'regular' };
  const cost = { amountMinor: 1290, currency: 'RUB' };

  it('passes the stored cost and metadata back when a later status repeats them, and takes changed ones', async () => {
    const memory = createMemoryStore();
    const savedMetadata: unknown[] = [];
    const store = interceptMessageSaves(memory, async (message) => {
      if (message.status === 'delivered' || message.status === 'read') savedMetadata.push(message.metadata);
    });
    const { hub, channel } = setup(store);
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    const id = message.providerMessageId!;
    await hub.handleWebhook('sms', channel.statusWebhook(id, 'delivered', 2000, { cost, metadata: { pricing } }));
    const kept = await memory.getMessage(message.id);
    // Same data again (a new object): nothing to merge, so the stored object is passed back for the store to keep.
    await hub.handleWebhook(
      'sms',
      channel.statusWebhook(id, 'read', 3000, { cost: { ...cost }, metadata: { pricing: { ...pricing } } }),
    );
    expect(savedMetadata).toHaveLength(2);
    expect(savedMetadata[1]).toBe(kept?.metadata);
    const read = await memory.getMessage(message.id);
    expect(read?.status).toBe('read');
    expect(read?.cost).toBe(kept?.cost);
    expect(read?.metadata).toEqual({ pricing });

    const other = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'again' } });
    const otherId = other.providerMessageId!;
    await hub.handleWebhook('sms', channel.statusWebhook(otherId, 'delivered', 2000, { cost, metadata: { pricing } }));
    const repriced = { pricing: { ...pricing, category: 'utility' }, conversation: { id: 'c-1' } };
    await hub.handleWebhook(
      'sms',
      channel.statusWebhook(otherId, 'read', 3000, { cost: { amountMinor: 500, currency: 'RUB' }, metadata: repriced }),
    );
    const stored = await memory.getMessage(other.id);
    expect(stored?.cost).toEqual({ amountMinor: 500, currency: 'RUB' });
    expect(stored?.metadata).toEqual(repriced);
  });
});

describe('hub.handleWebhook: per-message ordering across channels', () => {
  it('the same provider message id on two channels is held apart: a slow one does not delay the other', async () => {
    const memory = createMemoryStore();
    let releaseSlow: (() => void) | undefined;
    const slow = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const store: Store = {
      ...memory,
      async findMessageByProviderId(channelId, providerMessageId) {
        if (channelId === 'sms') await slow;
        return memory.findMessageByProviderId(channelId, providerMessageId);
      },
    };
    const sms = createTestChannel({ id: 'sms', priceMinor: 300 });
    const backup = createTestChannel({ id: 'sms-backup', priceMinor: 300 });
    const hub = createOmnidealer({ channels: [sms, backup], store });
    const applied: string[] = [];
    hub.on('message.status.unmatched', ({ channel }) => applied.push(channel));
    const first = hub.handleWebhook('sms', sms.statusWebhook('shared-id', 'delivered', 2000));
    await hub.handleWebhook('sms-backup', backup.statusWebhook('shared-id', 'delivered', 2000));
    expect(applied).toEqual(['sms-backup']);
    releaseSlow?.();
    expect((await first).status).toBe(200);
    expect(applied).toEqual(['sms-backup', 'sms']);
  });
});

describe.each(atomicityVariants)('hub: an opt-out racing other changes to the same contact, on %s', (_, variant) => {
  const optOut = { code: 'opted_out', message: 'recipient opted out', reason: 'opted_out' as const };

  it('keeps the opt-out and the news of an inbound message that arrive together', async () => {
    const memory = createMemoryStore();
    // A database answers later than it looked: without the contact's lock both paths read it before either saves.
    const slow = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 5));
    const store: Store = variant({
      ...memory,
      getContact: async (id) => slow(await memory.getContact(id)),
      findContactByAddress: async (address) => slow(await memory.findContactByAddress(address)),
    });
    const { hub, channel } = setup(store);
    const first = await hub.send({
      channel: 'sms',
      contact: { id: 'c9', phone: '+79161234567' },
      content: { type: 'text', text: 'Ваш Haval готов' },
    });
    const responses = await Promise.all([
      hub.handleWebhook('sms', channel.statusWebhook(first.providerMessageId!, 'failed', 2000, { error: optOut })),
      hub.handleWebhook('sms', channel.inboundWebhook('+79161234567', 'СТОП', { profileName: 'Пётр' })),
    ]);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect(await memory.getContact('c9')).toMatchObject({
      name: 'Пётр',
      consent: { sms: 'opted_out' },
      identities: { sms: '+79161234567' },
    });
  });

  it("keeps an opt-out that came in while a send was merging the caller's news into the contact", async () => {
    const memory = createMemoryStore();
    const slow = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 5));
    const store: Store = variant({ ...memory, getContact: async (id) => slow(await memory.getContact(id)) });
    const { hub, channel } = setup(store);
    const first = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Запись на ТО' } });
    // The CRM renamed the contact; its send starts as the opt-out for the first message comes in.
    const [second, response] = await Promise.all([
      hub.send({ channel: 'sms', contact: { ...contact, name: 'Иван Петров' }, content: { type: 'text', text: 'Ждём вас' } }),
      hub.handleWebhook('sms', channel.statusWebhook(first.providerMessageId!, 'failed', 2000, { error: optOut })),
    ]);
    expect(second.status).toBe('sent');
    expect(response.status).toBe(200);
    expect(await memory.getContact('c1')).toMatchObject({ name: 'Иван Петров', consent: { sms: 'opted_out' } });
  });

  it('keeps an opt-out that came in while a send to the same contact was with the provider', async () => {
    const { hub, channel, store } = setup(variant(createMemoryStore()));
    const first = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Запись на ТО' } });
    // The next provider call waits until the test lets it answer, with the canonical address the provider gives.
    let answer: () => void = () => undefined;
    const providerAnswered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const doSend = channel.doSend.bind(channel);
    channel.doSend = async (message, context) => {
      await providerAnswered;
      return { ...(await doSend(message, context)), canonicalAddress: '79161234567' };
    };
    const second = hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Напоминаем о записи' } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const response = await hub.handleWebhook(
      'sms',
      channel.statusWebhook(first.providerMessageId!, 'failed', 2000, { error: optOut }),
    );
    expect(response.status).toBe(200);
    expect((await store.getContact('c1'))?.consent).toEqual({ sms: 'opted_out' });
    answer();
    expect((await second).status).toBe('sent');
    expect(await store.getContact('c1')).toMatchObject({
      consent: { sms: 'opted_out' },
      identities: { sms: '79161234567' },
    });
  });
});

describe('hub: two hubs sharing one durable store, as two processes would', () => {
  it('gives a new customer whose first messages reach both at once one contact and one conversation', async () => {
    const memory = createMemoryStore();
    // Both lookups miss before either hub has saved the new contact.
    const store: Store = {
      ...memory,
      durable: true,
      findContactByAddress: async (address) => {
        const found = await memory.findContactByAddress(address);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return found;
      },
    };
    const hubs = [0, 1].map(() => {
      const channel = createTestChannel({ id: 'sms' });
      return { channel, hub: createOmnidealer({ channels: [channel], store }) };
    });
    const texts = ['Здравствуйте', 'Haval F7 в наличии?', 'Можно в кредит?', 'Перезвоните'];
    const responses = await Promise.all(
      texts.map((text, index) => {
        const { hub, channel } = hubs[index % 2] as (typeof hubs)[number];
        return hub.handleWebhook('sms', channel.inboundWebhook('+79035550101', text, { providerMessageId: `in-${index}` }));
      }),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const conversations = await memory.listConversations();
    expect(conversations).toHaveLength(1);
    const messages = await memory.listMessages(conversations[0]?.id as string);
    expect(messages.map((message) => message.providerMessageId).sort()).toEqual(['in-0', 'in-1', 'in-2', 'in-3']);
    expect(new Set(messages.map((message) => message.contactId)).size).toBe(1);
    // The claims are gone once the contact is saved.
    expect(await memory.listRecords('sender-claim')).toEqual([]);
  });

  it("takes over a new sender's claim whose process died before saving the contact", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const memory = createMemoryStore();
      const store: Store = { ...memory, durable: true };
      const channel = createTestChannel({ id: 'sms' });
      const hub = createOmnidealer({ channels: [channel], store });
      // A process claimed this sender for contact "contact-dead" and was killed before saving it.
      await memory.putRecord('sender-claim', 'sms:79035550101', 'contact-dead');
      const response = hub.handleWebhook('sms', channel.inboundWebhook('+79035550101', 'Здравствуйте'));
      await vi.advanceTimersByTimeAsync(2_000);
      expect((await response).status).toBe(200);
      expect((await memory.findContactByAddress('+79035550101'))?.id).toBe('contact-dead');
      expect(await memory.listRecords('sender-claim')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
