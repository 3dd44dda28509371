import { describe, expect, it } from 'vitest';
import type { Channel } from '../channel.js';
import { createManualClock } from '../clock.js';
import { FrequencyCapError } from '../errors/frequency-cap-error.js';
import { UnreachableRecipientError } from '../errors/unreachable-recipient-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel, type TestChannel } from '../test-channel.js';
import { identityKeys, senderKey } from './inbound-contact.js';
import type { OmnidealerOptions } from './types.js';

const dayMs = 86_400_000;
const text = (body: string) => ({ type: 'text' as const, text: body });

/** A phone channel with a 24 h customer-service window, like WhatsApp's: free text only inside it. */
function windowedChannel(id: string): TestChannel {
  const channel = createTestChannel({ id, kind: id, capabilities: { canStartConversation: false } });
  const canReach = channel.canReach.bind(channel);
  return Object.assign(channel, {
    canReach(context: Parameters<Channel['canReach']>[0]) {
      const last = context.conversation?.lastInboundAt;
      if (last === undefined || context.now - last > dayMs)
        return { reachable: false as const, reason: 'window_closed' as const, detail: 'outside the 24 h window' };
      return canReach(context);
    },
  });
}

function setup(options: Partial<OmnidealerOptions> = {}) {
  const clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  const whatsapp = windowedChannel('whatsapp');
  const sms = createTestChannel({ id: 'sms', priceMinor: 300 });
  const store = createMemoryStore();
  const hub = createOmnidealer({ channels: [whatsapp, sms], store, clock, ...options });
  const events: string[] = [];
  hub.on('contact.opted_out', ({ contact, channels, source }) => events.push(`opted_out ${contact.id} ${channels} ${source}`));
  hub.on('contact.merged', ({ contact, mergedId }) => events.push(`merged ${mergedId} into ${contact.id}`));
  return { hub, whatsapp, sms, store, clock, events };
}

describe('one person is one contact', () => {
  it('customer first: the CRM replies with its own id and the phone, and reaches the chat the customer opened', async () => {
    const { hub, whatsapp, store, clock, events } = setup();
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.inboundWebhook('79161234567', 'Есть Camry в наличии?', { at: clock.now(), phone: '+79161234567' }),
    );
    const [hubContact] = [...(await store.listConversations())].map((each) => each.contactId);
    expect(hubContact).toMatch(/^contact_/);
    clock.advance(60_000);
    const sentEvents: string[] = [];
    hub.on('message.sent', ({ message }) => sentEvents.push(message.contactId));
    const reply = await hub.send({
      channel: 'whatsapp',
      contact: { id: 'crm-42', phone: '+7 916 123-45-67' },
      content: text('Да, есть'),
    });
    expect(reply.status).toBe('sent');
    expect(reply.contactId).toBe('crm-42');
    expect(sentEvents).toEqual(['crm-42']);
    expect(await store.listConversations()).toHaveLength(1);
    expect((await store.listConversations())[0]?.contactId).toBe('crm-42');
    expect(await store.getContact(hubContact as string)).toBeUndefined();
    expect((await hub.getContact(hubContact as string))?.id).toBe('crm-42');
    expect((await hub.getContact('crm-42'))?.identities?.whatsapp).toBe('79161234567');
    expect(events).toEqual([`merged ${hubContact} into crm-42`]);
    // The customer writes again: the same contact and conversation.
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook('79161234567', 'Когда можно приехать?', { at: clock.now() }));
    expect(await store.listConversations()).toHaveLength(1);
    // The hub's old id keeps working for sends too.
    const again = await hub.send({
      channel: 'whatsapp',
      contact: { id: hubContact as string },
      content: text('Сегодня до 20:00'),
    });
    expect(again.contactId).toBe('crm-42');
  });

  it('CRM first: the customer who writes later lands on the CRM contact', async () => {
    const { hub, sms, whatsapp, store, clock } = setup();
    await hub.send({ channel: 'sms', contact: { id: 'crm-42', phone: '+79161234567' }, content: text('Ваш автомобиль готов') });
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.inboundWebhook('79161234567', 'Спасибо!', { at: clock.now(), phone: '+79161234567' }),
    );
    const conversations = await store.listConversations();
    expect(conversations.map((each) => each.contactId)).toEqual(['crm-42', 'crm-42']);
    expect(sms.sent).toHaveLength(1);
    const reply = await hub.send({ channel: 'whatsapp', contact: { id: 'crm-42' }, content: text('Ждём вас') });
    expect(reply.status).toBe('sent');
  });

  it('does not merge two contacts the CRM created itself (two people may share a phone)', async () => {
    const { hub, store } = setup();
    await hub.upsertContact({ id: 'crm-1', phone: '+79161234567' });
    await hub.upsertContact({ id: 'crm-2', phone: '+79161234567' });
    expect(await store.getContact('crm-1')).toBeDefined();
    expect(await store.getContact('crm-2')).toBeDefined();
  });

  it('mergeContacts moves conversations, messages and history; the most restrictive consent wins', async () => {
    const { hub, sms, store, events } = setup();
    await hub.upsertContact({ id: 'a', phone: '+79161234567', consent: { sms: 'granted', email: 'granted' } });
    await hub.upsertContact({ id: 'b', phone: '+79161234568', email: 'ivan@example.ru', consent: { sms: 'opted_out' } });
    await hub.send({ channel: 'sms', contact: { id: 'a' }, content: text('Один') });
    sms.failNext(new UnreachableRecipientError({ channel: 'sms', reason: 'not_on_channel', message: 'no such number' }));
    await hub.upsertContact({ id: 'b', consent: { sms: 'opted_out' } });
    const merged = await hub.mergeContacts('a', 'b');
    expect(merged).toMatchObject({ id: 'a', phone: '+79161234567', email: 'ivan@example.ru' });
    expect(merged.consent).toEqual({ sms: 'opted_out', email: 'granted' });
    expect((await store.findContactByAddress('ivan@example.ru'))?.id).toBe('a');
    expect(await store.getContact('b')).toBeUndefined();
    expect(events).toContain('merged b into a');
    expect((await store.listConversations({ contactId: 'a' })).length).toBe(1);
  });

  it('mergeContacts refuses unknown ids and a contact with itself, changing nothing', async () => {
    const { hub, store, events } = setup();
    await hub.upsertContact({ id: 'a', phone: '+79161234567' });
    await expect(hub.mergeContacts('a', 'a')).rejects.toSatisfy(ValidationError.isInstance);
    await expect(hub.mergeContacts('a', 'nobody')).rejects.toThrow(/unknown contact "nobody"/);
    await expect(hub.mergeContacts('nobody', 'a')).rejects.toThrow(/unknown contact "nobody"/);
    expect(await store.getContact('a')).toMatchObject({ id: 'a', phone: '+79161234567' });
    expect(events).toEqual([]);
  });
});

describe('identity changes keep the contact', () => {
  it("a customer's new number (a system message) keeps the contact and conversation; later messages from it land there", async () => {
    const { hub, whatsapp, store, clock } = setup();
    const changes: string[] = [];
    hub.on('contact.identity_changed', ({ contact, previous }) =>
      changes.push(`${contact.id} ${previous.phone} → ${contact.phone}`),
    );
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook('79161234567', 'Добрый день', { at: clock.now() }));
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.identityWebhook({ from: '79161234567', newAddress: '79031234567', newPhone: '+79031234567' }),
    );
    expect(changes).toEqual(['crm-42 +79161234567 → +79031234567']);
    expect((await hub.getContact('crm-42'))?.identities?.whatsapp).toBe('79031234567');
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook('79031234567', 'Это мой новый номер', { at: clock.now() }));
    expect(await store.listConversations()).toHaveLength(1);
    expect((await store.listConversations())[0]?.contactId).toBe('crm-42');
    // A change for a sender nobody knows changes nothing.
    await hub.handleWebhook('whatsapp', whatsapp.identityWebhook({ from: '79990000000', newAddress: '79990000001' }));
    expect(changes).toHaveLength(1);
  });

  it('a message the old number sent before the change, delivered after it, does not write the old number back', async () => {
    const { hub, whatsapp, clock } = setup();
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    const sentBeforeChange = clock.now();
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook('79161234567', 'Добрый день', { at: sentBeforeChange }));
    clock.advance(60_000);
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.identityWebhook({ from: '79161234567', newAddress: '79031234567', newPhone: '+79031234567', at: clock.now() }),
    );
    // Meta redelivers a message the old number sent a minute before the change.
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.inboundWebhook('79161234567', 'Забыл спросить про кредит', { at: sentBeforeChange + 1_000 }),
    );
    expect(await hub.getContact('crm-42')).toMatchObject({
      phone: '+79031234567',
      identities: { whatsapp: '79031234567' },
    });
    // A message the new number sends afterwards is still learned as usual.
    clock.advance(60_000);
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook('79031234567', 'Спасибо', { at: clock.now() }));
    expect((await hub.getContact('crm-42'))?.identities?.whatsapp).toBe('79031234567');
  });

  it("a phone-only sender's messages and identity changes hold the same lock key (+7… and a wa_id are one sender)", () => {
    const { whatsapp } = setup();
    const inbound = {
      type: 'inbound' as const,
      providerMessageId: 'wamid.1',
      from: '79161234567',
      at: 0,
      content: text('hi'),
      kind: 'message' as const,
    };
    const key = senderKey(whatsapp, { ...inbound, phone: '+79161234567' });
    expect(senderKey(whatsapp, inbound)).toBe(key);
    expect(identityKeys(whatsapp, { type: 'identity', providerMessageId: 'e1', from: '79161234567', at: 0 })).toContain(key);
    const bsuid = 'US.13491208655302741918';
    const withAccount = identityKeys(whatsapp, {
      type: 'identity',
      providerMessageId: 'e2',
      from: '79161234567',
      senderId: bsuid,
      at: 0,
    });
    expect(withAccount).toContain(senderKey(whatsapp, { ...inbound, senderId: bsuid }));
    expect(withAccount).toContain(key);
  });

  it('a user known only by a business-scoped user id (a WhatsApp username) is one contact across messages', async () => {
    const { hub, whatsapp, store, clock } = setup();
    const bsuid = 'US.13491208655302741918';
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook(bsuid, 'Здравствуйте', { at: clock.now(), senderId: bsuid }));
    await hub.handleWebhook('whatsapp', whatsapp.inboundWebhook(bsuid, 'Есть тест-драйв?', { at: clock.now(), senderId: bsuid }));
    const contacts = new Set((await store.listConversations()).map((conversation) => conversation.contactId));
    expect(contacts.size).toBe(1);
    const contact = await hub.getContact([...contacts][0] as string);
    expect(contact?.phone).toBeUndefined();
    expect(contact?.identities).toMatchObject({ whatsapp: bsuid, whatsappUser: `whatsapp-user:${bsuid}` });
  });
});

describe('consent never silently flips', () => {
  it("a send's consent map adds consent where none is stored but never lifts an opt-out; setConsent does, audited", async () => {
    const { hub, sms, clock } = setup();
    await hub.upsertContact({ id: 'c1', phone: '+79161234567', consent: { sms: 'opted_out' } });
    await expect(
      hub.send({ channel: 'sms', contact: { id: 'c1', consent: { sms: 'granted', email: 'granted' } }, content: text('Акция') }),
    ).rejects.toMatchObject({ reason: 'opted_out' });
    expect(sms.attempts).toHaveLength(0);
    // A refused send stores nothing; an upsert's map adds where none was stored and keeps the opt-out.
    expect((await hub.getContact('c1'))?.consent).toEqual({ sms: 'opted_out' });
    await hub.upsertContact({ id: 'c1', consent: { sms: 'granted', email: 'granted' } });
    expect((await hub.getContact('c1'))?.consent).toEqual({ sms: 'opted_out', email: 'granted' });
    await expect(hub.setConsent('c1', 'sms', 'granted', { source: '' })).rejects.toSatisfy(ValidationError.isInstance);
    await expect(hub.setConsent('nobody', 'sms', 'granted', { source: 'form' })).rejects.toThrow(/unknown contact/);
    const at = clock.now();
    await hub.setConsent('c1', 'sms', 'granted', { source: 'signed form #1187', at });
    expect((await hub.send({ channel: 'sms', contact: { id: 'c1' }, content: text('Акция') })).status).toBe('sent');
    expect(await hub.consentHistory('c1')).toEqual([
      { contactId: 'c1', channel: 'sms', state: 'granted', previous: 'opted_out', source: 'signed form #1187', at },
    ]);
  });

  it('an opt-out the provider reports at send time is recorded: the next send never calls the provider', async () => {
    const { hub, sms, events } = setup();
    sms.failNext(new UnreachableRecipientError({ channel: 'sms', reason: 'opted_out', message: 'number is in the stop list' }));
    const first = await hub.send({ channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: text('Акция') });
    expect(first.status).toBe('failed');
    expect((await hub.getContact('c1'))?.consent?.sms).toBe('opted_out');
    expect(events).toEqual(['opted_out c1 sms provider']);
    await expect(hub.send({ channel: 'sms', contact: { id: 'c1' }, content: text('Акция') })).rejects.toBeInstanceOf(
      UnreachableRecipientError,
    );
    expect(sms.attempts).toHaveLength(1);
    expect((await hub.consentHistory('c1')).map((change) => change.source)).toEqual(['provider']);
  });

  it('«СТОП» opts the contact out of that channel, with an event and a confirmation reply; a sentence does not', async () => {
    const { hub, sms, clock, events } = setup({ optOut: { confirmation: 'Вы отписаны от рассылки.' } });
    await hub.upsertContact({ id: 'c1', phone: '+79161234567', consent: { sms: 'granted' } });
    await hub.handleWebhook('sms', sms.inboundWebhook('+79161234567', 'Стоп, а сколько стоит ТО?', { at: clock.now() }));
    expect((await hub.getContact('c1'))?.consent?.sms).toBe('granted');
    const confirmed = new Promise((resolve) => hub.once('message.sent', resolve));
    const response = await hub.handleWebhook('sms', sms.inboundWebhook('+79161234567', ' СТОП! ', { at: clock.now() }));
    expect(response.status).toBe(200);
    expect((await hub.getContact('c1'))?.consent?.sms).toBe('opted_out');
    expect(events).toEqual(['opted_out c1 sms keyword']);
    await confirmed;
    expect(sms.sent.map((message) => message.content)).toEqual([text('Вы отписаны от рассылки.')]);
    await expect(hub.send({ channel: 'sms', contact: { id: 'c1' }, content: text('Акция') })).rejects.toMatchObject({
      reason: 'opted_out',
    });
  });

  it('keyword opt-out with scope "all" covers every channel kind; keywords: false turns it off', async () => {
    const all = setup({ optOut: { scope: 'all' } });
    await all.hub.handleWebhook('sms', all.sms.inboundWebhook('+79161234567', 'unsubscribe', { at: all.clock.now() }));
    const [conversation] = await all.store.listConversations();
    expect((await all.hub.getContact(conversation!.contactId))?.consent).toEqual({ whatsapp: 'opted_out', sms: 'opted_out' });
    const off = setup({ optOut: { keywords: false } });
    await off.hub.handleWebhook('sms', off.sms.inboundWebhook('+79161234567', 'СТОП', { at: off.clock.now() }));
    const [offConversation] = await off.store.listConversations();
    expect((await off.hub.getContact(offConversation!.contactId))?.consent).toBeUndefined();
  });

  it('a marketing SMS needs recorded consent by default; the rule is configurable', async () => {
    const { hub, sms } = setup();
    const contact = { id: 'c1', phone: '+79161234567' };
    await expect(hub.send({ channel: 'sms', contact, content: text('Скидка 15%'), kind: 'marketing' })).rejects.toMatchObject({
      reason: 'no_consent',
    });
    expect((await hub.send({ channel: 'sms', contact, content: text('Ваш автомобиль готов'), kind: 'service' })).status).toBe(
      'sent',
    );
    const relaxed = setup({ consentRequired: {} });
    expect((await relaxed.hub.send({ channel: 'sms', contact, content: text('Скидка'), kind: 'marketing' })).status).toBe('sent');
    expect(sms.sent).toHaveLength(1);
  });
});

describe('the frequency cap is claimed atomically', () => {
  const contact = { id: 'c1', phone: '+79161234567', consent: { sms: 'granted' as const } };

  it('two marketing sends started together for one contact: one goes, the other is refused before the provider', async () => {
    const { hub, sms, clock } = setup();
    const results = await Promise.allSettled([
      hub.send({ channel: 'sms', contact, content: text('Весенняя распродажа'), kind: 'marketing' }),
      hub.send({ channel: 'sms', contact: { ...contact }, content: text('Весенняя распродажа'), kind: 'marketing' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(FrequencyCapError.isInstance(refused.reason) && refused.reason.code).toBe('frequency_capped');
    expect(sms.attempts).toHaveLength(1);
    // Service messages are not capped; after 30 days marketing may go again.
    expect((await hub.send({ channel: 'sms', contact, content: text('Напоминание о ТО'), kind: 'service' })).status).toBe('sent');
    clock.advance(30 * dayMs + 1);
    expect((await hub.send({ channel: 'sms', contact, content: text('Летняя распродажа'), kind: 'marketing' })).status).toBe(
      'sent',
    );
    expect((await hub.mailingHistory('c1')).map((record) => record.kind)).toEqual(['marketing', 'marketing']);
  });

  it('a marketing send the provider refused gives its claim back; a repeat with the same idempotency key is not refused', async () => {
    const { hub, sms } = setup();
    sms.failNext(new UnreachableRecipientError({ channel: 'sms', reason: 'not_on_channel', message: 'unknown number' }));
    const failed = await hub.send({ channel: 'sms', contact, content: text('Акция'), kind: 'marketing' });
    expect(failed.status).toBe('failed');
    expect(await hub.mailingHistory('c1')).toEqual([]);
    const first = await hub.send({
      channel: 'sms',
      contact,
      content: text('Акция'),
      kind: 'marketing',
      idempotencyKey: 'spring:c1',
    });
    const repeat = await hub.send({
      channel: 'sms',
      contact,
      content: text('Акция'),
      kind: 'marketing',
      idempotencyKey: 'spring:c1',
    });
    expect(repeat.id).toBe(first.id);
  });
});
