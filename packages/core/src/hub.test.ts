import { describe, expect, it, vi } from 'vitest';
import { createManualClock } from './clock.js';
import { ChannelApiError } from './errors/channel-api-error.js';
import { RateLimitError } from './errors/rate-limit-error.js';
import { UnreachableRecipientError } from './errors/unreachable-recipient-error.js';
import { ValidationError } from './errors/validation-error.js';
import { WindowClosedError } from './errors/window-closed-error.js';
import { createOmnidealer } from './hub.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/store.js';
import { timeKey } from './store/time-key.js';
import { createTestChannel } from './test-channel.js';
import { recordContactWrites } from './testing/record-contact-writes.js';
import { atomicityVariants } from './testing/store-variants.js';

const contact = { id: 'c1', name: 'Иван', phone: '8 (916) 123-45-67' };
const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };

function setup(options: Parameters<typeof createTestChannel>[0] = {}) {
  const channel = createTestChannel({ id: 'sms', priceMinor: 300, ...options });
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const store = createMemoryStore();
  const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
  return { channel, clock, store, hub };
}

describe('hub.send', () => {
  it('normalises the phone, stores the message, sends it and records the provider id and cost', async () => {
    const { hub, channel, store } = setup();
    const sentEvents: string[] = [];
    hub.on('message.sent', ({ message }) => sentEvents.push(message.id));
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Добрый день!' } });
    expect(message.status).toBe('sent');
    expect(message.cost).toEqual({ amountMinor: 300, currency: 'RUB' });
    expect(channel.sent).toHaveLength(1);
    expect(channel.sent[0]?.to).toBe('+79161234567');
    expect(message.providerMessageId).toBe(channel.sent[0]?.providerMessageId);
    expect(await store.findMessageByProviderId('sms', message.providerMessageId!)).toMatchObject({
      id: message.id,
      status: 'sent',
    });
    expect(sentEvents).toEqual([message.id]);
  });

  it('rejects bad input with a ValidationError naming the field, before any network call or store write', async () => {
    const { hub, channel, store } = setup({ capabilities: { maxTextLength: 10 } });
    await expect(
      hub.send({ channel: 'sms', contact: { id: 'c1', phone: '12345' }, content: { type: 'text', text: 'hi' } }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'contact.phone',
    });
    await expect(hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'x'.repeat(11) } })).rejects.toMatchObject({
      field: 'content.text',
    });
    await expect(hub.send({ channel: 'fax', contact, content: { type: 'text', text: 'hi' } })).rejects.toMatchObject({
      field: 'channel',
    });
    await expect(hub.send({ channel: 'sms', contact, content: { type: 'text', text: '' } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(hub.send({ channel: 'sms', contact, content: { type: 'banner' } as never })).rejects.toMatchObject({
      field: 'content.type',
    });
    expect(channel.attempts).toHaveLength(0);
    expect(await store.listQueuedMessages()).toEqual([]);
  });

  it("counts a text's length limit in characters, not UTF-16 units", async () => {
    const { hub, channel } = setup({ capabilities: { maxTextLength: 10 } });
    // 11 emoji are 22 units and over the limit; 10 are 20 units and at it.
    await expect(hub.send({ channel: 'sms', contact, content: { type: 'text', text: '🚗'.repeat(11) } })).rejects.toMatchObject({
      field: 'content.text',
      message: expect.stringContaining('is 11 characters'),
    });
    expect(channel.attempts).toHaveLength(0);
    await expect(hub.send({ channel: 'sms', contact, content: { type: 'text', text: '🚗'.repeat(10) } })).resolves.toMatchObject({
      status: 'sent',
    });
  });

  it('refuses unsupported content and unreachable contacts before the network', async () => {
    const { hub, channel } = setup({ capabilities: { contentTypes: ['text'] }, unreachable: ['c2'] });
    await expect(
      hub.send({ channel: 'sms', contact, content: { type: 'location', latitude: 55.7, longitude: 37.6 } }),
    ).rejects.toMatchObject({ field: 'content.type' });
    await expect(
      hub.send({ channel: 'sms', contact: { id: 'c2', phone: '+79161234568' }, content: { type: 'text', text: 'hi' } }),
    ).rejects.toSatisfy(UnreachableRecipientError.isInstance);
    await expect(
      hub.send({ channel: 'sms', contact: { id: 'c3' }, content: { type: 'text', text: 'hi' } }),
    ).rejects.toMatchObject({ reason: 'no_identity' });
    expect(channel.attempts).toHaveLength(0);
  });

  it('maps a closed window from canReach to WindowClosedError', async () => {
    const channel = createTestChannel({ id: 'wa' });
    channel.canReach = () => ({ reachable: false, reason: 'window_closed', detail: 'the 24 h window is closed' });
    const hub = createOmnidealer({ channels: [channel] });
    await expect(hub.send({ channel: 'wa', contact, content: { type: 'text', text: 'hi' } })).rejects.toBeInstanceOf(
      WindowClosedError,
    );
  });

  it('never sends twice for the same idempotency key, even concurrently', async () => {
    const { hub, channel } = setup();
    const input = {
      channel: 'sms',
      contact,
      content: { type: 'text' as const, text: 'Напоминание' },
      idempotencyKey: 'booking-42',
    };
    const [a, b] = await Promise.all([hub.send(input), hub.send(input)]);
    const c = await hub.send(input);
    expect(channel.sent).toHaveLength(1);
    expect(b.id).toBe(a.id);
    expect(c.id).toBe(a.id);
  });

  it.each(atomicityVariants)(
    'opens one conversation when several sends to a new contact start at once, on %s',
    async (_, variant) => {
      const store = variant(createMemoryStore());
      const hub = createOmnidealer({ channels: [createTestChannel({ id: 'sms' })], store, retry: fastRetry });
      const sent = await Promise.all(
        ['Запись подтверждена', 'Адрес салона', 'Ждём вас'].map((text) =>
          hub.send({ channel: 'sms', contact, content: { type: 'text', text } }),
        ),
      );
      expect(new Set(sent.map((message) => message.conversationId)).size).toBe(1);
      expect(await store.listConversations({ contactId: 'c1' })).toHaveLength(1);
    },
  );

  it('retries retryable errors, honouring Retry-After, then succeeds', async () => {
    const channel = createTestChannel({ id: 'sms' });
    const sleep = vi.fn(async () => {});
    const hub = createOmnidealer({ channels: [channel], retry: { ...fastRetry, sleep } });
    channel.failNext(
      new RateLimitError({ channel: 'sms', message: 'slow down', retryAfterMs: 2000 }),
      new ChannelApiError({ channel: 'sms', message: '503', retryable: true, statusCode: 503 }),
    );
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect(message.status).toBe('sent');
    expect(channel.attempts).toHaveLength(3);
    expect(sleep).toHaveBeenCalledWith(2000);
  });

  it('does not retry a non-retryable error and records the failure without losing the message', async () => {
    const { hub, channel, store } = setup();
    const failed: string[] = [];
    hub.on('message.failed', ({ message }) => failed.push(message.id));
    channel.failNext(new ChannelApiError({ channel: 'sms', message: 'invalid number', retryable: false, providerCode: 202 }));
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect(channel.attempts).toHaveLength(1);
    expect(message.status).toBe('failed');
    expect(message.error).toMatchObject({ code: 'provider_error', providerCode: 202, retryable: false });
    expect((await store.getMessage(message.id))?.status).toBe('failed');
    expect(failed).toEqual([message.id]);
    expect(await hub.reachStats('c1', 'sms')).toMatchObject({ failed: 1, lastFailure: 'provider_error' });
  });

  it('gives up after the configured number of retries', async () => {
    const channel = createTestChannel({ id: 'sms' });
    const hub = createOmnidealer({ channels: [channel], retry: { ...fastRetry, retries: 2 } });
    const error = () => new ChannelApiError({ channel: 'sms', message: '500', retryable: true, statusCode: 500 });
    channel.failNext(error(), error(), error(), error());
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect(channel.attempts).toHaveLength(3);
    expect(message.status).toBe('failed');
  });
});

describe('hub.handleWebhook', () => {
  it('applies statuses forward only, drops duplicates and ignores a late delivered after read', async () => {
    const { hub, channel, store } = setup();
    const statuses: string[] = [];
    const duplicates: string[] = [];
    hub.on('message.status', ({ message }) => statuses.push(message.status));
    hub.on('webhook.duplicate', ({ key }) => duplicates.push(key));
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    const id = message.providerMessageId!;
    expect((await hub.handleWebhook('sms', channel.statusWebhook(id, 'read', 3000))).status).toBe(200);
    expect((await hub.handleWebhook('sms', channel.statusWebhook(id, 'delivered', 2000))).status).toBe(200);
    expect((await hub.handleWebhook('sms', channel.statusWebhook(id, 'read', 3000))).status).toBe(200);
    const stored = await store.getMessage(message.id);
    expect(stored?.status).toBe('read');
    expect(stored?.statusTimes).toMatchObject({ read: 3000, delivered: 3000 });
    expect(statuses).toEqual(['read']);
    expect(duplicates).toHaveLength(1);
  });

  it("turns our message id in a reaction or a reply into the provider's id, and refuses one it cannot map before sending", async () => {
    const email = createTestChannel({ id: 'email', kind: 'email' });
    const sms = createTestChannel({ id: 'sms' });
    const hub = createOmnidealer({ channels: [sms, email], retry: fastRetry });
    const first = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ваш автомобиль готов' } });
    const providerId = first.providerMessageId as string;
    expect(providerId).not.toBe(first.id);
    const reaction = await hub.send({
      channel: 'sms',
      contact,
      content: { type: 'reaction', messageId: first.id, emoji: '👍' },
      replyTo: first.id,
    });
    expect(sms.attempts.at(-1)?.content).toEqual({ type: 'reaction', messageId: providerId, emoji: '👍' });
    expect(sms.attempts.at(-1)?.replyTo).toBe(providerId);
    expect(reaction.replyTo).toBe(providerId);
    // A provider's id passes through as it is.
    await hub.send({ channel: 'sms', contact, content: { type: 'reaction', messageId: 'wamid.EXTERNAL', emoji: '❤️' } });
    expect(sms.attempts.at(-1)?.content).toMatchObject({ messageId: 'wamid.EXTERNAL' });
    // Our message on another channel cannot be reacted to here: refused before anything is sent.
    const attempts = email.attempts.length;
    await expect(
      hub.send({
        channel: 'email',
        contact: { ...contact, email: 'ivan@example.ru' },
        content: { type: 'reaction', messageId: first.id, emoji: '👍' },
      }),
    ).rejects.toMatchObject({ code: 'validation', field: 'content.messageId' });
    expect(email.attempts.length).toBe(attempts);
  });

  it('writes a known contact again only when the send changes it', async () => {
    const base = createMemoryStore();
    const saved: string[] = [];
    const store = recordContactWrites(base, (value) => saved.push(value.email ?? '-'));
    const hub = createOmnidealer({ channels: [createTestChannel({ id: 'sms' })], store, retry: fastRetry });
    const text = { type: 'text' as const, text: 'Напоминаем о ТО' };
    await hub.send({ channel: 'sms', contact, content: text });
    await hub.send({ channel: 'sms', contact, content: text });
    expect(saved).toEqual(['-']);
    await hub.send({ channel: 'sms', contact: { ...contact, email: 'ivan@example.ru' }, content: text });
    expect(saved).toEqual(['-', 'ivan@example.ru']);
    expect((await store.getContact(contact.id))?.email).toBe('ivan@example.ru');
    // Sent without the e-mail again: the stored one is kept, nothing to write.
    await hub.send({ channel: 'sms', contact, content: text });
    expect(saved).toHaveLength(2);
  });

  it('drops statuses that never find their message (sent outside this hub) after parkedStatusTtlMs', async () => {
    const channel = createTestChannel({ id: 'sms' });
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = createMemoryStore();
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry, parkedStatusTtlMs: 60 * 60_000 });
    const unmatched: string[] = [];
    hub.on('message.status.unmatched', ({ providerMessageId }) => unmatched.push(providerMessageId));
    const park = async (count: number, prefix: string) => {
      for (let index = 0; index < count; index++)
        expect(
          (await hub.handleWebhook('sms', channel.statusWebhook(`${prefix}-${index}`, 'delivered', clock.now()))).status,
        ).toBe(200);
    };
    await park(200, 'app');
    expect(await store.listRecords('parked-status')).toHaveLength(200);
    clock.advance(2 * 60 * 60_000);
    await park(100, 'later');
    // The sweep after the 256th park dropped the 200 that waited two hours, and kept the recent ones.
    const left = (await store.listRecords('parked-status')).map((record) => record.key);
    expect(left).toHaveLength(100);
    expect(left.every((key) => key.startsWith('sms:later-'))).toBe(true);
    expect(unmatched).toHaveLength(300);
    // A recent one still applies when its send completes.
    const original = channel.doSend.bind(channel);
    channel.doSend = async (outbound, options) => ({ ...(await original(outbound, options)), providerMessageId: 'later-7' });
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect(message.status).toBe('delivered');
  });

  it('parks a status that arrives before the provider answered, and applies it after', async () => {
    const { hub, channel, store } = setup();
    const original = channel.doSend.bind(channel);
    channel.doSend = async (outbound, options) => {
      const result = await original(outbound, options);
      await hub.handleWebhook('sms', channel.statusWebhook(result.providerMessageId, 'delivered', 5));
      return result;
    };
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect(message.status).toBe('delivered');
    expect((await store.getMessage(message.id))?.status).toBe('delivered');
  });

  it('applies a status parked at the very moment its sender looked for parked statuses (neither side leaves it behind)', async () => {
    const channel = createTestChannel({ id: 'sms' });
    const base = createMemoryStore();
    // The webhook parks while the sender completes: hold the park until the sender has taken (nothing) from parking.
    let senderLooked!: () => void;
    const afterSenderLooked = new Promise<void>((resolve) => {
      senderLooked = resolve;
    });
    let parkedUpdates = 0;
    const store: Store = {
      ...base,
      async updateRecord(namespace, key, update) {
        if (namespace !== 'parked-status') return base.updateRecord(namespace, key, update);
        if (++parkedUpdates === 1) await afterSenderLooked; // the webhook's park
        return base.updateRecord(namespace, key, update);
      },
      async getRecord(namespace, key) {
        const value = await base.getRecord(namespace, key);
        if (namespace === 'parked-status') senderLooked(); // the sender looked (and found nothing yet)
        return value as never;
      },
    };
    const hub = createOmnidealer({ channels: [channel], store, retry: fastRetry });
    let webhook: Promise<Response> | undefined;
    const original = channel.doSend.bind(channel);
    channel.doSend = async (outbound, options) => {
      const result = await original(outbound, options);
      // The status arrives before the provider's answer: the message is not stored with its provider id yet.
      webhook = hub.handleWebhook('sms', channel.statusWebhook(result.providerMessageId, 'delivered', 5));
      await new Promise((resolve) => setTimeout(resolve, 0));
      return result;
    };
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'hi' } });
    expect((await webhook)?.status).toBe(200);
    expect(parkedUpdates).toBeGreaterThanOrEqual(2); // parked, then taken by the webhook's own second look
    expect((await store.getMessage(message.id))?.status).toBe('delivered');
    expect(await store.listRecords('parked-status')).toEqual([]);
  });

  it('rejects a bad signature with 401 and records nothing; malformed body with 400; oversized with 413', async () => {
    const { hub, store } = setup();
    const rejected: number[] = [];
    hub.on('webhook.rejected', ({ status }) => rejected.push(status));
    const forged = new Request('https://hooks.test/sms', { method: 'POST', body: JSON.stringify({ events: [] }) });
    expect((await hub.handleWebhook('sms', forged)).status).toBe(401);
    const malformed = new Request('https://hooks.test/sms', {
      method: 'POST',
      headers: { 'x-test-secret': 'test' },
      body: '{not json',
    });
    expect((await hub.handleWebhook('sms', malformed)).status).toBe(400);
    const small = createOmnidealer({ channels: [createTestChannel({ id: 'sms' })], webhookBodyLimitBytes: 100 });
    const big = new Request('https://hooks.test/sms', {
      method: 'POST',
      headers: { 'x-test-secret': 'test' },
      body: 'x'.repeat(500),
    });
    expect((await small.handleWebhook('sms', big)).status).toBe(413);
    expect((await hub.handleWebhook('nope', forged)).status).toBe(404);
    expect(rejected).toEqual([401, 400]);
    expect(await store.listConversations()).toEqual([]);
  });

  it('turns an inbound message into a contact, an open conversation and a received event; button replies are distinct', async () => {
    const { hub, channel, store, clock } = setup();
    const received: string[] = [];
    const buttons: string[] = [];
    const opened: string[] = [];
    hub.on('message.received', ({ message }) => received.push(message.providerMessageId!));
    hub.on('message.button', ({ payload }) => buttons.push(payload));
    hub.on('conversation.opened', ({ conversation }) => opened.push(conversation.id));
    const at = clock.now();
    await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Хочу на тест-драйв', { providerMessageId: 'in-1', at, profileName: 'Иван' }),
    );
    await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Хочу на тест-драйв', { providerMessageId: 'in-1', at }),
    );
    await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Позвать оператора', {
        providerMessageId: 'in-2',
        at,
        kind: 'button_reply',
        payload: 'call_operator',
      }),
    );
    expect(received).toEqual(['in-1', 'in-2']);
    expect(buttons).toEqual(['call_operator']);
    expect(opened).toHaveLength(1);
    const created = await store.findContactByAddress('+79161234567');
    expect(created?.name).toBe('Иван');
    const [conversation] = await store.listConversations();
    expect(conversation).toMatchObject({ status: 'open', unreadCount: 2, lastInboundAt: at, firstInboundAt: at, handler: 'bot' });
    expect(await store.listMessages(conversation!.id)).toHaveLength(2);
  });
});

describe('conversation assignment', () => {
  it('hands a conversation between operators and departments, keeping history and messages', async () => {
    const { hub, channel, store, clock } = setup();
    await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Сколько стоит Haval F7?', { providerMessageId: 'in-1', at: clock.now() }),
    );
    const [conversation] = await store.listConversations();
    const assigned: Array<string | undefined> = [];
    hub.on('conversation.assigned', ({ conversation: c, previous }) =>
      assigned.push(`${previous.assignee ?? '-'}→${c.assignee ?? c.department}`),
    );
    await hub.assign(conversation!.id, { assignee: 'anna', by: 'bot', note: 'asked for a price' });
    clock.advance(60_000);
    const handedOff = await hub.assign(conversation!.id, { department: 'credit', by: 'anna', note: 'credit question' });
    expect(handedOff.handler).toBe('operator');
    expect(handedOff.assignee).toBeUndefined();
    expect(handedOff.department).toBe('credit');
    expect(handedOff.assignments.map((entry) => [entry.assignee ?? entry.department, entry.by])).toEqual([
      ['anna', 'bot'],
      ['credit', 'anna'],
    ]);
    expect(assigned).toEqual(['-→anna', 'anna→credit']);
    expect(await store.listMessages(conversation!.id)).toHaveLength(1);
    await expect(hub.assign('missing', { assignee: 'x' })).rejects.toMatchObject({ field: 'conversationId' });
  });

  it('measures the first response time from the first inbound message to our first reply', async () => {
    const { hub, channel, store, clock } = setup();
    await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Добрый день', { providerMessageId: 'in-1', at: clock.now() }),
    );
    clock.advance(90_000);
    await hub.send({
      channel: 'sms',
      contact: { id: (await store.findContactByAddress('+79161234567'))!.id, phone: '+79161234567' },
      content: { type: 'text', text: 'Здравствуйте!' },
    });
    const [conversation] = await store.listConversations();
    expect(conversation?.firstResponseMs).toBe(90_000);
  });

  it('keeps a live reply timer per chat and reports SLA per operator: late replies and chats still waiting are missed', async () => {
    const { hub, channel, store, clock } = setup();
    const inbound = async (from: string, id: string) =>
      hub.handleWebhook('sms', channel.inboundWebhook(from, 'Есть в наличии?', { providerMessageId: id, at: clock.now() }));
    await inbound('+79161234567', 'in-a');
    await inbound('+79161234568', 'in-b');
    await inbound('+79161234569', 'in-c');
    const byPhone = async (phone: string) => {
      const contactId = (await store.findContactByAddress(phone))!.id;
      return (await store.listConversations({ contactId }))[0]!;
    };
    await hub.assign((await byPhone('+79161234567')).id, { assignee: 'anna' });
    await hub.assign((await byPhone('+79161234568')).id, { assignee: 'boris' });
    clock.advance(30_000);
    // A second question does not restart the wait: the customer has waited since the first one.
    await inbound('+79161234567', 'in-a2');
    clock.advance(30_000);
    const reply = async (phone: string) =>
      hub.send({
        channel: 'sms',
        contact: { id: (await store.findContactByAddress(phone))!.id, phone },
        content: { type: 'text', text: 'Да, в наличии' },
      });
    await reply('+79161234567'); // anna after 60 s
    expect((await byPhone('+79161234567')).awaitingReplySince).toBeUndefined();
    clock.advance(120_000);
    await reply('+79161234568'); // boris after 180 s: late
    clock.advance(60_000); // the third chat (bot) has waited 240 s and is still waiting
    const report = await hub.slaReport({ targetMs: 120_000 });
    expect(report.byResponder.anna).toMatchObject({ answered: 1, answeredLate: 0, medianMs: 60_000, missed: 0 });
    expect(report.byResponder.boris).toMatchObject({ answered: 1, answeredLate: 1, medianMs: 180_000, missed: 1 });
    expect(report.byResponder.bot).toMatchObject({ answered: 0, waitingOverTarget: 1, missed: 1 });
    expect(report.overall).toMatchObject({ answered: 2, missed: 2, medianFirstResponseMs: 60_000 });
    expect(report.waiting).toEqual([expect.objectContaining({ responder: 'bot', waitingMs: 240_000, overTarget: true })]);
    expect(report.waiting[0]?.conversationId).toBe((await byPhone('+79161234569')).id);

    // A report for a period reads only the responses of that period's key range, not every one ever recorded.
    const prefixes: Array<string | undefined> = [];
    const listRecords = store.listRecords.bind(store);
    store.listRecords = ((namespace: string, prefix?: string) => {
      if (namespace === 'sla-response') prefixes.push(prefix);
      return listRecords(namespace, prefix);
    }) as typeof store.listRecords;
    const lastHour = await hub.slaReport({ targetMs: 120_000, since: clock.now() - 60 * 60_000 });
    expect(lastHour.overall).toMatchObject({ answered: 2 });
    const sinceBoris = await hub.slaReport({ targetMs: 120_000, since: clock.now() - 61_000 });
    expect(sinceBoris.byResponder.anna).toBeUndefined();
    expect(sinceBoris.byResponder.boris).toMatchObject({ answered: 1 });
    expect(prefixes).toHaveLength(2);
    for (const prefix of prefixes) expect(prefix?.length).toBeGreaterThanOrEqual(8);
  });

  describe('SLA response records expire after slaRetentionMs', () => {
    const day = 24 * 60 * 60 * 1000;

    /** A customer writes and gets an answer a minute later: one response record, at the answer's time. */
    async function answeredWait(
      hub: ReturnType<typeof createOmnidealer>,
      channel: ReturnType<typeof createTestChannel>,
      store: Store,
      clock: ReturnType<typeof createManualClock>,
      phone: string,
    ) {
      await hub.handleWebhook(
        'sms',
        channel.inboundWebhook(phone, 'Машина ещё продаётся?', {
          providerMessageId: `in-${phone}-${clock.now()}`,
          at: clock.now(),
        }),
      );
      clock.advance(60_000);
      const message = await hub.send({
        channel: 'sms',
        contact: { id: (await store.findContactByAddress(phone))!.id, phone },
        content: { type: 'text', text: 'Да' },
      });
      expect(message.status).toBe('sent');
      return clock.now();
    }

    /** Answers at day 0, day 30 and day 91; then waits for the sweep the last answer started. */
    async function ninetyOneDays(slaRetentionMs?: number) {
      const channel = createTestChannel({ id: 'sms' });
      const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
      const store = createMemoryStore();
      const reads: string[] = [];
      const listRecords = store.listRecords.bind(store);
      store.listRecords = (async (namespace: string, prefix?: string) => {
        const records = await listRecords(namespace, prefix);
        if (namespace === 'sla-response') reads.push(...records.map((record) => record.key));
        return records;
      }) as typeof store.listRecords;
      const hub = createOmnidealer({
        channels: [channel],
        store,
        clock,
        retry: fastRetry,
        ...(slaRetentionMs ? { slaRetentionMs } : {}),
      });
      const times = [await answeredWait(hub, channel, store, clock, '+79161234567')];
      clock.advance(30 * day);
      times.push(await answeredWait(hub, channel, store, clock, '+79161234568'));
      clock.advance(61 * day);
      reads.length = 0;
      times.push(await answeredWait(hub, channel, store, clock, '+79161234569'));
      await hub.shutdown(); // waits for the sweep
      return { hub, store, times, reads, retainedFrom: clock.now() - 90 * day };
    }

    it('deletes records older than the retention (90 days by default), keeps newer ones and their report', async () => {
      const { hub, store, times, reads, retainedFrom } = await ninetyOneDays();
      // The sweep read only the expired record, not the retained ones.
      expect(reads.map((key) => Number(key.slice(0, 15)))).toEqual([times[0]]);
      const keys = (await store.listRecords('sla-response')).map((record) => record.key);
      expect(keys.map((key) => Number(key.slice(0, 15)))).toEqual([times[1], times[2]]);

      const kept = await ninetyOneDays(Number.POSITIVE_INFINITY);
      expect(await kept.store.listRecords('sla-response')).toHaveLength(3);
      expect(await hub.slaReport({ since: retainedFrom })).toEqual(await kept.hub.slaReport({ since: retainedFrom }));
      expect((await hub.slaReport()).overall.answered).toBe(2);
      expect((await kept.hub.slaReport()).overall.answered).toBe(3);
    });

    it('sweeps a step of the retention at a time, reading only what expired since the last sweep', async () => {
      const { channel, store, clock } = setup();
      const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry, slaRetentionMs: 10 * day });
      const prefixes: string[] = [];
      const listRecords = store.listRecords.bind(store);
      store.listRecords = ((namespace: string, prefix?: string) => {
        if (namespace === 'sla-response') prefixes.push(prefix ?? '');
        return listRecords(namespace, prefix);
      }) as typeof store.listRecords;
      const first = await answeredWait(hub, channel, store, clock, '+79161234567');
      // Ten days less one step (10^6 ms for a 10-day retention) later, the first record is not yet expired.
      clock.advance(10 * day - 1_000_000 - 60_000);
      const second = await answeredWait(hub, channel, store, clock, '+79161234568');
      await hub.shutdown();
      expect(await store.listRecords('sla-response')).toHaveLength(2);
      prefixes.length = 0;
      clock.advance(2_000_000 - 60_000);
      const third = await answeredWait(hub, channel, store, clock, '+79161234569');
      await hub.shutdown();
      // Two steps expired since the last sweep: two prefixes of 9 digits, each one step of the key range.
      expect(prefixes).toEqual([timeKey(first - 1_000_000).slice(0, 9), timeKey(first).slice(0, 9)]);
      expect((await store.listRecords('sla-response')).map((record) => Number(record.key.slice(0, 15)))).toEqual([second, third]);
    });

    it('a failing sweep leaves the send alone and is logged', async () => {
      const { channel, store, clock } = setup();
      const warnings: string[] = [];
      const logger = { debug() {}, info() {}, warn: (_fields: object, line: string) => warnings.push(line), error() {} };
      const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry, logger });
      const listRecords = store.listRecords.bind(store);
      store.listRecords = ((namespace: string, prefix?: string) =>
        namespace === 'sla-response'
          ? Promise.reject(new Error('disk full'))
          : listRecords(namespace, prefix)) as typeof store.listRecords;
      await answeredWait(hub, channel, store, clock, '+79161234567');
      await hub.shutdown();
      expect(warnings).toEqual([expect.stringContaining('expired response records')]);
    });

    it('refuses a retention that is not a positive number', () => {
      expect(() => createOmnidealer({ channels: [], slaRetentionMs: 0 })).toThrow(expect.toSatisfy(ValidationError.isInstance));
    });
  });

  it('resumes messages a crash left queued in the outbox, once, and skips ones still in flight', async () => {
    const { channel, store, clock } = setup();
    // A first process stored the message (outbox) and died before the provider was called.
    const crashed = createOmnidealer({ channels: [createTestChannel({ id: 'sms' })], store, clock, retry: fastRetry });
    const conversationId = 'conv-crashed';
    await crashed.upsertContact(contact);
    await store.saveConversation({
      id: conversationId,
      contactId: 'c1',
      channel: 'sms',
      status: 'open',
      handler: 'bot',
      assignments: [],
      unreadCount: 0,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    await store.saveMessage({
      id: 'msg-queued',
      conversationId,
      contactId: 'c1',
      direction: 'outbound',
      channel: 'sms',
      content: { type: 'text', text: 'Напоминаем о записи' },
      status: 'queued',
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    const restarted = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    expect(await restarted.resumeOutbox({ olderThanMs: 60_000 })).toEqual([]); // too fresh: may still be in flight
    clock.advance(61_000);
    const resumed = await restarted.resumeOutbox({ olderThanMs: 60_000 });
    expect(resumed.map((message) => [message.id, message.status])).toEqual([['msg-queued', 'sent']]);
    expect(channel.sent.map((sent) => sent.id)).toEqual(['msg-queued']);
    expect(await restarted.resumeOutbox({ olderThanMs: 0 })).toEqual([]);
    expect(channel.sent).toHaveLength(1);
  });

  it('on a durable store, marks the provider call before making it and does not resend an interrupted call (at most once)', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = { ...createMemoryStore(), durable: true };
    const hanging = createTestChannel({ id: 'sms' });
    let storedDuringCall: unknown;
    // The first process dies while the provider call is in flight: its promise never settles.
    hanging.doSend = async (outbound) => {
      storedDuringCall = await store.getMessage(outbound.id);
      return new Promise(() => undefined);
    };
    const crashed = createOmnidealer({ channels: [hanging], store, clock, retry: fastRetry });
    void crashed.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' }, idempotencyKey: 'k1' });
    await vi.waitFor(() => expect(storedDuringCall).toBeDefined());
    expect(storedDuringCall).toMatchObject({ status: 'queued', dispatchedAt: clock.now() });

    const channel = createTestChannel({ id: 'sms' });
    const restarted = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    const sentEvents: string[] = [];
    restarted.on('message.sent', ({ message }) => sentEvents.push(message.id));
    const [resumed] = await restarted.resumeOutbox({ olderThanMs: 0 });
    expect(resumed).toMatchObject({ status: 'sent', metadata: { unconfirmed: true, interrupted: true } });
    expect(channel.sent).toEqual([]);
    expect(sentEvents).toEqual([resumed?.id]);
    expect(await store.listQueuedMessages()).toEqual([]);
    // The campaign walking from the top again gets the same message back, not a second send.
    const again = await restarted.send({
      channel: 'sms',
      contact,
      content: { type: 'text', text: 'Ждём вас на ТО' },
      idempotencyKey: 'k1',
    });
    expect(again.id).toBe(resumed?.id);
    expect(channel.sent).toEqual([]);
  });

  it('resends an interrupted call when told the provider de-duplicates (interrupted: resend); the memory store skips the mark', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const durableStore = { ...createMemoryStore(), durable: true };
    const hanging = createTestChannel({ id: 'sms' });
    let calls = 0;
    hanging.doSend = () => {
      calls++;
      return new Promise(() => undefined);
    };
    const crashed = createOmnidealer({ channels: [hanging], store: durableStore, clock, retry: fastRetry });
    void crashed.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    await vi.waitFor(() => expect(calls).toBe(1));
    const channel = createTestChannel({ id: 'sms' });
    const restarted = createOmnidealer({ channels: [channel], store: durableStore, clock, retry: fastRetry });
    const [resumed] = await restarted.resumeOutbox({ olderThanMs: 0, interrupted: 'resend' });
    expect(resumed?.status).toBe('sent');
    expect(resumed?.metadata).toBeUndefined();
    expect(channel.sent.map((sent) => sent.id)).toEqual([resumed?.id]);

    const memory = setup();
    let seen: unknown;
    const original = memory.channel.doSend.bind(memory.channel);
    memory.channel.doSend = async (outbound, context) => {
      seen = await memory.store.getMessage(outbound.id);
      return original(outbound, context);
    };
    await memory.hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    expect(seen).toMatchObject({ status: 'queued' });
    expect(seen).not.toHaveProperty('dispatchedAt');
  });

  it('on a durable store, writes the outbox row with its dispatch mark in one write when the call can start at once', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const memory = createMemoryStore();
    const writes: Array<{ status: string; dispatchedAt: number | undefined; beforeCall: boolean }> = [];
    let called = false;
    const store: Store = {
      ...memory,
      durable: true,
      saveMessage: (message) => {
        writes.push({ status: message.status, dispatchedAt: message.dispatchedAt, beforeCall: !called });
        return memory.saveMessage(message);
      },
    };
    const channel = createTestChannel({ id: 'sms' });
    const doSend = channel.doSend.bind(channel);
    channel.doSend = async (outbound, options) => {
      called = true;
      return doSend(outbound, options);
    };
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    const sent = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    expect(writes.filter((write) => write.beforeCall)).toEqual([
      { status: 'queued', dispatchedAt: clock.now(), beforeCall: true },
    ]);
    expect(sent).toMatchObject({ status: 'sent', dispatchedAt: clock.now() });
  });

  it('stores a send waiting for the rate limit without the dispatch mark: a crash during the wait is resent by resumeOutbox', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = { ...createMemoryStore(), durable: true };
    const waiting = createTestChannel({ id: 'sms' });
    // The first process dies while its send waits for a slot: the limiter never starts it.
    const crashed = createOmnidealer({
      channels: [waiting],
      store,
      clock,
      retry: fastRetry,
      rateLimiter: () => ({ schedule: () => new Promise<never>(() => undefined), stop: async () => {} }),
    });
    void crashed.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    await vi.waitFor(async () => expect(await store.listQueuedMessages()).toHaveLength(1));
    const [queued] = await store.listQueuedMessages();
    expect(queued).toMatchObject({ status: 'queued' });
    expect(queued).not.toHaveProperty('dispatchedAt');
    expect(waiting.attempts).toEqual([]);

    const channel = createTestChannel({ id: 'sms' });
    const restarted = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    const [resumed] = await restarted.resumeOutbox({ olderThanMs: 0 });
    expect(resumed).toMatchObject({ id: queued?.id, status: 'sent' });
    expect(resumed?.metadata).toBeUndefined();
    expect(channel.sent.map((sent) => sent.id)).toEqual([queued?.id]);
  });

  it('marks a send the limiter started later on its own, before the call', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = { ...createMemoryStore(), durable: true };
    const channel = createTestChannel({ id: 'sms' });
    let storedAtCall: unknown;
    const doSend = channel.doSend.bind(channel);
    channel.doSend = async (outbound, options) => {
      storedAtCall = await store.getMessage(outbound.id);
      return doSend(outbound, options);
    };
    let storedAtStart: unknown;
    const hub = createOmnidealer({
      channels: [channel],
      store,
      clock,
      retry: fastRetry,
      // A limiter that starts every call on a later turn (as one asking Redis does).
      rateLimiter: () => ({
        schedule: async (_recipient, task) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          storedAtStart = (await store.listQueuedMessages())[0];
          return task();
        },
        stop: async () => {},
      }),
    });
    const sent = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    expect(storedAtStart).toMatchObject({ status: 'queued' });
    expect(storedAtStart).not.toHaveProperty('dispatchedAt');
    expect(storedAtCall).toMatchObject({ status: 'queued', dispatchedAt: clock.now() });
    expect(sent.status).toBe('sent');
  });

  it.each([
    ['the call can start at once', undefined],
    ['the call waits for the limiter', 'waits'],
  ] as const)('fails the send and never calls the provider when its outbox write fails (%s)', async (_, limiter) => {
    const memory = createMemoryStore();
    const store: Store = {
      ...memory,
      durable: true,
      saveMessage: async () => {
        throw new Error('disk full');
      },
    };
    const channel = createTestChannel({ id: 'sms' });
    const hub = createOmnidealer({
      channels: [channel],
      store,
      retry: fastRetry,
      ...(limiter
        ? {
            rateLimiter: () => ({
              schedule: async <T>(_recipient: string, task: () => Promise<T>) => {
                await new Promise((resolve) => setTimeout(resolve, 5));
                return task();
              },
              stop: async () => {},
            }),
          }
        : {}),
    });
    const send = hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Ждём вас на ТО' } });
    await expect(send).rejects.toThrow('disk full');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(channel.attempts).toEqual([]);
  });

  it('keeps one contact per sender across their chats (Avito: a chat per listing) and answers in the chat asked for', async () => {
    const avito = createTestChannel({ id: 'avito', kind: 'avito', capabilities: { address: 'chat' } });
    const store = createMemoryStore();
    const hub = createOmnidealer({ channels: [avito], store, retry: fastRetry });
    const from = (chat: string, text: string, senderId: string) =>
      hub.handleWebhook('avito', avito.inboundWebhook(chat, text, { conversationExternalId: chat, senderId }));
    await from('chat-solaris', 'Ещё продаётся?', '9001');
    await from('chat-rio', 'А Kia Rio тоже ваша?', '9001');
    await from('chat-other', 'Торг уместен?', '7777');
    const conversations = await store.listConversations({ channel: 'avito' });
    const byChat = new Map(conversations.map((conversation) => [conversation.externalId, conversation]));
    const solaris = byChat.get('chat-solaris');
    const rio = byChat.get('chat-rio');
    const other = byChat.get('chat-other');
    expect(solaris?.contactId).toBe(rio?.contactId);
    expect(other?.contactId).not.toBe(solaris?.contactId);
    expect((await store.getContact(solaris?.contactId as string))?.identities).toEqual({
      avitoChatIds: ['chat-solaris', 'chat-rio'],
      avitoUser: 'avito-user:9001',
    });

    const contactId = solaris?.contactId as string;
    const text = { type: 'text' as const, text: 'Да, в наличии' };
    await hub.send({ channel: 'avito', contact: { id: contactId }, conversationId: solaris?.id as string, content: text });
    expect(avito.sent.at(-1)?.to).toBe('chat-solaris');
    await hub.send({ channel: 'avito', contact: { id: contactId }, content: text });
    expect(avito.sent.at(-1)?.to).toBe('chat-rio'); // without one: the newest conversation
    const foreign = hub.send({
      channel: 'avito',
      contact: { id: contactId },
      conversationId: other?.id as string,
      content: text,
    });
    await expect(foreign).rejects.toMatchObject({ name: 'ValidationError', field: 'conversationId' });
    expect(avito.attempts).toHaveLength(2);
  });

  it('turns a complaint after delivery into an opt-out, emits conversation.read, keeps the department, closes channels', async () => {
    const { hub, channel, store, clock } = setup();
    let closed = 0;
    (channel as { close?: () => void }).close = () => {
      closed++;
    };
    const message = await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Весенняя распродажа' } });
    await hub.handleWebhook('sms', channel.statusWebhook(message.providerMessageId!, 'delivered', clock.now()));
    const complaint = channel.statusWebhook(message.providerMessageId!, 'failed', clock.now(), {
      error: { code: 'complaint', message: 'recipient complained', reason: 'opted_out' },
    });
    expect((await hub.handleWebhook('sms', complaint)).status).toBe(200);
    expect((await store.getMessage(message.id))?.status).toBe('delivered');
    expect((await store.getContact('c1'))?.consent).toEqual({ sms: 'opted_out' });
    expect(await hub.reachStats('c1', 'sms')).toMatchObject({ delivered: 1, failed: 1, lastFailure: 'opted_out' });

    const read: string[] = [];
    hub.on('conversation.read', ({ conversation }) => read.push(conversation.id));
    await hub.assign(message.conversationId, { assignee: 'anna', department: 'service' });
    await hub.markRead(message.conversationId);
    expect(read).toEqual([message.conversationId]);
    const handedOff = await hub.assign(message.conversationId, { assignee: 'boris' });
    expect(handedOff).toMatchObject({ assignee: 'boris', department: 'service' });
    await hub.shutdown();
    expect(closed).toBe(1);
  });
});
