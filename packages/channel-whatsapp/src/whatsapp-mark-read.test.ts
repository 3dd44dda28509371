import type { Contact } from '@omnidealer/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboundEnvelope, inboundMessages, messagesRoute, signedRequest } from './__fixtures__/fixtures.js';
import markReadSuccess from './__fixtures__/mark-read-success.json';
import { createTestHub, createTestWhatsAppChannel, createWhatsAppTestServer } from './__fixtures__/test-hub.js';

const api = createWhatsAppTestServer({ [messagesRoute]: { json: markReadSuccess } });

describe('markRead with the typing indicator', () => {
  let hub: ReturnType<typeof createTestHub>;
  beforeEach(() => {
    hub = createTestHub(createTestWhatsAppChannel());
  });
  afterEach(async () => {
    await hub.shutdown();
  });

  async function conversationId(): Promise<string> {
    const message = { ...inboundMessages.reply, timestamp: String(Math.floor(Date.now() / 1000)) };
    expect((await hub.handleWebhook('whatsapp', await signedRequest(inboundEnvelope([message])))).status).toBe(200);
    const customer = (await hub.store.findContactByAddress('79161234567')) as Contact;
    return (await hub.store.findConversation(customer.id, 'whatsapp'))?.id as string;
  }

  it('posts the read receipt with `typing_indicator: { type: "text" }`', async () => {
    await hub.markRead(await conversationId(), { typingIndicator: true });
    expect(api.callsTo('/messages').map((call) => call.json)).toEqual([
      {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.REPLY1',
        typing_indicator: { type: 'text' },
      },
    ]);
  });

  it('without the option the receipt is the plain one', async () => {
    await hub.markRead(await conversationId(), { typingIndicator: false });
    expect(api.callsTo('/messages').map((call) => call.json)).toEqual([
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.REPLY1' },
    ]);
  });
});
