import type { Message } from '@omnidealer/core';
import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import botBlocked from './__fixtures__/error-bot-blocked.json';
import chatNotFound from './__fixtures__/error-chat-not-found.json';
import tooManyRequests from './__fixtures__/error-too-many-requests.json';
import unauthorized from './__fixtures__/error-unauthorized.json';
import sendMessageFixture from './__fixtures__/send-message.json';
import callbackQuery from './__fixtures__/update-callback-query.json';
import start from './__fixtures__/update-message-start.json';
import messageText from './__fixtures__/update-message-text.json';
import kicked from './__fixtures__/update-my-chat-member-kicked.json';
import { createTelegramChannel, telegramChatIdOf } from './telegram-channel.js';

// Wire shapes: see __fixtures__/README.md (Bot API docs, captured updates published in public repositories).
// The token is the example token of the Bot API documentation ("Authorizing your bot").
const token = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const secret = 'tg_Secret-0123456789abcdef';
const base = `https://api.telegram.org/bot${token}`;
const chatId = '714862471';
const routes = {
  sendMessage: `POST ${base}/sendMessage`,
  sendPhoto: `POST ${base}/sendPhoto`,
  sendDocument: `POST ${base}/sendDocument`,
  answer: `POST ${base}/answerCallbackQuery`,
};
const photoSent = { ok: true, result: { ...sendMessageFixture.result, message_id: 124, text: undefined, photo: [] } };
const defaults = {
  [routes.sendMessage]: { json: sendMessageFixture },
  [routes.sendPhoto]: { json: photoSent },
  [routes.sendDocument]: { json: photoSent },
  [routes.answer]: { json: { ok: true, result: true } },
};
const api = createTestServer(defaults);
beforeEach(() => {
  for (const [route, script] of Object.entries(defaults)) api.use(route, script);
});

const text = { type: 'text', text: 'Да, Солярис в наличии' } as const;
const linked = { id: 'c1', phone: '+79161234567', identities: { telegram: chatId } };
const sends = () => api.calls.filter((call) => /\/send[A-Z]/.test(call.url.pathname));

function setup(extra: Parameters<typeof createTelegramChannel>[0] = {}) {
  // No per-chat pacing here (it waits in real time); the default is asserted in the first test.
  const channel = createTelegramChannel({ token, webhookSecret: secret, rateLimit: { perSecond: 1000 }, ...extra });
  return { channel, ...createChannelTestHub(channel, { webhookHeaders: { 'x-telegram-bot-api-secret-token': secret } }) };
}

describe('createTelegramChannel', () => {
  it('is a reply-only channel of kind telegram: 4096 characters, 30/s overall and 1/s per chat, the bot id as account', () => {
    const channel = createTelegramChannel({ token, webhookSecret: secret });
    expect(channel).toMatchObject({ id: 'telegram', kind: 'telegram', accountId: '110201543' });
    expect(channel.capabilities).toMatchObject({ address: 'chat', canStartConversation: false, maxTextLength: 4096 });
    expect(channel.rateLimit).toEqual({ perSecond: 30, perRecipientIntervalMs: 1000 });
    expect(channel.secrets?.()).toEqual(expect.arrayContaining([token, secret]));
    expect(createTelegramChannel({ token, rateLimit: { perSecond: 5 } }).rateLimit).toEqual({ perSecond: 5 });
  });

  it('validates settings strictly and never calls the network on creation', () => {
    expect(() => createTelegramChannel({ token, webhookSecret: 'short' })).toThrow(/settings\.webhookSecret/);
    expect(() => createTelegramChannel({ token, webhookSecret: 'has spaces in it, 123456' })).toThrow(/settings\.webhookSecret/);
    expect(() => createTelegramChannel({ token: 'not-a-token' })).toThrow(/settings\.token/);
    expect(() => createTelegramChannel({ token, baseURL: 'ftp://x' })).toThrow(/settings\.baseURL/);
    expect(() => createTelegramChannel({ token, chatId: 'x' } as never)).toThrow(/settings/);
    expect(() => createTelegramChannel({ token, botUsername: 'bad name!' })).toThrow(/botUsername/);
    expect(() => createTelegramChannel()).not.toThrow();
    expect(api.calls).toHaveLength(0);
  });

  it('canReach: only a contact with a Telegram chat id; a cold contact with a phone is unreachable', () => {
    const { channel } = setup();
    const now = Date.now();
    expect(channel.canReach({ contact: { id: 'c1', phone: '+79161234567' }, content: text, now })).toEqual({
      reachable: false,
      reason: 'cannot_start_conversation',
      detail: expect.stringContaining('reply-only'),
    });
    expect(channel.canReach({ contact: linked, content: text, now })).toEqual({ reachable: true, address: chatId });
    expect(telegramChatIdOf({ id: 'c2', identities: { telegramChatIds: ['111', '222'] } })).toBe('222');
    expect(channel.canReach({ contact: { ...linked, consent: { telegram: 'opted_out' } }, content: text, now })).toMatchObject({
      reachable: false,
      reason: 'opted_out',
    });
    expect(channel.canReach({ contact: linked, content: { type: 'reaction', messageId: 'm', emoji: '👍' }, now })).toMatchObject({
      reachable: false,
      reason: 'unsupported_content',
    });
  });

  it('estimateCost is zero by default and the configured price otherwise', () => {
    expect(setup().channel.estimateCost(text, linked).money).toEqual({ amountMinor: 0, currency: 'RUB' });
    expect(setup({ pricing: { perMessageMinor: 35 } }).channel.estimateCost(text, linked)).toMatchObject({
      money: { amountMinor: 35, currency: 'RUB' },
      units: 1,
    });
  });

  it('takes the token from TELEGRAM_BOT_TOKEN on the first send, and fails typed when there is none', async () => {
    vi.stubEnv('TELEGRAM_BOT_TOKEN', token);
    const { hub } = setup({ token: undefined });
    expect((await hub.send({ channel: 'telegram', contact: linked, content: text })).status).toBe('sent');
    vi.stubEnv('TELEGRAM_BOT_TOKEN', '');
    const missing = setup({ token: undefined });
    await expect(missing.hub.send({ channel: 'telegram', contact: linked, content: text })).resolves.toMatchObject({
      status: 'failed',
      error: { code: 'validation', message: expect.stringContaining('TELEGRAM_BOT_TOKEN') },
    });
    vi.unstubAllEnvs();
  });
});

describe('Telegram through the hub', () => {
  it('sends text to POST /bot<token>/sendMessage with exactly the body, and a reply to the replied message id', async () => {
    const { hub } = setup({ parseMode: 'HTML', disableLinkPreview: true });
    const sent = await hub.send({
      channel: 'telegram',
      contact: linked,
      content: { type: 'text', text: '<b>Да</b>, в наличии' },
    });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: `${chatId}:123` });
    const [call] = sends();
    expect(call?.url.href).toBe(`${base}/sendMessage`);
    expect(call?.json).toEqual({
      chat_id: 714862471,
      text: '<b>Да</b>, в наличии',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
  });

  it('sends buttons as an inline keyboard of callback buttons', async () => {
    const { hub } = setup();
    await hub.send({
      channel: 'telegram',
      contact: linked,
      content: {
        type: 'interactive',
        body: 'Записать вас на тест-драйв?',
        action: {
          type: 'buttons',
          buttons: [
            { id: 'td:yes', title: 'Да, в субботу' },
            { id: 'td:no', title: 'Нет, спасибо' },
          ],
        },
      },
    });
    expect(sends()[0]?.json).toEqual({
      chat_id: 714862471,
      text: 'Записать вас на тест-драйв?',
      reply_markup: {
        inline_keyboard: [
          [{ text: 'Да, в субботу', callback_data: 'td:yes' }],
          [{ text: 'Нет, спасибо', callback_data: 'td:no' }],
        ],
      },
    });
  });

  it('sends a photo by URL and a document by file_id with their captions', async () => {
    const { hub } = setup();
    await hub.send({
      channel: 'telegram',
      contact: linked,
      content: { type: 'media', kind: 'image', url: 'https://cdn.dealer.example/solaris.jpg', caption: 'Солярис, белый' },
    });
    await hub.send({
      channel: 'telegram',
      contact: linked,
      content: { type: 'media', kind: 'document', mediaId: 'BQACAgIAAxkBAAN5Z1xDoc', caption: 'Прайс' },
    });
    expect(api.callsTo('/sendPhoto')[0]?.json).toEqual({
      chat_id: 714862471,
      photo: 'https://cdn.dealer.example/solaris.jpg',
      caption: 'Солярис, белый',
    });
    expect(api.callsTo('/sendDocument')[0]?.json).toEqual({
      chat_id: 714862471,
      document: 'BQACAgIAAxkBAAN5Z1xDoc',
      caption: 'Прайс',
    });
  });

  it('refuses before any request: a cold contact, text over 4096, a caption over 1024, callback data over 64 bytes', async () => {
    const { hub } = setup();
    await expect(
      hub.send({ channel: 'telegram', contact: { id: 'cold', phone: '+79161234567' }, content: text }),
    ).rejects.toMatchObject({ name: 'UnreachableRecipientError', reason: 'cannot_start_conversation' });
    await expect(
      hub.send({ channel: 'telegram', contact: linked, content: { type: 'text', text: 'я'.repeat(4097) } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.text' });
    await expect(
      hub.send({
        channel: 'telegram',
        contact: linked,
        content: { type: 'media', kind: 'image', url: 'https://cdn.dealer.example/a.jpg', caption: 'я'.repeat(1025) },
      }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.caption' });
    await expect(
      hub.send({
        channel: 'telegram',
        contact: linked,
        // 33 Cyrillic letters are 66 UTF-8 bytes: over callback_data's 64 bytes although only 33 characters.
        content: {
          type: 'interactive',
          body: 'Выберите',
          action: { type: 'buttons', buttons: [{ id: 'я'.repeat(33), title: 'Да' }] },
        },
      }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.action.buttons.0.id' });
    expect(api.calls).toHaveLength(0);
    await expect(
      hub.send({ channel: 'telegram', contact: linked, content: { type: 'text', text: 'я'.repeat(4096) } }),
    ).resolves.toMatchObject({ status: 'sent' });
  });

  it('waits out a 429 for parameters.retry_after and retries 5xx; 401 fails at once as AuthError, the token redacted', async () => {
    const { hub, sleeps, logs } = setup();
    api.use(routes.sendMessage, [
      { status: 429, json: tooManyRequests },
      { status: 502, text: '<html><body>502 Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } },
      { json: sendMessageFixture },
    ]);
    expect((await hub.send({ channel: 'telegram', contact: linked, content: text })).status).toBe('sent');
    expect(sleeps).toEqual([5000]);
    expect(sends()).toHaveLength(3);

    api.use(routes.sendMessage, { status: 401, json: unauthorized });
    const failed = await hub.send({ channel: 'telegram', contact: linked, content: text });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'auth', retryable: false, providerCode: 401 } });
    expect(sends()).toHaveLength(4);
    expect(JSON.stringify(failed)).not.toContain(token);
    expect(logs.join('\n')).not.toContain(token.split(':')[1]);
  });

  it('403 "bot was blocked by the user" → unreachable (blocked), "chat not found" → not_on_channel, without retries', async () => {
    const { hub } = setup();
    api.use(routes.sendMessage, { status: 403, json: botBlocked });
    expect(await hub.send({ channel: 'telegram', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { code: 'unreachable_recipient', providerCode: 403 },
    });
    expect(await hub.reachStats('c1', 'telegram')).toMatchObject({ failed: 1, lastFailure: 'blocked' });
    api.use(routes.sendMessage, { status: 400, json: chatNotFound });
    await hub.send({ channel: 'telegram', contact: linked, content: text });
    expect(await hub.reachStats('c1', 'telegram')).toMatchObject({ lastFailure: 'not_on_channel' });
    expect(sends()).toHaveLength(2);
  });

  it('a timeout is retried; a malformed 200 body fails without a retry; a network error never shows the token', async () => {
    const { hub } = setup({ timeoutMs: 50 });
    api.use(routes.sendMessage, [{ delayMs: 200, json: sendMessageFixture }, { json: sendMessageFixture }]);
    expect((await hub.send({ channel: 'telegram', contact: linked, content: text })).status).toBe('sent');
    expect(sends()).toHaveLength(2);
    api.use(routes.sendMessage, { text: '<html>proxy</html>', headers: { 'content-type': 'text/html' } });
    expect(await hub.send({ channel: 'telegram', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { retryable: false },
    });
    expect(sends()).toHaveLength(3);
    api.use(routes.sendMessage, { json: { ok: true, result: { unexpected: true } } });
    expect(await hub.send({ channel: 'telegram', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { retryable: false },
    });
    // The token is in the URL path: a dropped connection, retried to the end, must not show it anywhere.
    api.use(routes.sendMessage, { error: 'network' });
    const dropped = await hub.send({ channel: 'telegram', contact: linked, content: text });
    expect(dropped).toMatchObject({ status: 'failed', error: { code: 'network', retryable: true } });
    expect(JSON.stringify(dropped)).not.toContain(token.split(':')[1]);
  });

  it('talks to a self-hosted Bot API server through baseURL', async () => {
    const own = 'https://tg-proxy.dealer.example/custom';
    api.use(`POST ${own}/bot${token}/sendMessage`, { json: sendMessageFixture });
    const { hub } = setup({ baseURL: `${own}/` });
    expect((await hub.send({ channel: 'telegram', contact: linked, content: text })).status).toBe('sent');
    expect(api.callsTo('tg-proxy.dealer.example')).toHaveLength(1);
  });

  it('/start with a payload → a start event; a reply reaches the new contact; blocking arrives as stop', async () => {
    const { hub, store, webhook } = setup();
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    expect((await webhook(start)).status).toBe(200);
    expect(received[0]).toMatchObject({ metadata: { inboundKind: 'start', payload: 'c_8f3k2m' } });
    const contact = await store.getContact(received[0]!.contactId);
    expect(contact).toMatchObject({ name: 'Ирина Соколова' });
    await hub.send({ channel: 'telegram', contact: { id: contact!.id }, content: text });
    expect(sends()[0]?.json).toMatchObject({ chat_id: 714862471 });
    expect((await webhook(messageText)).status).toBe(200);
    expect((await webhook(kicked)).status).toBe(200);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['start', 'message', 'stop']);
    expect(new Set(received.map((message) => message.conversationId)).size).toBe(1);
  });

  it('links a CRM contact through hub.inviteLink: Start with the payload attaches the Telegram chat and its consent', async () => {
    const { hub, webhook, store } = setup({ botUsername: '@autodealer_bot' });
    const linkedEvents: string[] = [];
    hub.on('contact.linked', ({ contact, channel }) => linkedEvents.push(`${contact.id} ${channel}`));
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    const invite = await hub.inviteLink('crm-42', 'telegram');
    expect(invite.url).toBe(`https://t.me/autodealer_bot?start=${invite.payload}`);
    const pressed = { ...start, message: { ...start.message, text: `/start ${invite.payload}` } };
    expect((await webhook(pressed)).status).toBe(200);
    expect(linkedEvents).toEqual(['crm-42 telegram']);
    expect((await hub.getContact('crm-42'))?.consent).toEqual({ telegram: 'granted' });
    expect((await store.listConversations()).map((conversation) => conversation.contactId)).toEqual(['crm-42']);
    await hub.send({ channel: 'telegram', contact: { id: 'crm-42' }, content: text });
    expect(sends()[0]?.json).toMatchObject({ chat_id: 714862471 });
    // Blocking the bot opts the contact out: the next send is refused before any request.
    expect((await webhook(kicked)).status).toBe(200);
    await expect(hub.send({ channel: 'telegram', contact: { id: 'crm-42' }, content: text })).rejects.toMatchObject({
      reason: 'opted_out',
    });
    expect(sends()).toHaveLength(1);
  });

  it('a button press becomes a button_reply and is answered with answerCallbackQuery', async () => {
    const { hub, webhook } = setup();
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    expect((await webhook(callbackQuery)).status).toBe(200);
    expect(received[0]).toMatchObject({
      content: { type: 'text', text: 'Да, в субботу' },
      metadata: { inboundKind: 'button_reply', payload: 'td:yes', telegramCallbackQueryId: '3070366466148339021' },
    });
    await vi.waitFor(() => expect(api.callsTo('/answerCallbackQuery')).toHaveLength(1));
    expect(api.callsTo('/answerCallbackQuery')[0]?.json).toEqual({ callback_query_id: '3070366466148339021' });
    const quiet = setup({ answerCallbacks: false });
    expect(
      (await quiet.webhook({ ...callbackQuery, callback_query: { ...callbackQuery.callback_query, id: '42' } })).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(api.callsTo('/answerCallbackQuery')).toHaveLength(1);
  });

  it('rejects deliveries without the secret header or with a wrong one (401), malformed ones (400): nothing applied', async () => {
    const { hub, store, webhook, channel } = setup();
    const rejected: number[] = [];
    hub.on('webhook.rejected', ({ status }) => rejected.push(status));
    expect((await webhook(messageText, {})).status).toBe(401);
    expect((await webhook(messageText, { 'x-telegram-bot-api-secret-token': `${secret}x` })).status).toBe(401);
    expect((await webhook('{"update_id":', { 'x-telegram-bot-api-secret-token': secret })).status).toBe(400);
    expect((await webhook({ update_id: 1, message: { text: 'no chat' } })).status).toBe(400);
    expect(rejected).toEqual([401, 401, 400, 400]);
    expect(await store.listConversations()).toEqual([]);
    const open = setup({ webhookSecret: undefined });
    expect((await open.webhook(messageText, { 'x-telegram-bot-api-secret-token': 'anything-at-all-12345' })).status).toBe(401);
    expect(channel.ignoredUpdates().total).toBe(0);
  });

  it('ignores and counts edits and update kinds it does not handle', async () => {
    const { webhook, channel, store } = setup();
    expect(
      (await webhook({ update_id: 7, inline_query: { id: '1', from: messageText.message.from, query: 'x', offset: '' } })).status,
    ).toBe(200);
    expect((await webhook({ update_id: 8, edited_message: { ...messageText.message, edit_date: 1775053275 } })).status).toBe(200);
    expect(channel.ignoredUpdates()).toEqual({
      total: 2,
      byType: { inline_query: 1, edited_message: 1 },
      byReason: { unhandled_type: 1, edit: 1 },
    });
    expect(await store.listConversations()).toEqual([]);
  });
});
