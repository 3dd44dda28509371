import { createManualClock, createMemoryStore, createOmnidealer, type Message } from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { appSecret, messagesRoute, phoneNumberId, signedRequest, signedWebhook, verifyToken } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import { createTestWhatsAppChannel } from './__fixtures__/test-hub.js';
// pywa's `with_tracker` status (tests/data/updates/message_status.json): a real status carrying biz_opaque_callback_data.
import statusTracker from './__fixtures__/webhook-status-tracker.json';
import { messageIdFromWhatsAppCallbackData, toWhatsAppCallbackData } from './whatsapp-callback-data.js';
import { WHATSAPP_DEFAULT_PRICING } from './whatsapp-pricing.js';
import { parseWhatsAppWebhook } from './whatsapp-webhook.js';

const api = createTestServer({ [messagesRoute]: { json: sendSuccess } });
const contact = { id: 'c1', name: 'Иван', phone: '+7 916 123-45-67' };
const template = { type: 'template' as const, name: 'booking_reminder', language: 'ru', params: ['Иван'] };
const options = { appSecret, verifyToken, pricing: WHATSAPP_DEFAULT_PRICING };

/** pywa's status payload with its `biz_opaque_callback_data` replaced, everything else as published. */
function trackerStatus(callbackData: string, status = 'sent'): unknown {
  const payload = structuredClone(statusTracker);
  const item = payload.entry[0]?.changes[0]?.value.statuses[0] as Record<string, unknown>;
  item.biz_opaque_callback_data = callbackData;
  item.status = status;
  return payload;
}

describe('biz_opaque_callback_data carries our message id', () => {
  it('encodes our id with a prefix within Meta’s 512 characters and reads back only our own values', () => {
    expect(toWhatsAppCallbackData('msg_0f3a')).toBe('omnidealer:msg_0f3a');
    expect(toWhatsAppCallbackData('x'.repeat(600))).toBeUndefined();
    expect(messageIdFromWhatsAppCallbackData('omnidealer:msg_0f3a')).toBe('msg_0f3a');
    expect(messageIdFromWhatsAppCallbackData('some data')).toBeUndefined();
    expect(messageIdFromWhatsAppCallbackData('omnidealer:')).toBeUndefined();
    expect(messageIdFromWhatsAppCallbackData(null)).toBeUndefined();
  });

  it('a status with another app’s biz_opaque_callback_data (pywa fixture as published) names no message of ours', async () => {
    const { events } = await parseWhatsAppWebhook(await signedWebhook(statusTracker), options);
    expect(events).toEqual([
      expect.objectContaining({ type: 'status', providerMessageId: 'wamid.xyzxyz', status: 'sent', at: 1698266945000 }),
    ]);
    expect(events[0]).not.toHaveProperty('messageId');
  });

  it('a status whose biz_opaque_callback_data is ours carries our message id (StatusEvent.messageId)', async () => {
    const { events } = await parseWhatsAppWebhook(await signedWebhook(trackerStatus('omnidealer:msg_0f3a')), options);
    expect(events).toEqual([
      expect.objectContaining({ providerMessageId: 'wamid.xyzxyz', status: 'sent', messageId: 'msg_0f3a' }),
    ]);
  });

  it('every send carries it; a send whose answer was lost is reconciled by its statuses, never sent twice', async () => {
    // Meta accepts the send, but its answer (with the wamid) is cut off on the way back.
    const cutAnswer: typeof fetch = async (input, init) => {
      const accepted = await fetch(input, init);
      await accepted.arrayBuffer();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"messaging_product":"whatsapp","messages":[{"id":'));
          controller.error(new Error('connection reset'));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const clock = createManualClock(Date.parse('2026-11-25T09:00:00Z'));
    const store = createMemoryStore();
    const channel = createTestWhatsAppChannel({
      fetch: cutAnswer,
      templates: [{ name: 'booking_reminder', language: 'ru', category: 'utility', bodyParams: ['client'] }],
    });
    const hub = createOmnidealer({ channels: [channel], store, clock, retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 1 } });
    const reconciled: string[] = [];
    hub.on('message.reconciled', ({ providerMessageId }) => reconciled.push(providerMessageId));
    const sent = await hub.send({ channel: 'whatsapp', contact, content: template });
    expect(sent).toMatchObject({ status: 'sent', metadata: { unconfirmed: true } });
    const calls = api.callsTo('/messages');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '79161234567',
      type: 'template',
      template: {
        name: 'booking_reminder',
        language: { code: 'ru' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Иван' }] }],
      },
      biz_opaque_callback_data: `omnidealer:${sent.id}`,
    });

    // Meta's statuses for it (phone number id of this account) echo the value.
    const delivered = trackerStatus(`omnidealer:${sent.id}`, 'delivered') as {
      entry: Array<{ changes: Array<{ value: { metadata: { phone_number_id: string } } }> }>;
    };
    (delivered.entry[0]?.changes[0]?.value.metadata as { phone_number_id: string }).phone_number_id = phoneNumberId;
    expect((await hub.handleWebhook('whatsapp', await signedRequest(delivered))).status).toBe(200);
    const stored = (await store.getMessage(sent.id)) as Message;
    expect(stored).toMatchObject({ status: 'delivered', providerMessageId: 'wamid.xyzxyz', metadata: { reconciled: true } });
    expect(stored.metadata).not.toHaveProperty('unconfirmed');
    expect(reconciled).toEqual(['wamid.xyzxyz']);
    expect(api.callsTo('/messages')).toHaveLength(1);
    await hub.shutdown();
  });
});
