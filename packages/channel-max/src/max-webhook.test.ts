import { createMemoryStore, createOmnidealer, WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import botAdded from './__fixtures__/update-bot-added.json';
import botStarted from './__fixtures__/update-bot-started.json';
import botStopped from './__fixtures__/update-bot-stopped.json';
import callback from './__fixtures__/update-message-callback.json';
import messageCreated from './__fixtures__/update-message-created.json';
import group from './__fixtures__/update-message-created-group.json';
import image from './__fixtures__/update-message-created-image.json';
import edited from './__fixtures__/update-message-edited.json';
import removed from './__fixtures__/update-message-removed.json';
import { createMaxChannel } from './max-channel.js';
import { type MaxIgnoredReason, parseMaxWebhook } from './max-webhook.js';

// Payloads reproduce the official Go client's published stubs (max-messenger/max-bot-api-client-go, stabs/webhook.*.json)
// and the TypeScript client's update types (@maxhub/max-bot-api 0.3.1); see __fixtures__/README.md.
const secret = 'mx_Secret-0123456789abcdef';
const request = (body: unknown, header: string | null = secret): WebhookRequest => ({
  method: 'POST',
  url: new URL('https://crm.example/hooks/max'),
  headers: new Headers(header === null ? {} : { 'X-Max-Bot-Api-Secret': header }),
  body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
});
const parse = (body: unknown, onIgnored?: (type: string, reason: MaxIgnoredReason) => void) =>
  parseMaxWebhook(request(body), { secret, onIgnored });

describe('parseMaxWebhook', () => {
  it('message_created in a dialog → inbound text from the user id, with the reply link and the dialog chat id', async () => {
    expect(await parse(messageCreated)).toEqual({
      events: [
        {
          type: 'inbound',
          providerMessageId: 'mid.000000001de8d23a019d496b34394b84',
          from: '310550771',
          senderId: '310550771',
          conversationExternalId: '310550771',
          content: { type: 'text', text: 'Здравствуйте! Солярис ещё в наличии?' },
          kind: 'message',
          at: 1775053255737,
          profileName: 'Ирина Соколова',
          replyTo: 'mid.000000001de8d23a019d47b1ce4600ff',
          metadata: { maxUpdateType: 'message_created', maxChatId: 501770042, maxUserLocale: 'ru' },
        },
      ],
    });
  });

  it('an image attachment becomes media with the text as caption', async () => {
    const { events } = await parse(image);
    expect(events[0]).toMatchObject({
      content: { type: 'media', kind: 'image', url: 'https://i.oneme.ru/i?r=photo7310001', caption: 'Вот VIN с СТС' },
      kind: 'message',
    });
  });

  it('message_callback → button_reply with the payload, the button label and the callback id', async () => {
    const { events } = await parse(callback);
    expect(events[0]).toMatchObject({
      providerMessageId: 'callback:f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirfMzUQ4',
      from: '310550771',
      kind: 'button_reply',
      payload: 'td:yes',
      content: { type: 'text', text: 'Да, в субботу' },
      replyTo: 'mid.000000001de8d23a019d47d58f2b3d9e',
      at: 1775026702210,
      metadata: { maxCallbackId: 'f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirfMzUQ4', maxChatId: 501770042 },
    });
  });

  it('bot_started → kind start with the deep-link payload; bot_stopped → kind stop', async () => {
    expect((await parse(botStarted)).events[0]).toMatchObject({
      providerMessageId: 'bot_started:310550771:1775025604499',
      from: '310550771',
      kind: 'start',
      payload: 'c_8f3k2m',
      content: { type: 'text', text: '/start c_8f3k2m' },
      metadata: { maxChatId: 501770042 },
    });
    const { payload: _payload, ...withoutPayload } = botStarted;
    expect((await parse(withoutPayload)).events[0]).not.toHaveProperty('payload');
    expect((await parse(botStopped)).events[0]).toMatchObject({
      providerMessageId: 'bot_stopped:310550771:1775029204499',
      kind: 'stop',
      content: { type: 'text', text: '/stop' },
    });
  });

  it('ignores and reports edits, removals, group messages, bot messages and types it does not handle', async () => {
    const seen: Array<[string, MaxIgnoredReason]> = [];
    const onIgnored = (type: string, reason: MaxIgnoredReason) => seen.push([type, reason]);
    for (const body of [edited, removed, group, botAdded])
      expect(await parse(body, onIgnored)).toEqual({ events: [], ignored: 1 });
    const fromBot = {
      ...messageCreated,
      message: { ...messageCreated.message, sender: { ...messageCreated.message.sender, is_bot: true } },
    };
    expect(await parse(fromBot, onIgnored)).toEqual({ events: [], ignored: 1 });
    expect(seen).toEqual([
      ['message_edited', 'edit_or_removal'],
      ['message_removed', 'edit_or_removal'],
      ['message_created', 'not_a_dialog'],
      ['bot_added', 'unhandled_type'],
      ['message_created', 'from_a_bot'],
    ]);
  });

  it('refuses a missing, wrong or unconfigured secret (401) and malformed bodies (400)', async () => {
    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 200,
        (error: WebhookError) => error.status,
      );
    expect(await status(parseMaxWebhook(request(messageCreated, null), { secret }))).toBe(401);
    expect(await status(parseMaxWebhook(request(messageCreated, 'mx_Secret-0123456789abcdeF'), { secret }))).toBe(401);
    expect(await status(parseMaxWebhook(request(messageCreated), { secret: undefined }))).toBe(401);
    expect(await status(parse('not json'))).toBe(400);
    expect(await status(parse([messageCreated]))).toBe(400);
    expect(await status(parse({ ...botStarted, user: { first_name: 'no id' } }))).toBe(400);
    expect(await status(parse({ ...callback, callback: { payload: 'x' } }))).toBe(400);
    await expect(parse({ update_type: 'message_created', timestamp: 1 })).rejects.toSatisfy(WebhookError.isInstance);
  });
});

describe('one webhook URL for several MAX bots (hub.handleWebhook("max", …))', () => {
  // MAX updates do not name the bot: each bot subscribes `/hooks/max` with its own secret, and the secret routes.
  const salesSecret = 'mx_Sales-0123456789abcdef';
  const serviceSecret = 'mx_Service-0123456789abcdef';
  function setup() {
    const sales = createMaxChannel({ id: 'max-sales', token: 'sales-token', botId: 7001, webhookSecret: salesSecret });
    const service = createMaxChannel({ id: 'max-service', token: 'service-token', botId: 7002, webhookSecret: serviceSecret });
    const hub = createOmnidealer({ channels: [sales, service], store: createMemoryStore() });
    const received: string[] = [];
    const unrouted: unknown[] = [];
    hub.on('message.received', ({ message }) => received.push(`${message.channel}:${message.providerMessageId}`));
    hub.on('webhook.unrouted', (event) => unrouted.push(event));
    const post = (body: unknown, header: string | null) =>
      hub.handleWebhook(
        'max',
        new Request('https://crm.example/hooks/max', {
          method: 'POST',
          headers: header === null ? {} : { 'X-Max-Bot-Api-Secret': header },
          body: JSON.stringify(body),
        }),
      );
    return { hub, received, unrouted, post };
  }

  it('routes each update to the bot whose secret X-Max-Bot-Api-Secret carries', async () => {
    const { received, post } = setup();
    expect((await post(messageCreated, serviceSecret)).status).toBe(200);
    expect((await post(callback, salesSecret)).status).toBe(200);
    expect(received).toEqual([
      'max-service:mid.000000001de8d23a019d496b34394b84',
      'max-sales:callback:f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirfMzUQ4',
    ]);
  });

  it('refuses an update with an unknown or missing secret (404): applied to no bot, the secret never logged', async () => {
    const { received, unrouted, post } = setup();
    expect((await post(messageCreated, 'mx_Unknown-0123456789abcdef')).status).toBe(404);
    expect((await post(messageCreated, null)).status).toBe(404);
    expect(received).toEqual([]);
    expect(unrouted).toEqual([
      { provider: 'max', accounts: [], status: 404 },
      { provider: 'max', accounts: [], status: 404 },
    ]);
  });

  it('keeps each bot’s own route, where a wrong secret is still 401', async () => {
    const { hub, received } = setup();
    const own = (header: string) =>
      new Request('https://crm.example/hooks/max-sales', {
        method: 'POST',
        headers: { 'X-Max-Bot-Api-Secret': header },
        body: JSON.stringify(messageCreated),
      });
    expect((await hub.handleWebhook('max-sales', own(serviceSecret))).status).toBe(401);
    expect((await hub.handleWebhook('max-sales', own(salesSecret))).status).toBe(200);
    expect(received).toEqual(['max-sales:mid.000000001de8d23a019d496b34394b84']);
  });
});
