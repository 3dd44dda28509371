import { createHmac } from 'node:crypto';
import { type InboundEvent, type StatusEvent, WebhookError } from '@omnidealer/core';
import type { IdentityEvent } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import {
  appSecret,
  inboundEnvelope,
  inboundMessages,
  phoneNumberId,
  signedWebhook,
  statusEnvelope,
  toWebhookRequest,
  verifyToken,
  webhookUrl,
} from './__fixtures__/fixtures.js';
import inboundText from './__fixtures__/webhook-inbound-text.json';
import phoneAndUserIdButton from './__fixtures__/webhook-phone-and-user-id-button.json';
import statusFailed from './__fixtures__/webhook-status-failed.json';
import statusLegacy from './__fixtures__/webhook-status-legacy-cbp.json';
import statusSent from './__fixtures__/webhook-status-sent.json';
import statusUsername from './__fixtures__/webhook-status-username.json';
import systemChangedNumber from './__fixtures__/webhook-system-user-changed-number.json';
import systemChangedUserId from './__fixtures__/webhook-system-user-changed-user-id.json';
import usernameInbound from './__fixtures__/webhook-username-inbound.json';
import { createWhatsAppPriceList } from './whatsapp-pricing.js';
import { parseWhatsAppWebhook, type WhatsAppWebhookOptions } from './whatsapp-webhook.js';
import { signWhatsAppWebhook } from './whatsapp-webhook-signature.js';

const options: WhatsAppWebhookOptions = { appSecret, verifyToken, phoneNumberId, pricing: createWhatsAppPriceList(undefined) };
const messages = inboundMessages as Record<string, Record<string, unknown>>;

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toSatisfy(WebhookError.isInstance);
  return error as WebhookError;
}

function rawRequest(body: string, headers: Record<string, string>) {
  return toWebhookRequest(new Request(webhookUrl, { method: 'POST', headers, body }));
}

describe('signature', () => {
  const body = JSON.stringify(inboundText);

  it('accepts a correct sha256 signature computed over the raw bytes (matches node:crypto HMAC)', async () => {
    const expected = `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
    expect(await signWhatsAppWebhook(body, appSecret)).toBe(expected);
    const result = await parseWhatsAppWebhook(await rawRequest(body, { 'x-hub-signature-256': expected }), options);
    expect(result.events).toHaveLength(1);
  });

  it('rejects a signature made with another secret (401)', async () => {
    const error = await rejection(parseWhatsAppWebhook(await signedWebhook(inboundText, 'another-app-secret'), options));
    expect(error.status).toBe(401);
    expect(error.code).toBe('webhook_signature');
  });

  it('rejects a missing signature', async () => {
    const error = await rejection(parseWhatsAppWebhook(await rawRequest(body, {}), options));
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/missing/);
  });

  it('rejects the legacy sha1= header even when its HMAC is right', async () => {
    const sha1 = `sha1=${createHmac('sha1', appSecret).update(body).digest('hex')}`;
    const error = await rejection(parseWhatsAppWebhook(await rawRequest(body, { 'x-hub-signature-256': sha1 }), options));
    expect(error.status).toBe(401);
  });

  it('rejects a body re-serialised after signing (signature is over the raw bytes)', async () => {
    const pretty = JSON.stringify(inboundText, null, 2);
    const signature = await signWhatsAppWebhook(pretty, appSecret);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(body));
    await rejection(parseWhatsAppWebhook(await rawRequest(body, { 'x-hub-signature-256': signature }), options));
  });

  it('rejects a tampered body with the original signature', async () => {
    const signature = await signWhatsAppWebhook(body, appSecret);
    const tampered = body.replace('Haval F7', 'Haval H9');
    await rejection(parseWhatsAppWebhook(await rawRequest(tampered, { 'x-hub-signature-256': signature }), options));
  });

  it('refuses everything when no app secret is configured', async () => {
    const error = await rejection(parseWhatsAppWebhook(await signedWebhook(inboundText), { ...options, appSecret: undefined }));
    expect(error.status).toBe(401);
  });

  it('a signed body that is not JSON or not an envelope → malformed (400)', async () => {
    const notJson = 'not json';
    const error = await rejection(
      parseWhatsAppWebhook(
        await rawRequest(notJson, { 'x-hub-signature-256': await signWhatsAppWebhook(notJson, appSecret) }),
        options,
      ),
    );
    expect(error.status).toBe(400);
    expect((await rejection(parseWhatsAppWebhook(await signedWebhook({ entry: 'x' }), options))).status).toBe(400);
    const badMessage = inboundEnvelope([{ type: 'text', text: { body: 'no id' } }]);
    expect((await rejection(parseWhatsAppWebhook(await signedWebhook(badMessage), options))).code).toBe('webhook_malformed');
  });
});

describe('verification handshake', () => {
  const get = (query: string) =>
    parseWhatsAppWebhook(
      { method: 'GET', url: new URL(`${webhookUrl}?${query}`), headers: new Headers(), body: new Uint8Array() },
      options,
    );

  it('echoes hub.challenge as plain text when the token matches', async () => {
    const result = await get(`hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`);
    expect(result.events).toEqual([]);
    expect(result.response?.status).toBe(200);
    expect(await result.response?.text()).toBe('1158201444');
  });

  it('answers 403 for a wrong token, a wrong mode or a missing challenge', async () => {
    for (const query of [
      'hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1',
      `hub.mode=unsubscribe&hub.verify_token=${verifyToken}&hub.challenge=1`,
      `hub.mode=subscribe&hub.verify_token=${verifyToken}`,
    ]) {
      const result = await get(query);
      expect(result.response?.status).toBe(403);
    }
  });
});

describe('inbound messages', () => {
  async function parseOne(message: Record<string, unknown>): Promise<InboundEvent> {
    const result = await parseWhatsAppWebhook(await signedWebhook(inboundEnvelope([message])), options);
    expect(result.events).toHaveLength(1);
    return result.events[0] as InboundEvent;
  }

  it('text with the profile name, wa_id and E.164 phone', async () => {
    const result = await parseWhatsAppWebhook(await signedWebhook(inboundText), options);
    expect(result.events).toEqual([
      {
        type: 'inbound',
        providerMessageId: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUI1RjdDMkQ5RTBGMUEyQjNDNAA=',
        from: '79161234567',
        phone: '+79161234567',
        profileName: 'Иван Петров',
        kind: 'message',
        content: { type: 'text', text: 'Здравствуйте! Есть ли Haval F7 в наличии?' },
        at: 1764066000 * 1000,
        metadata: { whatsappType: 'text' },
      },
    ]);
    expect(result.ignored).toBe(0);
  });

  it('media of every kind by media id, with caption, filename and mime type', async () => {
    expect((await parseOne(messages.image as Record<string, unknown>)).content).toEqual({
      type: 'media',
      kind: 'image',
      mediaId: '1234567890123456',
      caption: 'Вот мой автомобиль',
      mimeType: 'image/jpeg',
    });
    expect((await parseOne(messages.document as Record<string, unknown>)).content).toEqual({
      type: 'media',
      kind: 'document',
      mediaId: '4234567890123456',
      caption: 'ПТС',
      filename: 'pts.pdf',
      mimeType: 'application/pdf',
    });
    for (const kind of ['video', 'audio', 'sticker'] as const) {
      const event = await parseOne(messages[kind] as Record<string, unknown>);
      expect(event.kind).toBe('message');
      expect(event.content).toMatchObject({ type: 'media', kind });
    }
  });

  it('location', async () => {
    expect((await parseOne(messages.location as Record<string, unknown>)).content).toEqual({
      type: 'location',
      latitude: 55.7558,
      longitude: 37.6173,
      name: 'Автосалон Haval',
      address: 'Москва, Тверская 1',
    });
  });

  it('reaction is its own kind', async () => {
    const event = await parseOne(messages.reaction as Record<string, unknown>);
    expect(event.kind).toBe('reaction');
    expect(event.content).toEqual({
      type: 'reaction',
      messageId: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
      emoji: '👍',
    });
  });

  it('template quick-reply button → button_reply with the payload and the replied message', async () => {
    const event = await parseOne(messages.button as Record<string, unknown>);
    expect(event).toMatchObject({
      kind: 'button_reply',
      payload: 'CALL_OPERATOR',
      content: { type: 'text', text: 'Позвать оператора' },
      replyTo: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
    });
  });

  it('interactive button_reply and list_reply are distinct kinds carrying the id', async () => {
    expect(await parseOne(messages.button_reply as Record<string, unknown>)).toMatchObject({
      kind: 'button_reply',
      payload: 'call_operator',
      content: { type: 'text', text: 'Позвать оператора' },
      replyTo: 'wamid.INTERACTIVE_OUT1',
    });
    expect(await parseOne(messages.list_reply as Record<string, unknown>)).toMatchObject({
      kind: 'list_reply',
      payload: 'slot_2026-11-26T10:00',
      content: { type: 'text', text: '26 ноября, 10:00' },
      metadata: { description: 'Тест-драйв Haval F7' },
    });
  });

  it('reply context, forwarded flag and click-to-WhatsApp referral', async () => {
    expect((await parseOne(messages.reply as Record<string, unknown>)).replyTo).toBe('wamid.OUR_MESSAGE1');
    expect((await parseOne(messages.forwarded as Record<string, unknown>)).metadata).toMatchObject({ forwarded: true });
    const referral = await parseOne(messages.referral as Record<string, unknown>);
    expect(referral.kind).toBe('message');
    expect(referral.metadata?.referral).toMatchObject({ source_type: 'ad', headline: 'Haval F7 в кредит от 0,1%' });
    expect(referral.subject).toEqual({
      referral: 'ad',
      source_id: '120226305854810726',
      source_url: 'https://fb.me/3cr4Wqqkv',
      headline: 'Haval F7 в кредит от 0,1%',
      ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a',
    });
  });

  it('contact cards become text with the cards in metadata', async () => {
    const event = await parseOne(messages.contacts as Record<string, unknown>);
    expect(event.content).toEqual({ type: 'text', text: '[contact card] Анна Петрова' });
    expect(event.metadata?.contacts).toHaveLength(1);
  });

  it('unsupported and unknown types → kind unsupported with the errors kept', async () => {
    const unsupported = await parseOne(messages.unsupported as Record<string, unknown>);
    expect(unsupported.kind).toBe('unsupported');
    expect(unsupported.metadata?.errors).toEqual([expect.objectContaining({ code: 131051 })]);
    expect((await parseOne(messages.order as Record<string, unknown>)).kind).toBe('unsupported');
  });

  it('system messages that change no identity, other fields, other phone numbers and value.errors are ignored and counted', async () => {
    // A security-code change (pywa tests/data/updates/system.json, `identity_change`): nothing to update.
    const securityCode = {
      from: '79161234567',
      id: 'wamid.SYSTEM2',
      timestamp: '1697044706',
      identity: { acknowledged: true, created_timestamp: '1697044706', hash: 'xyzxyz' },
      system: { body: 'User identity changed', type: 'customer_identity_changed' },
      type: 'system',
    };
    const envelope = inboundEnvelope([securityCode, messages.reply]) as {
      entry: Array<{ changes: unknown[] }>;
    };
    const entry = envelope.entry[0] as { changes: unknown[] };
    entry.changes.push({ field: 'message_template_status_update', value: { event: 'APPROVED', message_template_name: 'x' } });
    entry.changes.push({
      field: 'messages',
      value: { metadata: { phone_number_id: '999' }, messages: [messages.reply], statuses: [] },
    });
    entry.changes.push({
      field: 'messages',
      value: { metadata: { phone_number_id: phoneNumberId }, errors: [{ code: 131000, title: 'Something went wrong' }] },
    });
    const result = await parseWhatsAppWebhook(await signedWebhook({ ...envelope, extra_top_level: true }), options);
    expect(result.events.map((event) => event.providerMessageId)).toEqual(['wamid.REPLY1']);
    expect(result.ignored).toBe(4);
  });
});

describe('statuses', () => {
  it('sent with PMP pricing → status event with the pricing, but no cost: Meta bills delivered messages', async () => {
    const result = await parseWhatsAppWebhook(await signedWebhook(statusSent), options);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        status: 'sent',
        at: 1764067200 * 1000,
        metadata: { pricing: { billable: true, model: 'PMP', category: 'marketing', type: 'regular' } },
      },
    ]);
  });

  it('delivered and read carry the cost by category and country; failed costs nothing', async () => {
    const sent = statusSent.entry[0]?.changes[0]?.value.statuses[0] as Record<string, unknown>;
    const result = await parseWhatsAppWebhook(
      await signedWebhook(
        statusEnvelope([
          { ...sent, status: 'delivered' },
          { ...sent, status: 'read' },
          { id: 'wamid.F', status: 'failed', timestamp: '1764067200', recipient_id: '79161234567' },
        ]),
      ),
      options,
    );
    expect((result.events as StatusEvent[]).map(({ status, cost }) => ({ status, cost }))).toEqual([
      { status: 'delivered', cost: { amountMinor: 1200, currency: 'RUB' } },
      { status: 'read', cost: { amountMinor: 1200, currency: 'RUB' } },
      { status: 'failed', cost: { amountMinor: 0, currency: 'RUB' } },
    ]);
  });

  it('legacy CBP conversation object is parsed too', async () => {
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(statusLegacy), options)).events as StatusEvent[];
    expect(event?.status).toBe('delivered');
    expect(event?.cost).toEqual({ amountMinor: 500, currency: 'RUB' });
    expect(event?.metadata?.conversation).toEqual({
      id: '9f1c2b3a4d5e6f708192a3b4c5d6e7f8',
      origin: 'utility',
      expiresAt: 1720022400 * 1000,
    });
  });

  it('free customer-service and non-billable statuses cost nothing', async () => {
    const base = { id: 'wamid.A', timestamp: '1764067200', recipient_id: '79161234567' };
    const result = await parseWhatsAppWebhook(
      await signedWebhook(
        statusEnvelope([
          {
            ...base,
            status: 'delivered',
            pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
          },
          {
            ...base,
            status: 'read',
            pricing: { billable: false, pricing_model: 'PMP', category: 'utility', type: 'free_customer_service' },
          },
          {
            ...base,
            status: 'delivered',
            pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'free_entry_point' },
          },
        ]),
      ),
      options,
    );
    expect((result.events as StatusEvent[]).map((event) => event.cost)).toEqual([
      { amountMinor: 0, currency: 'RUB' },
      { amountMinor: 0, currency: 'RUB' },
      { amountMinor: 0, currency: 'RUB' },
    ]);
  });

  it('read without pricing, and a configured price table for another country', async () => {
    const result = await parseWhatsAppWebhook(
      await signedWebhook(
        statusEnvelope([
          { id: 'wamid.B', status: 'read', timestamp: '1764067300', recipient_id: '79161234567' },
          {
            id: 'wamid.C',
            status: 'delivered',
            timestamp: '1764067300',
            recipient_id: '77012345678',
            pricing: { billable: true, pricing_model: 'PMP', category: 'authentication', type: 'regular' },
          },
        ]),
      ),
      {
        ...options,
        pricing: createWhatsAppPriceList({
          currency: 'RUB',
          rates: { KZ: { marketing: 900, utility: 300, authentication: 250 } },
        }),
      },
    );
    expect(result.events).toEqual([
      { type: 'status', providerMessageId: 'wamid.B', status: 'read', at: 1764067300000 },
      expect.objectContaining({ providerMessageId: 'wamid.C', cost: { amountMinor: 250, currency: 'RUB' } }),
    ]);
  });

  it('failed with 131026 → error classified as unreachable, not retryable', async () => {
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(statusFailed), options)).events as StatusEvent[];
    expect(event).toMatchObject({
      status: 'failed',
      error: { code: 'unreachable_recipient', providerCode: 131026, retryable: false },
    });
    expect(event?.error?.message).toMatch(/Message undeliverable/);
  });

  it('unknown statuses (played, deleted) are ignored and counted', async () => {
    const result = await parseWhatsAppWebhook(
      await signedWebhook(
        statusEnvelope([{ id: 'wamid.D', status: 'played', timestamp: '1764067300', recipient_id: '79161234567' }]),
      ),
      options,
    );
    expect(result).toEqual({ events: [], ignored: 1 });
  });
});

/*
 * WhatsApp usernames: a user who sets one hides their number; Meta then identifies them by a business-scoped user id
 * (BSUID, `US.13491208655302741918`) and leaves `messages[].from`, `contacts[].wa_id` and `statuses[].recipient_id`
 * out. System messages report a new number or a new BSUID. Payload sources: `__fixtures__/README.md`.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 */
describe('business-scoped user ids (WhatsApp usernames)', () => {
  // Fixtures from other SDKs carry their own phone number id.
  const anyNumber: WhatsAppWebhookOptions = { ...options, phoneNumberId: undefined };
  const bsuid = 'US.13491208655302741918';

  it('a username user (no from, no wa_id) → from and senderId are the BSUID, no phone; username and parent id kept', async () => {
    const { events } = await parseWhatsAppWebhook(await signedWebhook(usernameInbound), anyNumber);
    expect(events).toEqual([
      {
        type: 'inbound',
        providerMessageId: 'ABGGFlA5Fpa',
        from: bsuid,
        senderId: bsuid,
        profileName: 'test user name',
        kind: 'message',
        content: { type: 'text', text: 'this is a text message' },
        at: 1504902988000,
        metadata: { whatsappType: 'text', username: '@testusername', parentUserId: 'US.ENT.506847293015824' },
      },
    ]);
  });

  it('a user with a visible number → from is the wa_id with its phone, senderId the BSUID', async () => {
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(phoneAndUserIdButton), anyNumber)).events as InboundEvent[];
    expect(event).toMatchObject({
      from: '972987654321',
      phone: '+972987654321',
      senderId: bsuid,
      profileName: 'Test Name',
      kind: 'button_reply',
      payload: 'callback_data',
      metadata: { parentUserId: 'US.ENT.11815799212886844830' },
    });
  });

  it('the BSUID from contacts[].user_id when the message has only `from`', async () => {
    const envelope = inboundEnvelope([messages.reply]) as {
      entry: Array<{ changes: Array<{ value: { contacts: unknown[] } }> }>;
    };
    (envelope.entry[0]?.changes[0]?.value as { contacts: unknown[] }).contacts = [
      { profile: { name: 'Иван Петров' }, wa_id: '79161234567', user_id: 'RU.1502576394655843' },
    ];
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(envelope), options)).events as InboundEvent[];
    expect(event).toMatchObject({ from: '79161234567', phone: '+79161234567', senderId: 'RU.1502576394655843' });
  });

  it('a status with only recipient_user_id is applied and priced by the BSUID country', async () => {
    const pricing = createWhatsAppPriceList({
      currency: 'RUB',
      rates: {
        US: { marketing: 700, utility: 300, authentication: 300 },
        default: { marketing: 1200, utility: 500, authentication: 500 },
      },
    });
    const [sent] = (await parseWhatsAppWebhook(await signedWebhook(statusUsername), { ...anyNumber, pricing }))
      .events as StatusEvent[];
    expect(sent).toMatchObject({ type: 'status', providerMessageId: 'ABGGFlA5Fpa', status: 'sent' });
    const delivered = structuredClone(statusUsername);
    const value = delivered.entry[0]?.changes[0]?.value as { statuses: Array<{ status: string }> };
    (value.statuses[0] as { status: string }).status = 'delivered';
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(delivered), { ...anyNumber, pricing }))
      .events as StatusEvent[];
    expect(event).toMatchObject({ status: 'delivered', cost: { amountMinor: 700, currency: 'RUB' } });
  });

  it('a delivery mixing a username user message and statuses yields all of them (it used to be refused whole)', async () => {
    const message = usernameInbound.entry[0]?.changes[0] as { field: string; value: unknown };
    const status = statusUsername.entry[0]?.changes[0] as { field: string; value: unknown };
    const failed = statusFailed.entry[0]?.changes[0] as { field: string; value: unknown };
    const mixed = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [message, status, failed] }] };
    const { events, ignored } = await parseWhatsAppWebhook(await signedWebhook(mixed), anyNumber);
    expect(events.map((event) => [event.type, event.providerMessageId])).toEqual([
      ['inbound', 'ABGGFlA5Fpa'],
      ['status', 'ABGGFlA5Fpa'],
      ['status', 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA'],
    ]);
    expect(ignored).toBe(0);
  });

  it('user_changed_number (Meta reference payload) → identity event: old and new wa_id, new phone', async () => {
    const { events } = await parseWhatsAppWebhook(await signedWebhook(systemChangedNumber), options);
    expect(events).toEqual([
      {
        type: 'identity',
        providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
        at: 1739321024000,
        from: '16505551234',
        newAddress: '12195555358',
        newPhone: '+12195555358',
      } satisfies IdentityEvent,
    ]);
  });

  it('user_changed_number with BSUIDs and the pre-v12 customer_changed_number/new_wa_id form', async () => {
    const changed = {
      from: '79161234567',
      id: 'wamid.SYSTEM3',
      timestamp: '1764066000',
      type: 'system',
      system: {
        body: 'User Иван changed from 79161234567 to 79031234567',
        wa_id: '79031234567',
        user_id: 'RU.27755309174421056301',
        previous_user_id: 'RU.1502576394655843',
        type: 'user_changed_number',
      },
    };
    // Older Cloud API webhooks: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components (system object).
    const legacy = {
      from: '79161234567',
      id: 'wamid.SYSTEM4',
      timestamp: '1764066000',
      type: 'system',
      system: {
        body: 'User Иван changed from 79161234567 to 79031234567',
        new_wa_id: '79031234567',
        type: 'customer_changed_number',
      },
    };
    const { events } = await parseWhatsAppWebhook(await signedWebhook(inboundEnvelope([changed, legacy])), options);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'identity',
        from: '79161234567',
        senderId: 'RU.1502576394655843',
        newAddress: '79031234567',
        newPhone: '+79031234567',
        newSenderId: 'RU.27755309174421056301',
      }),
      expect.objectContaining({ type: 'identity', from: '79161234567', newAddress: '79031234567', newPhone: '+79031234567' }),
    ]);
  });

  it('user_changed_user_id → identity event: the new BSUID becomes the address, no phone', async () => {
    const { events } = await parseWhatsAppWebhook(await signedWebhook(systemChangedUserId), options);
    expect(events).toEqual([
      {
        type: 'identity',
        providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMQA=',
        at: 1754913600000,
        senderId: bsuid,
        newSenderId: 'US.27755309174421056301',
        newAddress: 'US.27755309174421056301',
      } satisfies IdentityEvent,
    ]);
  });

  it('a message with neither from nor a user id names nobody: ignored, the rest of the delivery kept', async () => {
    const anonymous = { id: 'wamid.NOBODY', timestamp: '1764066000', type: 'text', text: { body: '?' } };
    const envelope = inboundEnvelope([anonymous, messages.reply]) as {
      entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }>;
    };
    const value = envelope.entry[0]?.changes[0]?.value ?? {};
    delete value.contacts;
    const result = await parseWhatsAppWebhook(await signedWebhook(envelope), options);
    expect(result.events.map((event) => event.providerMessageId)).toEqual([(messages.reply as { id: string }).id]);
    expect(result.ignored).toBe(1);
  });

  it('a failed status with 131050 (the user stopped marketing messages) carries reason opted_out for the hub', async () => {
    const optedOut = statusEnvelope([
      {
        id: 'wamid.E',
        status: 'failed',
        timestamp: '1764067300',
        recipient_user_id: bsuid,
        errors: [
          {
            code: 131050,
            title:
              'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
          },
        ],
      },
    ]);
    const [event] = (await parseWhatsAppWebhook(await signedWebhook(optedOut), options)).events as StatusEvent[];
    expect(event?.error).toMatchObject({
      code: 'unreachable_recipient',
      providerCode: 131050,
      retryable: false,
      reason: 'opted_out',
    });
  });
});
