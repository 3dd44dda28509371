import { createHmac } from 'node:crypto';
import { type InboundEvent, type StatusEvent, WebhookError } from '@omnidealer/core';
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
import statusFailed from './__fixtures__/webhook-status-failed.json';
import statusLegacy from './__fixtures__/webhook-status-legacy-cbp.json';
import statusSent from './__fixtures__/webhook-status-sent.json';
import { defaultWhatsAppPricing } from './whatsapp-pricing.js';
import { parseWhatsAppWebhook, signWhatsAppWebhook, type WhatsAppWebhookOptions } from './whatsapp-webhook.js';

const options: WhatsAppWebhookOptions = { appSecret, verifyToken, phoneNumberId, pricing: defaultWhatsAppPricing };
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

  it('system messages, other fields, other phone numbers and value.errors are ignored and counted', async () => {
    const envelope = inboundEnvelope([messages.system, messages.reply]) as {
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
  it('sent with PMP pricing → status event with cost by category and country', async () => {
    const result = await parseWhatsAppWebhook(await signedWebhook(statusSent), options);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        status: 'sent',
        at: 1764067200 * 1000,
        cost: { amountMinor: 1200, currency: 'RUB' },
        metadata: { pricing: { billable: true, model: 'PMP', category: 'marketing', type: 'regular' } },
      },
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
        pricing: { currency: 'RUB', rates: { KZ: { marketing: 900, utility: 300, authentication: 250 } } },
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
