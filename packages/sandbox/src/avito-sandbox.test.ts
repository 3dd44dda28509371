import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}) {
  const receiver = await startTestReceiver();
  const clock = createManualClock(start);
  const sandbox = await startSandbox({
    seed: 3,
    clock,
    timers: 'manual',
    webhookTargets: { avito: receiver.url('/hooks/avito') },
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

async function token(sandbox: Sandbox, secret = sandbox.credentials.avito.clientSecret) {
  return fetch(`${sandbox.urls.avito}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.credentials.avito.clientId,
      client_secret: secret,
    }),
  });
}

async function api(sandbox: Sandbox, accessToken: string, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${sandbox.urls.avito}${path.replace('{user}', String(sandbox.credentials.avito.userId))}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('Avito Messenger API sandbox', () => {
  it('issues client_credentials tokens and refuses bad credentials', async () => {
    const { sandbox } = await setup();
    const good = await token(sandbox);
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ access_token: expect.any(String), expires_in: 86400, token_type: 'Bearer' });
    const bad = await token(sandbox, 'wrong');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  });

  it('answers 401 without a token and once the token expired on the sandbox clock', async () => {
    const { sandbox, clock } = await setup({ behaviour: { avito: { tokenTtlSeconds: 60 } } });
    expect(await api(sandbox, 'nope', '/messenger/v2/accounts/{user}/chats')).toEqual({
      status: 401,
      body: { error: { code: 401, message: 'Unauthorized' } },
    });
    const { access_token } = (await (await token(sandbox)).json()) as any;
    expect((await api(sandbox, access_token, '/messenger/v2/accounts/{user}/chats')).status).toBe(200);
    clock.advance(60_000);
    expect(await api(sandbox, access_token, '/messenger/v2/accounts/{user}/chats')).toEqual({
      status: 401,
      body: { error: { code: 401, message: 'token expired' } },
    });
  });

  it('delivers a buyer message as a v3 webhook and lists the chat with its listing context', async () => {
    const { sandbox, receiver } = await setup();
    const result = await sandbox.avito.inbound({
      text: 'Ещё продаётся?',
      buyerName: 'Алексей',
      item: { title: 'Hyundai Solaris, 2019', price: 1_150_000 },
    });
    expect(receiver.json()).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        version: 'v3.0.0',
        timestamp: start / 1000,
        payload: {
          type: 'message',
          value: {
            id: result.messageId,
            chat_id: result.chatId,
            user_id: sandbox.credentials.avito.userId,
            author_id: expect.any(Number),
            created: start / 1000,
            type: 'text',
            chat_type: 'u2i',
            content: { text: 'Ещё продаётся?' },
            item_id: expect.any(Number),
            published_at: '2026-03-02T09:00:00Z',
          },
        },
      },
    ]);
    expect(result.chatId).toMatch(/^u2i-/);
    const { access_token } = (await (await token(sandbox)).json()) as any;
    const list = await api(sandbox, access_token, '/messenger/v2/accounts/{user}/chats?unread_only=true&chat_types=u2i');
    expect(list.body.chats).toHaveLength(1);
    const chat = list.body.chats[0];
    expect(chat).toMatchObject({
      id: result.chatId,
      context: {
        type: 'item',
        value: {
          title: 'Hyundai Solaris, 2019',
          price_string: '1\u00a0150\u00a0000\u00a0₽',
          url: expect.stringMatching(/^https:\/\/www\.avito\.ru\//),
        },
      },
      last_message: { id: result.messageId, direction: 'in', type: 'text', content: { text: 'Ещё продаётся?' }, is_read: false },
    });
    expect(chat.users.map((user: any) => user.name)).toEqual(['Автосалон', 'Алексей']);
    expect((await api(sandbox, access_token, `/messenger/v2/accounts/{user}/chats/${result.chatId}`)).body.id).toBe(
      result.chatId,
    );
  });

  it('sends a text reply, echoes it as a webhook, lists messages newest first and marks the chat read', async () => {
    const { sandbox, receiver, clock } = await setup({ behaviour: { avito: { read: 1, readDelayMs: [1000, 1000] } } });
    const { chatId } = await sandbox.avito.inbound({ text: 'VIN пришлёте?' });
    const { access_token } = (await (await token(sandbox)).json()) as any;
    clock.advance(5000);
    const sent = await api(sandbox, access_token, `/messenger/v1/accounts/{user}/chats/${chatId}/messages`, {
      method: 'POST',
      body: { message: { text: 'Да, вот VIN: XWEPH81ABK0000001' }, type: 'text' },
    });
    expect(sent).toEqual({
      status: 200,
      body: {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        created: start / 1000 + 5,
        direction: 'out',
        type: 'text',
        content: { text: 'Да, вот VIN: XWEPH81ABK0000001' },
      },
    });
    await sandbox.flush();
    const echo = receiver.json()[1].payload.value;
    expect(echo).toMatchObject({
      id: sent.body.id,
      author_id: sandbox.credentials.avito.userId,
      user_id: sandbox.credentials.avito.userId,
    });

    const messages = await api(sandbox, access_token, `/messenger/v3/accounts/{user}/chats/${chatId}/messages/?limit=10`);
    expect(messages.body.map((message: any) => message.direction)).toEqual(['out', 'in']);
    expect(messages.body[0]).toMatchObject({ is_read: false });
    clock.advance(1000);
    await sandbox.flush();
    const after = await api(sandbox, access_token, `/messenger/v3/accounts/{user}/chats/${chatId}/messages/`);
    expect(after.body[0]).toMatchObject({ is_read: true, read: start / 1000 + 6 });

    expect(await api(sandbox, access_token, `/messenger/v1/accounts/{user}/chats/${chatId}/read`, { method: 'POST' })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(after.body[1].is_read).toBe(false);
    const read = await api(sandbox, access_token, `/messenger/v3/accounts/{user}/chats/${chatId}/messages/`);
    expect(read.body[1].is_read).toBe(true);
  });

  it('refuses bad sends: unknown chat 404, foreign account 403, empty or too long text 400', async () => {
    const { sandbox } = await setup({ behaviour: { avito: { maxTextLength: 10 } } });
    const { chatId } = await sandbox.avito.inbound({ text: 'Торг уместен?' });
    const { access_token } = (await (await token(sandbox)).json()) as any;
    const path = `/messenger/v1/accounts/{user}/chats/${chatId}/messages`;
    expect(
      await api(sandbox, access_token, '/messenger/v1/accounts/{user}/chats/u2i-missing/messages', {
        method: 'POST',
        body: { message: { text: 'hi' }, type: 'text' },
      }),
    ).toEqual({
      status: 404,
      body: { error: { code: 404, message: 'chat not found' } },
    });
    expect(
      (await api(sandbox, access_token, `/messenger/v1/accounts/1/chats/${chatId}/messages`, { method: 'POST', body: {} }))
        .status,
    ).toBe(403);
    expect(
      (await api(sandbox, access_token, path, { method: 'POST', body: { message: { text: '' }, type: 'text' } })).status,
    ).toBe(400);
    expect(
      (await api(sandbox, access_token, path, { method: 'POST', body: { message: { text: 'x'.repeat(11) }, type: 'text' } })).body
        .error.code,
    ).toBe(400);
  });

  it('manages webhook subscriptions and delivers to subscribed URLs', async () => {
    const subscriber = await startTestReceiver();
    stops.push(subscriber.close);
    const { sandbox } = await setup({ webhookTargets: {} });
    const { access_token } = (await (await token(sandbox)).json()) as any;
    expect(
      await api(sandbox, access_token, '/messenger/v3/webhook', {
        method: 'POST',
        body: { url: subscriber.url('/avito/secret') },
      }),
    ).toEqual({ status: 200, body: { ok: true } });
    expect((await api(sandbox, access_token, '/messenger/v1/subscriptions', { method: 'POST' })).body).toEqual({
      subscriptions: [{ url: subscriber.url('/avito/secret'), version: '3' }],
    });
    await sandbox.avito.inbound({ text: 'Кредит возможен?' });
    expect(subscriber.received.map((request) => request.path)).toEqual(['/avito/secret']);
    await api(sandbox, access_token, '/messenger/v1/webhook/unsubscribe', {
      method: 'POST',
      body: { url: subscriber.url('/avito/secret') },
    });
    expect(sandbox.avito.subscriptions()).toEqual([]);
  });

  it('creates chats for seeded contacts and answers accounts/self', async () => {
    const { sandbox } = await setup({
      contacts: [{ id: 'c1', name: 'Мария Петрова', identities: { avitoChatIds: ['u2i-seeded'] } }],
    });
    const { access_token } = (await (await token(sandbox)).json()) as any;
    const chat = await api(sandbox, access_token, '/messenger/v2/accounts/{user}/chats/u2i-seeded');
    expect(chat.body.users[1].name).toBe('Мария Петрова');
    expect((await api(sandbox, access_token, '/core/v1/accounts/self')).body.id).toBe(sandbox.credentials.avito.userId);
  });
});
