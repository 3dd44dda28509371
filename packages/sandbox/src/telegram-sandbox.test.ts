import { createTelegramChannel } from '@omnidealer/channel-telegram';
import { createManualClock, createMemoryStore, createOmnidealer, type Message } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-04-01T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}, withTarget = true) {
  const receiver = await startTestReceiver();
  const clock = createManualClock(start);
  const sandbox = await startSandbox({
    seed: 5,
    clock,
    timers: 'manual',
    ...(withTarget ? { webhookTargets: { telegram: receiver.url('/hooks/telegram') } } : {}),
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

async function call(sandbox: Sandbox, method: string, parameters: unknown = {}, token = sandbox.credentials.telegram.token) {
  const response = await fetch(`${sandbox.urls.telegram}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(parameters),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('Telegram Bot API sandbox', () => {
  it('answers 401 Unauthorized for a wrong token, 404 for a malformed one, and getMe with the right one', async () => {
    const { sandbox } = await setup();
    expect(await call(sandbox, 'getMe', {}, '123:wrong')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    expect((await call(sandbox, 'getMe', {}, 'nonsense')).status).toBe(404);
    expect(await call(sandbox, 'getMe')).toMatchObject({
      status: 200,
      body: { ok: true, result: { is_bot: true, username: 'dealer_sandbox_bot' } },
    });
    expect(sandbox.credentials.telegram.token).toMatch(/^\d+:AA[0-9a-f]{33}$/);
  });

  it('delivers /start <payload> with the secret header; sends reach only users with a chat; blocking answers 403', async () => {
    const { sandbox, receiver } = await setup();
    const userId = 714862471;
    expect(await call(sandbox, 'sendMessage', { chat_id: userId, text: 'Привет' })).toMatchObject({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
    });
    const started = await sandbox.telegram.start({ userId, firstName: 'Ирина', payload: 'c_8f3k2m' });
    expect(started.deliveries[0]?.status).toBe(200);
    const [delivery] = receiver.received;
    expect(delivery?.headers['x-telegram-bot-api-secret-token']).toBe(sandbox.credentials.telegram.webhookSecret);
    expect(JSON.parse(delivery?.text ?? '{}')).toMatchObject({
      update_id: expect.any(Number),
      message: {
        from: { id: userId, is_bot: false, first_name: 'Ирина' },
        chat: { id: userId, type: 'private' },
        date: start / 1000,
        text: '/start c_8f3k2m',
        entities: [{ offset: 0, length: 6, type: 'bot_command' }],
      },
    });
    expect(await call(sandbox, 'sendMessage', { chat_id: userId, text: 'Здравствуйте!' })).toMatchObject({
      status: 200,
      body: {
        ok: true,
        result: { message_id: expect.any(Number), chat: { id: userId, type: 'private' }, text: 'Здравствуйте!' },
      },
    });
    expect((await call(sandbox, 'sendMessage', { chat_id: userId, text: 'я'.repeat(4097) })).body.description).toBe(
      'Bad Request: message is too long',
    );
    const keyboard = { inline_keyboard: [[{ text: 'Да', callback_data: 'я'.repeat(33) }]] };
    expect((await call(sandbox, 'sendMessage', { chat_id: userId, text: 'Да?', reply_markup: keyboard })).body.description).toBe(
      'Bad Request: BUTTON_DATA_INVALID',
    );

    await sandbox.telegram.block(userId);
    expect(JSON.parse(receiver.received[1]?.text ?? '{}')).toMatchObject({
      my_chat_member: { chat: { id: userId, type: 'private' }, new_chat_member: { status: 'kicked' } },
    });
    expect(await call(sandbox, 'sendMessage', { chat_id: userId, text: 'Ещё?' })).toMatchObject({
      status: 403,
      body: { error_code: 403, description: 'Forbidden: bot was blocked by the user' },
    });
    expect(sandbox.stats().telegram).toMatchObject({ accepted: 1, inbound: 1, webhooks: { delivered: 2, failed: 0 } });
  });

  it('without a webhook updates queue for getUpdates (offset confirms); with one, getUpdates answers 409', async () => {
    const { sandbox, receiver } = await setup({}, false);
    const inbound = await sandbox.telegram.inbound({ text: 'Солярис в наличии?' });
    expect(inbound.deliveries).toEqual([]);
    const page = await call(sandbox, 'getUpdates', { allowed_updates: ['message'] });
    expect(page.body).toMatchObject({ ok: true, result: [{ message: { text: 'Солярис в наличии?' } }] });
    const next = (page.body.result[0].update_id as number) + 1;
    expect((await call(sandbox, 'getUpdates', { offset: next })).body).toEqual({ ok: true, result: [] });

    const url = receiver.url('/hooks/telegram-own');
    expect(await call(sandbox, 'setWebhook', { url, secret_token: 'own_secret_123456' })).toMatchObject({
      body: { ok: true, result: true, description: 'Webhook was set' },
    });
    expect((await call(sandbox, 'setWebhook', { url, secret_token: 'bad secret!' })).status).toBe(400);
    expect((await call(sandbox, 'getUpdates')).status).toBe(409);
    await sandbox.telegram.press({ userId: inbound.userId, data: 'td:yes' });
    expect(receiver.received[0]?.headers['x-telegram-bot-api-secret-token']).toBe('own_secret_123456');
    expect(JSON.parse(receiver.received[0]?.text ?? '{}')).toMatchObject({
      callback_query: { id: expect.stringMatching(/^\d+$/), from: { id: inbound.userId }, data: 'td:yes' },
    });
    await call(sandbox, 'deleteWebhook');
    expect((await call(sandbox, 'getWebhookInfo')).body).toMatchObject({ ok: true, result: { url: '' } });
  });

  it('injects 429 with parameters.retry_after in Telegram’s shape', async () => {
    const { sandbox } = await setup({
      behaviour: { faults: [{ provider: 'telegram', kind: 'rate_limit', first: 1, retryAfterSeconds: 3 }] },
    });
    expect(await call(sandbox, 'getMe')).toEqual({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } },
    });
    expect((await call(sandbox, 'getMe')).status).toBe(200);
  });

  it('seeded contacts with identities.telegram get a private chat', async () => {
    const { sandbox } = await setup({ contacts: [{ id: 'c1', name: 'Ирина', identities: { telegram: '714862471' } }] });
    expect(sandbox.telegram.users().get(714862471)).toMatchObject({ firstName: 'Ирина', active: true });
  });

  it('the real channel works against it: invite link, /start, reply with buttons, a press, polling', async () => {
    const { sandbox } = await setup({}, false);
    const channel = createTelegramChannel({
      token: sandbox.credentials.telegram.token,
      baseURL: sandbox.urls.telegram,
      botUsername: sandbox.credentials.telegram.botUsername,
      rateLimit: { perSecond: 1000 },
    });
    const hub = createOmnidealer({ channels: [channel], store: createMemoryStore() });
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    const poll = async () => {
      for (const update of await channel.client.getUpdates({ timeoutSeconds: 0 })) {
        expect((await hub.handleWebhook(channel.id, channel.updateRequest(update))).status).toBe(200);
      }
    };
    await hub.upsertContact({ id: 'crm-1', phone: '+79161234567' });
    const invite = await hub.inviteLink('crm-1', 'telegram');
    expect(invite.url).toBe(`https://t.me/dealer_sandbox_bot?start=${invite.payload}`);
    const { userId } = await sandbox.telegram.start({ firstName: 'Ирина', payload: invite.payload });
    await poll();
    expect(received[0]).toMatchObject({ contactId: 'crm-1', metadata: { inboundKind: 'start' } });
    const sent = await hub.send({
      channel: 'telegram',
      contact: { id: 'crm-1' },
      content: {
        type: 'interactive',
        body: 'Тест-драйв?',
        action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }] },
      },
    });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: expect.stringMatching(new RegExp(`^${userId}:\\d+$`)) });
    expect(sandbox.telegram.sent()[0]).toMatchObject({ chatId: userId, text: 'Тест-драйв?' });
    await sandbox.telegram.press({ userId, data: 'td:yes' });
    await poll();
    expect(received[1]).toMatchObject({
      content: { type: 'text', text: 'Да' },
      metadata: { inboundKind: 'button_reply', payload: 'td:yes' },
    });
    await expect.poll(() => sandbox.stats().telegram.callbackAnswers).toBe(1);
  });
});
