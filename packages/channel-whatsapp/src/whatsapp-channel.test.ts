import {
  type Contact,
  createManualClock,
  createMemoryStore,
  createOmnidealer,
  type Message,
  type Omnidealer,
  WindowClosedError,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  accessToken,
  appSecret,
  graphErrors,
  inboundEnvelope,
  inboundMessages,
  messagesRoute,
  phoneNumberId,
  signedRequest,
  statusEnvelope,
  verifyToken,
  webhookUrl,
} from './__fixtures__/fixtures.js';
import markReadSuccess from './__fixtures__/mark-read-success.json';
import sendSuccess from './__fixtures__/send-success.json';
import sendSuccessNormalised from './__fixtures__/send-success-normalised.json';
import { createTestWhatsAppChannel } from './__fixtures__/test-hub.js';
import templatePaused from './__fixtures__/webhook-template-paused.json';
import { createWhatsAppChannel, WHATSAPP_DEFAULT_RATE_LIMIT } from './whatsapp-channel.js';

const api = createTestServer({ [messagesRoute]: { json: sendSuccess } });
const hour = 3_600_000;
const wamid = sendSuccess.messages[0]?.id as string;
const contact = { id: 'c1', name: 'Иван', phone: '+7 916 123-45-67' };
const template = {
  type: 'template' as const,
  name: 'booking_reminder',
  language: 'ru',
  params: { client: 'Иван', model: 'Haval F7' },
};
const text = { type: 'text' as const, text: 'Ждём вас завтра в 10:00' };

function channel() {
  return createTestWhatsAppChannel({
    templates: [
      {
        name: 'booking_reminder',
        language: 'ru',
        category: 'utility',
        parameterFormat: 'named',
        bodyParams: ['client', 'model'],
      },
      { name: 'black_friday', language: 'ru', category: 'marketing', bodyParams: ['client'] },
    ],
  });
}

const status = (id: string, value: string, at: number, extra: Record<string, unknown> = {}) => ({
  id,
  status: value,
  timestamp: String(Math.floor(at / 1000)),
  recipient_id: '79161234567',
  ...extra,
});

describe('hub round trip', () => {
  let hub: Omnidealer;
  const clock = createManualClock(Date.parse('2026-11-25T09:00:00Z'));
  const sleep = vi.fn(async (_ms: number) => undefined);

  beforeEach(() => {
    sleep.mockClear();
    api.use(messagesRoute, { json: sendSuccess });
    hub = createOmnidealer({
      channels: [channel()],
      store: createMemoryStore(),
      clock,
      retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false, sleep },
    });
  });
  afterEach(async () => {
    await hub.shutdown();
  });

  async function post(payload: unknown, secret = appSecret): Promise<Response> {
    return hub.handleWebhook('whatsapp', await signedRequest(payload, secret));
  }

  async function inbound(message: Record<string, unknown>): Promise<void> {
    const response = await post(inboundEnvelope([{ ...message, timestamp: String(Math.floor(clock.now() / 1000)) }]));
    expect(response.status).toBe(200);
  }

  it('send → provider id and wa_id stored → delivered/read webhooks update the message; late and duplicate statuses never downgrade', async () => {
    const sent = await hub.send({ channel: 'whatsapp', contact, content: template });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: wamid });
    expect(api.callsTo('/messages')[0]?.json).toMatchObject({ to: '79161234567', type: 'template' });
    expect((await hub.store.getContact('c1'))?.identities?.whatsapp).toBe('79161234567');
    expect(sent.cost).toEqual({ amountMinor: 500, currency: 'RUB' });

    const statuses: string[] = [];
    const duplicates: string[] = [];
    hub.on('message.status', ({ message }) => statuses.push(message.status));
    hub.on('webhook.duplicate', ({ key }) => duplicates.push(key));

    const delivered = status(wamid, 'delivered', clock.now() + 5000, {
      pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
    });
    expect((await post(statusEnvelope([delivered]))).status).toBe(200);
    expect((await hub.store.getMessage(sent.id))?.status).toBe('delivered');
    expect((await post(statusEnvelope([status(wamid, 'read', clock.now() + 9000)]))).status).toBe(200);
    await post(statusEnvelope([delivered])); // Meta redelivers
    await post(statusEnvelope([status(wamid, 'sent', clock.now() + 1000)])); // late, out of order
    const stored = (await hub.store.getMessage(sent.id)) as Message;
    expect(stored.status).toBe('read');
    expect(stored.statusTimes?.read).toBe(Math.floor((clock.now() + 9000) / 1000) * 1000);
    expect(stored.metadata?.pricing).toEqual({ billable: true, model: 'PMP', category: 'utility', type: 'regular' });
    expect(statuses).toEqual(['delivered', 'read']);
    expect(duplicates).toHaveLength(1);
  });

  it('read before delivered is accepted and implies delivery', async () => {
    const sent = await hub.send({ channel: 'whatsapp', contact, content: template });
    await post(statusEnvelope([status(wamid, 'read', clock.now() + 2000)]));
    await post(statusEnvelope([status(wamid, 'delivered', clock.now() + 1000)]));
    const stored = (await hub.store.getMessage(sent.id)) as Message;
    expect(stored.status).toBe('read');
    expect(stored.statusTimes?.delivered).toBeDefined();
  });

  it('the window: free text refused before any inbound, allowed after one, refused again after 24 h; templates always go', async () => {
    await expect(hub.send({ channel: 'whatsapp', contact, content: text })).rejects.toSatisfy(WindowClosedError.isInstance);
    expect(api.calls).toHaveLength(0);

    await inbound(inboundMessages.reply as Record<string, unknown>);
    const stored = await hub.store.findContactByAddress('79161234567');
    expect(stored).toMatchObject({ phone: '+79161234567', name: 'Иван Петров' });
    const customer = stored as Contact;
    expect(await hub.canReach('whatsapp', customer, text)).toEqual({ reachable: true, address: '79161234567' });
    const reply = await hub.send({ channel: 'whatsapp', contact: customer, content: text });
    expect(reply.status).toBe('sent');
    expect(api.callsTo('/messages')[0]?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '79161234567',
      type: 'text',
      text: { body: text.text, preview_url: false },
      biz_opaque_callback_data: `omnidealer:${reply.id}`,
    });
    // Since 1 Oct 2026 Meta charges service messages inside the window (EXAMPLE card: the utility price).
    expect(reply.cost).toEqual({ amountMinor: 500, currency: 'RUB' });

    clock.advance(24 * hour + 60_000);
    expect(await hub.canReach('whatsapp', customer, text)).toMatchObject({ reachable: false, reason: 'template_required' });
    const calls = api.calls.length;
    await expect(hub.send({ channel: 'whatsapp', contact: customer, content: text })).rejects.toSatisfy(
      WindowClosedError.isInstance,
    );
    expect(api.calls).toHaveLength(calls);
    expect(await hub.canReach('whatsapp', customer, template)).toEqual({ reachable: true, address: '79161234567' });
    await expect(hub.send({ channel: 'whatsapp', contact: customer, content: template })).resolves.toMatchObject({
      status: 'sent',
    });
  });

  it('provider 131047 (clocks disagree) → failed with window_closed, not retried', async () => {
    await inbound(inboundMessages.reply as Record<string, unknown>);
    api.use(messagesRoute, { status: 400, json: graphErrors['131047'] });
    const failures: unknown[] = [];
    hub.on('message.failed', ({ error }) => failures.push(error));
    const customer = (await hub.store.findContactByAddress('79161234567')) as Contact;
    const failed = await hub.send({ channel: 'whatsapp', contact: customer, content: text });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'window_closed', providerCode: 131047, retryable: false });
    expect(failures[0]).toSatisfy(WindowClosedError.isInstance);
    expect(api.callsTo('/messages')).toHaveLength(1);
  });

  it('a 429 with Retry-After is retried by the core after the advertised delay', async () => {
    api.use(messagesRoute, [
      { status: 429, headers: { 'retry-after': '2' }, json: graphErrors['130429'] },
      { json: sendSuccess },
    ]);
    const sent = await hub.send({ channel: 'whatsapp', contact, content: template });
    expect(sent.status).toBe('sent');
    expect(api.callsTo('/messages')).toHaveLength(2);
    expect(sleep).toHaveBeenCalledWith(2000);
  });

  it('an expired token fails the message at once (auth, no retry)', async () => {
    api.use(messagesRoute, { status: 401, json: graphErrors['190'] });
    const failed = await hub.send({ channel: 'whatsapp', contact, content: template });
    expect(failed.error).toMatchObject({ code: 'auth', providerCode: 190, retryable: false });
    expect(api.callsTo('/messages')).toHaveLength(1);
  });

  it('a redirect from the API fails the message at once: the Graph API never redirects, a moved BSP URL must be set', async () => {
    api.use(messagesRoute, { status: 307, headers: { location: 'https://elsewhere.example/messages' } });
    const failed = await hub.send({ channel: 'whatsapp', contact, content: template });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({
      code: 'provider_error',
      retryable: false,
      message: expect.stringContaining('redirect'),
    });
    expect(api.callsTo('/messages')).toHaveLength(1);
  });

  it('a failed status with 131026 marks the message failed and the contact unreachable on WhatsApp', async () => {
    const sent = await hub.send({ channel: 'whatsapp', contact, content: template });
    await post(
      statusEnvelope([
        status(wamid, 'failed', clock.now() + 1000, {
          errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }],
        }),
      ]),
    );
    expect((await hub.store.getMessage(sent.id))?.error).toMatchObject({ code: 'unreachable_recipient', providerCode: 131026 });
    expect(await hub.reachStats('c1', 'whatsapp')).toMatchObject({ failed: 1, lastFailure: 'not_on_channel' });
  });

  it('the wa_id Meta returns is stored even when it differs from what we typed', async () => {
    api.use(messagesRoute, { json: sendSuccessNormalised });
    await hub.send({ channel: 'whatsapp', contact, content: template });
    expect((await hub.store.getContact('c1'))?.identities?.whatsapp).toBe('79161234567');
  });

  it('a button reply is a distinct event so a CRM can wake an operator only for it', async () => {
    const buttons: string[] = [];
    const received: string[] = [];
    hub.on('message.button', ({ payload }) => buttons.push(payload));
    hub.on('message.received', ({ message }) => received.push(String(message.metadata?.inboundKind)));
    await inbound(inboundMessages.reply as Record<string, unknown>);
    await inbound(inboundMessages.button_reply as Record<string, unknown>);
    await inbound(inboundMessages.button_reply as Record<string, unknown>); // duplicate delivery
    expect(received).toEqual(['message', 'button_reply']);
    expect(buttons).toEqual(['call_operator']);
  });

  it('a template paused by Meta (webhook) is refused offline until reinstated', async () => {
    const promo = { type: 'template' as const, name: 'black_friday', language: 'ru', params: ['Иван'] };
    await expect(hub.send({ channel: 'whatsapp', contact, content: promo })).resolves.toMatchObject({ status: 'sent' });
    const response = await post(templatePaused);
    expect(response.status).toBe(200);
    const calls = api.calls.length;
    await expect(hub.send({ channel: 'whatsapp', contact, content: promo })).rejects.toMatchObject({
      code: 'validation',
      field: 'content.name',
      message: expect.stringMatching(/PAUSED/),
    });
    expect(api.calls).toHaveLength(calls);
    const reinstated = structuredClone(templatePaused);
    const change = reinstated.entry[0]?.changes[0] as { value: { event: string } };
    change.value.event = 'REINSTATED';
    await post(reinstated);
    await expect(hub.send({ channel: 'whatsapp', contact, content: promo })).resolves.toMatchObject({ status: 'sent' });
  });

  it('markRead posts the read receipt for the last inbound message', async () => {
    await inbound(inboundMessages.reply as Record<string, unknown>);
    api.use(messagesRoute, { json: markReadSuccess });
    const customer = (await hub.store.findContactByAddress('79161234567')) as Contact;
    const conversation = await hub.store.findConversation(customer.id, 'whatsapp');
    await hub.markRead(conversation?.id as string);
    expect(api.callsTo('/messages')[0]?.json).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.REPLY1',
    });
  });

  it('a forged signature is answered 401 and records nothing; the GET handshake is answered with the challenge', async () => {
    const forged = await post(inboundEnvelope([inboundMessages.reply]), 'not-the-app-secret');
    expect(forged.status).toBe(401);
    expect(await hub.store.findContactByAddress('79161234567')).toBeUndefined();
    const handshake = await hub.handleWebhook(
      'whatsapp',
      new Request(`${webhookUrl}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=8264`),
    );
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toBe('8264');
  });
});

describe('channel settings', () => {
  it('defaults to 80 msg/s per number and one message per 6 s per user; configurable up to 1000', () => {
    const whatsapp = createWhatsAppChannel({ phoneNumberId, accessToken });
    expect(whatsapp.rateLimit).toEqual({ perSecond: 80, perRecipientIntervalMs: 6000 });
    expect(WHATSAPP_DEFAULT_RATE_LIMIT).toEqual({ perSecond: 80, perRecipientIntervalMs: 6000 });
    expect(createWhatsAppChannel({ phoneNumberId, rateLimit: { perSecond: 1000 } }).rateLimit).toEqual({
      perSecond: 1000,
      perRecipientIntervalMs: 6000,
    });
    expect(createWhatsAppChannel({ phoneNumberId, rateLimit: { perRecipientIntervalMs: 7000 } }).rateLimit).toEqual({
      perSecond: 80,
      perRecipientIntervalMs: 7000,
    });
    expect(() => createWhatsAppChannel({ phoneNumberId, rateLimit: { perSecond: 1001 } })).toThrow(
      /settings\.rateLimit\.perSecond/,
    );
    expect(() => createWhatsAppChannel({ phoneNumberId, apiVersion: '23' })).toThrow(/settings\.apiVersion/);
  });

  it('exposes the contract: kind, account, capabilities', () => {
    const whatsapp = createWhatsAppChannel({ id: 'whatsapp-service', phoneNumberId });
    expect(whatsapp).toMatchObject({ id: 'whatsapp-service', kind: 'whatsapp', accountId: phoneNumberId });
    expect(whatsapp.capabilities).toMatchObject({
      maxTextLength: 4096,
      address: 'phone',
      templates: true,
      canStartConversation: true,
      conversationWindowMs: 24 * hour,
    });
  });
});

describe('credentials', () => {
  afterEach(() => vi.unstubAllEnvs());
  const message = { id: 'msg_1', to: '79161234567', contact: { id: 'c1' }, content: text };

  it('a missing token does not fail the factory; the first send throws a ValidationError naming the option and the variable', async () => {
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', '');
    const whatsapp = createWhatsAppChannel({ phoneNumberId });
    const error = await whatsapp.doSend(message, {}).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ValidationError',
      channel: 'whatsapp',
      field: 'settings.accessToken',
      message: 'whatsapp: no access token (pass settings.accessToken or set WHATSAPP_ACCESS_TOKEN)',
    });
    expect(api.calls).toHaveLength(0);
  });

  it('a missing phone number id names phoneNumberId and WHATSAPP_PHONE_NUMBER_ID at the first send', async () => {
    vi.stubEnv('WHATSAPP_PHONE_NUMBER_ID', '');
    const whatsapp = createWhatsAppChannel({ accessToken });
    expect(whatsapp.accountId).toBe('');
    await expect(whatsapp.doSend(message, {})).rejects.toThrow(
      'whatsapp: no phone number id (pass settings.phoneNumberId or set WHATSAPP_PHONE_NUMBER_ID)',
    );
  });

  it('reads the token and phone number id from the environment at the first send, and holds the token as a secret', async () => {
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', 'EAAJenv0token0from0process');
    vi.stubEnv('WHATSAPP_PHONE_NUMBER_ID', phoneNumberId);
    const whatsapp = createWhatsAppChannel({ appSecret });
    expect(whatsapp.secrets?.()).toEqual([appSecret]);
    await whatsapp.doSend(message, {});
    expect(api.calls[0]?.headers.get('authorization')).toBe('Bearer EAAJenv0token0from0process');
    expect(whatsapp.accountId).toBe(phoneNumberId);
    expect(whatsapp.secrets?.()).toEqual([appSecret, 'EAAJenv0token0from0process']);
  });

  it("a provider error echoing the token does not carry it, and another channel's token is not this channel's secret", async () => {
    api.use(messagesRoute, { status: 400, json: { error: { message: `bad token ${accessToken}`, code: 100 } } });
    const whatsapp = createWhatsAppChannel({ phoneNumberId, accessToken });
    const other = createWhatsAppChannel({ phoneNumberId, accessToken: 'EAAJother0channel0token' });
    const error = (await whatsapp.doSend(message, {}).catch((caught: unknown) => caught)) as Error & { raw: unknown };
    expect(`${error.message} ${error.stack} ${JSON.stringify(error.raw)}`).not.toContain(accessToken);
    expect(other.secrets?.()).toEqual(['EAAJother0channel0token']);
  });
});

describe('Business Solution Provider host', () => {
  const bspRoute = 'POST https://waba-v2.360dialog.io/messages';
  const bsp = createTestServer({ [bspRoute]: { json: sendSuccess } });

  it('posts the same body to the BSP base URL with its API-key header instead of a bearer token', async () => {
    const whatsapp = createWhatsAppChannel({
      phoneNumberId,
      accessToken: 'd360-api-key-value',
      baseURL: 'https://waba-v2.360dialog.io',
      authHeader: 'D360-API-KEY',
    });
    await whatsapp.doSend(
      { id: 'msg_1', to: '79161234567', contact: { id: 'c1' }, content: { type: 'text', text: 'Здравствуйте' } },
      {},
    );
    const [call] = bsp.callsTo('360dialog.io/messages');
    expect(call?.headers.get('d360-api-key')).toBe('d360-api-key-value');
    expect(call?.headers.get('authorization')).toBeNull();
    expect(call?.json).toMatchObject({ messaging_product: 'whatsapp', to: '79161234567', type: 'text' });
  });
});
