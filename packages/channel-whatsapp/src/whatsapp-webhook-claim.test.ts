/**
 * One webhook URL for all numbers of one Meta app (`hub.handleWebhook('whatsapp', …)`, `/hooks/whatsapp`). Payloads:
 * `webhook-inbound-text.json` is Meta's `messages` webhook example (number 106540352242922);
 * `webhook-phone-and-user-id-button.json` is pywa's `callback_button.json` (number 1122334455667);
 * `webhook-template-category-update.json` is Meta's `template_category_update` reference example (see
 * `__fixtures__/README.md`). The two-number delivery is those two envelopes' entries in one body, as Meta batches
 * entries of several numbers of one app.
 */
import { createMemoryStore, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { appSecret, phoneNumberId, signedRequest, verifyToken, webhookUrl } from './__fixtures__/fixtures.js';
import { createTestWhatsAppChannel } from './__fixtures__/test-hub.js';
import inboundText from './__fixtures__/webhook-inbound-text.json';
import buttonFromPywa from './__fixtures__/webhook-phone-and-user-id-button.json';
import categoryChanged from './__fixtures__/webhook-template-category-update.json';
import type { WhatsAppChannel } from './whatsapp-channel.js';

const secondNumberId = '1122334455667';

function setup(secondAppSecret = appSecret) {
  const moscow = createTestWhatsAppChannel({
    id: 'wa-moscow',
    templates: [{ name: 'welcome_template', language: 'en-US', category: 'utility' }],
  });
  const kazan = createTestWhatsAppChannel({
    id: 'wa-kazan',
    phoneNumberId: secondNumberId,
    appSecret: secondAppSecret,
    templates: [{ name: 'welcome_template', language: 'en-US', category: 'utility' }],
  });
  const hub: Omnidealer = createOmnidealer({ channels: [moscow, kazan], store: createMemoryStore() });
  const received: string[] = [];
  const unrouted: unknown[] = [];
  hub.on('message.received', ({ message }) => received.push(`${message.channel}:${message.providerMessageId}`));
  hub.on('webhook.unrouted', (event) => unrouted.push(event));
  return { hub, moscow, kazan, received, unrouted };
}

const both = { object: 'whatsapp_business_account', entry: [...inboundText.entry, ...buttonFromPywa.entry] };
const moscowMessage = `wa-moscow:${inboundText.entry[0]?.changes[0]?.value.messages[0]?.id}`;
const kazanMessage = 'wa-kazan:wamid.xsidjx';

describe('WhatsApp: one webhook URL for several numbers', () => {
  it('splits one delivery with entries of two numbers: each number’s channel applies its own entry', async () => {
    const { hub, received, unrouted } = setup();
    const response = await hub.handleWebhook('whatsapp', await signedRequest(both));
    expect(response.status).toBe(200);
    expect(received).toEqual([moscowMessage, kazanMessage]);
    expect(unrouted).toEqual([]);
  });

  it('routes separate deliveries by metadata.phone_number_id', async () => {
    const { hub, received } = setup();
    expect((await hub.handleWebhook('whatsapp', await signedRequest(buttonFromPywa))).status).toBe(200);
    expect((await hub.handleWebhook('whatsapp', await signedRequest(inboundText))).status).toBe(200);
    expect(received).toEqual([kazanMessage, moscowMessage]);
  });

  it('refuses a delivery for a number no channel holds (404, nothing applied), and the unknown part of a mixed one (200)', async () => {
    const moscow = createTestWhatsAppChannel({ id: 'wa-moscow' });
    const spb = createTestWhatsAppChannel({ id: 'wa-spb', phoneNumberId: '5550001' });
    const hub = createOmnidealer({ channels: [moscow, spb], store: createMemoryStore() });
    const received: string[] = [];
    const unrouted: unknown[] = [];
    hub.on('message.received', ({ message }) => received.push(message.channel));
    hub.on('webhook.unrouted', (event) => unrouted.push(event));
    expect((await hub.handleWebhook('whatsapp', await signedRequest(buttonFromPywa))).status).toBe(404);
    expect(received).toEqual([]);
    expect((await hub.handleWebhook('whatsapp', await signedRequest(both))).status).toBe(200);
    expect(received).toEqual(['wa-moscow']);
    // The phone number id masked to its last 4 digits: never applied to another number's channel.
    expect(unrouted).toEqual([
      { provider: 'whatsapp', accounts: ['…5667'], status: 404 },
      { provider: 'whatsapp', accounts: ['…5667'], status: 200 },
    ]);
  });

  it('refuses a forged delivery (401) and applies nothing, on the shared route as on a channel’s own', async () => {
    const { hub, received } = setup();
    expect((await hub.handleWebhook('whatsapp', await signedRequest(both, 'forged-secret'))).status).toBe(401);
    expect((await hub.handleWebhook('wa-kazan', await signedRequest(buttonFromPywa, 'forged-secret'))).status).toBe(401);
    expect(received).toEqual([]);
  });

  it('refuses the whole delivery when one number’s channel does not accept its signature', async () => {
    const { hub, received } = setup('kazan-app-secret-0000000000000000');
    expect((await hub.handleWebhook('whatsapp', await signedRequest(both))).status).toBe(401);
    expect(received).toEqual([]);
  });

  it('keeps each number’s own route working', async () => {
    const { hub, received } = setup();
    expect((await hub.handleWebhook('wa-kazan', await signedRequest(buttonFromPywa))).status).toBe(200);
    // On a number's own route the other number's entry is skipped, as before.
    expect((await hub.handleWebhook('wa-moscow', await signedRequest(both))).status).toBe(200);
    expect(received).toEqual([kazanMessage, moscowMessage]);
  });

  it('hands account-level changes (template updates) to the numbers whose app secret signed them', async () => {
    const { hub, moscow, kazan } = setup('kazan-app-secret-0000000000000000');
    expect((await hub.handleWebhook('whatsapp', await signedRequest(categoryChanged))).status).toBe(200);
    const categoryOf = (channel: WhatsAppChannel) => channel.templates.get('welcome_template', 'en-US')?.category;
    expect(categoryOf(moscow)).toBe('marketing');
    expect(categoryOf(kazan)).toBe('utility');
  });

  it('answers Meta’s verification handshake on the shared route when the verify token is a number’s', async () => {
    const { hub } = setup();
    const url = (token: string) => `${webhookUrl}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`;
    const answer = await hub.handleWebhook('whatsapp', new Request(url(verifyToken)));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('1158201444');
    expect((await hub.handleWebhook('whatsapp', new Request(url('wrong')))).status).toBe(404);
  });

  it('names the provider route on every instance', () => {
    const { moscow } = setup();
    expect(moscow.provider).toBe('whatsapp');
    expect(moscow.accountId).toBe(phoneNumberId);
  });
});
