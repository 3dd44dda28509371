import { createMemoryStore, createOmnidealer, type WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import callbackQuery from './__fixtures__/update-callback-query.json';
import edited from './__fixtures__/update-edited-message.json';
import document from './__fixtures__/update-message-document.json';
import group from './__fixtures__/update-message-group.json';
import photo from './__fixtures__/update-message-photo.json';
import start from './__fixtures__/update-message-start.json';
import messageText from './__fixtures__/update-message-text.json';
import kicked from './__fixtures__/update-my-chat-member-kicked.json';
import { createTelegramChannel } from './telegram-channel.js';
import { parseTelegramWebhook, type TelegramIgnoredReason } from './telegram-webhook.js';

// Update shapes follow the Bot API documentation (core.telegram.org/bots/api, "Update", "Message", "CallbackQuery",
// "ChatMemberUpdated") and real captured updates published in public repositories: a private-chat `my_chat_member`
// block (drui9/autogram, api.md) and `/start` messages with their `bot_command` entity (TONSolutions/telemetree-python,
// src/test/fixtures.py). See __fixtures__/README.md.
const secret = 'tg_Secret-0123456789abcdef';
const request = (body: unknown, header: string | null = secret): WebhookRequest => ({
  method: 'POST',
  url: new URL('https://crm.example/hooks/telegram'),
  headers: new Headers(header === null ? {} : { 'X-Telegram-Bot-Api-Secret-Token': header }),
  body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
});
const parse = (body: unknown, onIgnored?: (type: string, reason: TelegramIgnoredReason) => void) =>
  parseTelegramWebhook(request(body), { secret, onIgnored });

describe('parseTelegramWebhook', () => {
  it('a private text message → inbound text from the chat id, with the sender and the update id', async () => {
    expect(await parse(messageText)).toEqual({
      events: [
        {
          type: 'inbound',
          providerMessageId: '714862471:119',
          from: '714862471',
          senderId: '714862471',
          conversationExternalId: '714862471',
          content: { type: 'text', text: 'Здравствуйте! Солярис ещё в наличии?' },
          kind: 'message',
          at: 1775053255000,
          profileName: 'Ирина Соколова',
          metadata: { telegramUpdateId: 633291228, telegramUsername: 'irina_sokolova', telegramLanguageCode: 'ru' },
        },
      ],
    });
  });

  it('a photo becomes image media (the largest size) with its caption; a document keeps its name and type', async () => {
    expect((await parse(photo)).events[0]).toMatchObject({
      content: { type: 'media', kind: 'image', mediaId: 'AgACAgIAAxkBAAN4Z1xLarge', caption: 'Вот VIN с СТС' },
      kind: 'message',
    });
    expect((await parse(document)).events[0]).toMatchObject({
      content: {
        type: 'media',
        kind: 'document',
        mediaId: 'BQACAgIAAxkBAAN5Z1xDoc',
        filename: 'pts-scan.pdf',
        mimeType: 'application/pdf',
        caption: 'ПТС',
      },
    });
    const sticker = { ...messageText, message: { ...messageText.message, text: undefined, sticker: { file_id: 'CAAC' } } };
    expect((await parse(sticker)).events[0]).toMatchObject({ kind: 'unsupported', content: { text: '[Telegram sticker]' } });
  });

  it('/start <payload> → kind start with the deep-link payload; a bare /start has none', async () => {
    expect((await parse(start)).events[0]).toMatchObject({
      providerMessageId: '714862471:118',
      kind: 'start',
      payload: 'c_8f3k2m',
      content: { type: 'text', text: '/start c_8f3k2m' },
    });
    const bare = { ...start, message: { ...start.message, text: '/start' } };
    const event = (await parse(bare)).events[0];
    expect(event).toMatchObject({ kind: 'start' });
    expect(event).not.toHaveProperty('payload');
    const talk = { ...start, message: { ...start.message, text: '/started already?' } };
    expect((await parse(talk)).events[0]).toMatchObject({ kind: 'message' });
  });

  it('callback_query → button_reply with the callback data, the button label and the query id', async () => {
    expect((await parse(callbackQuery)).events[0]).toMatchObject({
      providerMessageId: 'callback:3070366466148339021',
      from: '714862471',
      kind: 'button_reply',
      payload: 'td:yes',
      content: { type: 'text', text: 'Да, в субботу' },
      replyTo: '714862471:122',
      metadata: { telegramCallbackQueryId: '3070366466148339021', telegramUpdateId: 633291231 },
    });
  });

  it('my_chat_member kicked in a private chat → kind stop (the user blocked the bot)', async () => {
    expect((await parse(kicked)).events[0]).toMatchObject({
      providerMessageId: 'update:633291232',
      from: '714862471',
      kind: 'stop',
      at: 1775057000000,
    });
  });

  it('ignores and reports edits, group messages, bot messages, unblocking and kinds it does not handle', async () => {
    const seen: Array<[string, TelegramIgnoredReason]> = [];
    const onIgnored = (type: string, reason: TelegramIgnoredReason) => seen.push([type, reason]);
    const fromBot = { ...messageText, message: { ...messageText.message, from: { ...messageText.message.from, is_bot: true } } };
    const unblocked = {
      ...kicked,
      my_chat_member: {
        ...kicked.my_chat_member,
        old_chat_member: kicked.my_chat_member.new_chat_member,
        new_chat_member: kicked.my_chat_member.old_chat_member,
      },
    };
    const poll = { update_id: 9, poll: { id: '1', question: 'q', options: [] } };
    for (const body of [edited, group, fromBot, unblocked, poll])
      expect(await parse(body, onIgnored)).toEqual({ events: [], ignored: 1 });
    expect(seen).toEqual([
      ['edited_message', 'edit'],
      ['message', 'not_a_private_chat'],
      ['message', 'from_a_bot'],
      ['my_chat_member', 'membership_change'],
      ['poll', 'unhandled_type'],
    ]);
  });

  it('refuses a missing, wrong or unconfigured secret (401) and malformed bodies (400)', async () => {
    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 200,
        (error: WebhookError) => error.status,
      );
    expect(await status(parseTelegramWebhook(request(messageText, null), { secret }))).toBe(401);
    expect(await status(parseTelegramWebhook(request(messageText, 'tg_Secret-0123456789abcdeF'), { secret }))).toBe(401);
    expect(await status(parseTelegramWebhook(request(messageText), { secret: undefined }))).toBe(401);
    expect(await status(parse('not json'))).toBe(400);
    expect(await status(parse([messageText]))).toBe(400);
    expect(await status(parse({ message: messageText.message }))).toBe(400);
    expect(await status(parse({ update_id: 1, message: { message_id: 1, date: 1, text: 'no chat' } }))).toBe(400);
    expect(await status(parse({ update_id: 1, callback_query: { data: 'x' } }))).toBe(400);
    expect(await status(parse({ update_id: 1, my_chat_member: { chat: { id: 1, type: 'private' } } }))).toBe(400);
  });
});

describe('one webhook URL for several Telegram bots (hub.handleWebhook("telegram", …))', () => {
  // An update does not name the bot: each bot's setWebhook gives `/hooks/telegram` its own secret_token.
  const salesSecret = 'tg_Sales-0123456789abcdef';
  const serviceSecret = 'tg_Service-0123456789abcdef';
  function setup() {
    const sales = createTelegramChannel({ id: 'tg-sales', token: '7001:sales-token', webhookSecret: salesSecret });
    const service = createTelegramChannel({ id: 'tg-service', token: '7002:service-token', webhookSecret: serviceSecret });
    const hub = createOmnidealer({ channels: [sales, service], store: createMemoryStore() });
    const received: string[] = [];
    hub.on('message.received', ({ message }) => received.push(`${message.channel}:${message.providerMessageId}`));
    const post = (body: unknown, header: string) =>
      hub.handleWebhook(
        'telegram',
        new Request('https://crm.example/hooks/telegram', {
          method: 'POST',
          headers: { 'X-Telegram-Bot-Api-Secret-Token': header },
          body: JSON.stringify(body),
        }),
      );
    return { received, post };
  }

  it('routes each update to the bot whose secret_token the header carries; an unknown one is refused (404)', async () => {
    const { received, post } = setup();
    expect((await post(messageText, serviceSecret)).status).toBe(200);
    expect((await post(start, salesSecret)).status).toBe(200);
    expect((await post(photo, 'tg_Unknown-0123456789abcdef')).status).toBe(404);
    expect(received).toEqual(['tg-service:714862471:119', 'tg-sales:714862471:118']);
  });
});
