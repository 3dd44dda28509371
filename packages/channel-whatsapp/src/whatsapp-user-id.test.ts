/*
 * WhatsApp usernames end to end: a user who hides their number behind a username is known by a business-scoped user
 * id (BSUID) alone; replies go to it as `recipient` (Meta: "Use `recipient` to send to a BSUID or parent BSUID. If
 * both `to` and `recipient` are present, `to` takes precedence"), and a number change keeps the contact.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 * Payload sources: `__fixtures__/README.md`.
 */
import {
  ChannelApiError,
  type Contact,
  createManualClock,
  createMemoryStore,
  createOmnidealer,
  type Omnidealer,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graphErrors, inboundEnvelope, messagesRoute, phoneNumberId, signedRequest } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import sendSuccessUserId from './__fixtures__/send-success-user-id.json';
import { createTestWhatsAppChannel } from './__fixtures__/test-hub.js';
import statusUsername from './__fixtures__/webhook-status-username.json';
import systemChangedNumber from './__fixtures__/webhook-system-user-changed-number.json';
import systemChangedUserId from './__fixtures__/webhook-system-user-changed-user-id.json';
import usernameInbound from './__fixtures__/webhook-username-inbound.json';
import { convertToWhatsAppMessage } from './convert-to-whatsapp-message.js';
import { isWhatsAppUserId, whatsAppUserIdCountry } from './whatsapp-user-id.js';

const bsuid = 'US.13491208655302741918';
const api = createTestServer({ [messagesRoute]: { json: sendSuccessUserId } });
const text = { type: 'text' as const, text: 'Добрый день! Тест-драйв в субботу подойдёт?' };

function channel() {
  return createTestWhatsAppChannel({
    templates: [
      { name: 'login_code', language: 'ru', category: 'authentication', bodyParams: ['code'] },
      { name: 'booking_reminder', language: 'ru', category: 'utility', bodyParams: ['client'] },
    ],
  });
}

/** A payload from another SDK's fixtures, delivered to our number (the channel ignores other numbers' changes). */
function forOurNumber<T>(payload: T): T {
  const copy = structuredClone(payload) as { entry: Array<{ changes: Array<{ value: { metadata: Record<string, string> } }> }> };
  for (const entry of copy.entry) for (const change of entry.changes) change.value.metadata.phone_number_id = phoneNumberId;
  return copy as T;
}

describe('business-scoped user ids', () => {
  it('are told from phone numbers and wa_ids; their country prices a send', () => {
    expect([bsuid, 'US.ENT.11815799212886844830', 'BR.1502576394655843', 'br.abcDEF123'].map(isWhatsAppUserId)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['79161234567', '+79161234567', 'US.', 'USA.123', 'US.12-34', `US.${'1'.repeat(129)}`].map(isWhatsAppUserId)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(whatsAppUserIdCountry('br.1502576394655843')).toBe('BR');
    expect(whatsAppUserIdCountry('79161234567')).toBeUndefined();
  });

  it('a BSUID address goes in `recipient` with no `to`; a phone in `to` as before', () => {
    expect(convertToWhatsAppMessage(text, bsuid)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: bsuid,
      type: 'text',
      text: { body: text.text, preview_url: false },
    });
    expect(convertToWhatsAppMessage(text, '+7 916 123-45-67')).toMatchObject({ to: '79161234567' });
    expect(convertToWhatsAppMessage(text, '+7 916 123-45-67')).not.toHaveProperty('recipient');
  });

  it('canReach accepts a contact known only by a BSUID; an authentication template to it is refused before any call', () => {
    const whatsapp = channel();
    const contact: Contact = { id: 'c1', identities: { whatsapp: bsuid } };
    const now = Date.parse('2026-11-25T09:00:00Z');
    const reminder = { type: 'template' as const, name: 'booking_reminder', language: 'ru', params: { client: 'Иван' } };
    const login = { type: 'template' as const, name: 'login_code', language: 'ru', params: { code: '4321' } };
    expect(whatsapp.canReach({ contact, content: reminder, now })).toEqual({ reachable: true, address: bsuid });
    expect(whatsapp.canReach({ contact, content: login, now })).toMatchObject({
      reachable: false,
      reason: 'unsupported_content',
    });
    // The same template to a number is fine.
    expect(whatsapp.canReach({ contact: { id: 'c2', phone: '+79161234567' }, content: login, now })).toMatchObject({
      reachable: true,
    });
    // Priced by the BSUID's country (the `default` row of the example table here).
    expect(whatsapp.estimateCost(reminder, contact).detail).toContain('to US');
  });

  it('doSend posts `recipient` and reads `contacts[].user_id` as the canonical address', async () => {
    const whatsapp = channel();
    const contact: Contact = { id: 'c1', identities: { whatsapp: bsuid } };
    const result = await whatsapp.doSend({ id: 'msg_1', to: bsuid, contact, content: text }, {});
    expect(result).toEqual({ providerMessageId: sendSuccessUserId.messages[0]?.id, status: 'sent', canonicalAddress: bsuid });
    expect(api.callsTo('/messages').at(-1)?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: bsuid,
      type: 'text',
      text: { body: text.text, preview_url: false },
      biz_opaque_callback_data: 'omnidealer:msg_1',
    });
  });

  it('131062 (a message a BSUID cannot receive) → a final ChannelApiError that says what to do', async () => {
    api.use(messagesRoute, { status: 400, json: graphErrors['131062' as keyof typeof graphErrors] });
    const error = await channel()
      .doSend({ id: 'msg_2', to: bsuid, contact: { id: 'c1', identities: { whatsapp: bsuid } }, content: text }, {})
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(ChannelApiError);
    expect(error).toMatchObject({ providerCode: 131062, retryable: false, channel: 'whatsapp' });
    expect((error as Error).message).toMatch(/131062.*needs the phone number/);
  });
});

describe('username users through the hub', () => {
  let hub: Omnidealer;
  const clock = createManualClock(Date.parse('2026-11-25T09:00:00Z'));

  beforeEach(() => {
    api.use(messagesRoute, { json: sendSuccessUserId });
    hub = createOmnidealer({
      channels: [channel()],
      store: createMemoryStore(),
      clock,
      retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false, sleep: async () => undefined },
    });
  });
  afterEach(async () => {
    await hub.shutdown();
  });

  /** The fixture's message, sent now (inside the window). */
  function usernameMessage(id: string, body: string) {
    const payload = forOurNumber(usernameInbound);
    const message = payload.entry[0]?.changes[0]?.value.messages[0] as Record<string, unknown>;
    Object.assign(message, { id, timestamp: String(Math.floor(clock.now() / 1000)), text: { body } });
    return payload;
  }

  it('a username user writes twice → one contact without phone; the reply goes to `recipient`', async () => {
    const received: string[] = [];
    hub.on('message.received', ({ conversation }) => received.push(conversation.contactId));
    expect((await hub.handleWebhook('whatsapp', await signedRequest(usernameMessage('wamid.U1', 'Здравствуйте')))).status).toBe(
      200,
    );
    expect(
      (await hub.handleWebhook('whatsapp', await signedRequest(usernameMessage('wamid.U2', 'Есть тест-драйв?')))).status,
    ).toBe(200);
    expect(new Set(received).size).toBe(1);
    const contact = (await hub.getContact(received[0] as string)) as Contact;
    expect(contact.phone).toBeUndefined();
    expect(contact).toMatchObject({
      name: 'test user name',
      identities: { whatsapp: bsuid, whatsappUser: `whatsapp-user:${bsuid}` },
    });
    expect(await hub.store.listConversations()).toHaveLength(1);

    const reply = await hub.send({ channel: 'whatsapp', contact, content: text });
    expect(reply.status).toBe('sent');
    expect(api.callsTo('/messages').at(-1)?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: bsuid,
      type: 'text',
      text: { body: text.text, preview_url: false },
      biz_opaque_callback_data: `omnidealer:${reply.id}`,
    });
    expect((await hub.getContact(contact.id))?.identities?.whatsapp).toBe(bsuid);
  });

  it('one delivery with a username user message and a status for our message applies both (it used to be a 400)', async () => {
    await hub.handleWebhook('whatsapp', await signedRequest(usernameMessage('wamid.U1', 'Здравствуйте')));
    const contact = (await hub.store.findContactByAddress(bsuid)) as Contact;
    const sent = await hub.send({ channel: 'whatsapp', contact, content: text });
    const status = forOurNumber(statusUsername).entry[0]?.changes[0] as { value: { statuses: Array<Record<string, unknown>> } };
    Object.assign(status.value.statuses[0] as object, {
      id: sent.providerMessageId,
      status: 'delivered',
      timestamp: String(Math.floor(clock.now() / 1000) + 5),
    });
    const mixed = usernameMessage('wamid.U3', 'Спасибо, получил');
    mixed.entry[0]?.changes.push(status as never);
    expect((await hub.handleWebhook('whatsapp', await signedRequest(mixed))).status).toBe(200);
    expect((await hub.store.getMessage(sent.id))?.status).toBe('delivered');
    const [conversation] = await hub.store.listConversations();
    const texts = (await hub.store.listMessages(conversation?.id as string)).map((message) =>
      message.content.type === 'text' ? message.content.text : message.content.type,
    );
    expect(texts).toEqual(['Здравствуйте', text.text, 'Спасибо, получил']);
  });

  it('user_changed_user_id moves a username user to the new BSUID: same contact and conversation, replies to the new id', async () => {
    await hub.handleWebhook('whatsapp', await signedRequest(usernameMessage('wamid.U1', 'Здравствуйте')));
    const contact = (await hub.store.findContactByAddress(bsuid)) as Contact;
    expect((await hub.handleWebhook('whatsapp', await signedRequest(systemChangedUserId))).status).toBe(200);
    const newId = 'US.27755309174421056301';
    expect((await hub.getContact(contact.id))?.identities).toMatchObject({
      whatsapp: newId,
      whatsappUser: `whatsapp-user:${newId}`,
    });
    const next = usernameMessage('wamid.U4', 'Это снова я');
    const value = next.entry[0]?.changes[0]?.value as {
      contacts: Array<Record<string, unknown>>;
      messages: Array<Record<string, unknown>>;
    };
    Object.assign(value.contacts[0] as object, { user_id: newId });
    Object.assign(value.messages[0] as object, { from_user_id: newId });
    await hub.handleWebhook('whatsapp', await signedRequest(next));
    expect((await hub.store.listConversations()).map((conversation) => conversation.contactId)).toEqual([contact.id]);
    api.use(messagesRoute, { json: { ...sendSuccessUserId, contacts: [{ input: newId, user_id: newId }] } });
    await hub.send({ channel: 'whatsapp', contact: (await hub.getContact(contact.id)) as Contact, content: text });
    expect(api.callsTo('/messages').at(-1)?.json).toMatchObject({ recipient: newId });
  });

  it('user_changed_number keeps the contact and its conversation; later messages from the new number land there', async () => {
    // The number of Meta's system-message example, as a customer we already talk to.
    const oldWaId = '16505551234';
    const changes: string[] = [];
    hub.on('contact.identity_changed', ({ contact, previous }) => changes.push(`${previous.phone} → ${contact.phone}`));
    const at = String(Math.floor(clock.now() / 1000));
    const first = inboundEnvelope(
      [{ from: oldWaId, id: 'wamid.S1', timestamp: at, type: 'text', text: { body: 'Hi' } }],
      'Sheena Nelson',
      oldWaId,
    );
    await hub.handleWebhook('whatsapp', await signedRequest(first));
    const [conversation] = await hub.store.listConversations();
    const customer = (await hub.store.findContactByAddress(oldWaId)) as Contact;
    expect(customer.phone).toBe('+16505551234');

    expect((await hub.handleWebhook('whatsapp', await signedRequest(systemChangedNumber))).status).toBe(200);
    expect(changes).toEqual(['+16505551234 → +12195555358']);
    expect(await hub.getContact(customer.id)).toMatchObject({ phone: '+12195555358', identities: { whatsapp: '12195555358' } });

    const later = inboundEnvelope(
      [{ from: '12195555358', id: 'wamid.S2', timestamp: at, type: 'text', text: { body: 'New number, same me' } }],
      'Sheena Nelson',
      '12195555358',
    );
    await hub.handleWebhook('whatsapp', await signedRequest(later));
    const conversations = await hub.store.listConversations();
    expect(conversations.map((item) => [item.id, item.contactId])).toEqual([[conversation?.id, customer.id]]);
    api.use(messagesRoute, { json: { ...sendSuccess, contacts: [{ input: '12195555358', wa_id: '12195555358' }] } });
    await hub.send({ channel: 'whatsapp', contact: (await hub.getContact(customer.id)) as Contact, content: text });
    expect(api.callsTo('/messages').at(-1)?.json).toMatchObject({ to: '12195555358' });
  });
});
