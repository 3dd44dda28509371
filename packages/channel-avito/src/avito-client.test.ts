import {
  AuthError,
  ChannelApiError,
  createManualClock,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import chatFixture from './__fixtures__/chat.json';
import chatsFixture from './__fixtures__/chats.json';
import error400 from './__fixtures__/error-400.json';
import error401 from './__fixtures__/error-401.json';
import error403 from './__fixtures__/error-403.json';
import error404 from './__fixtures__/error-404.json';
import error429 from './__fixtures__/error-429.json';
import error500 from './__fixtures__/error-500.json';
import messagesFixture from './__fixtures__/messages-v3.json';
import sendImageFixture from './__fixtures__/send-image.json';
import sendTextFixture from './__fixtures__/send-text.json';
import subscriptionsFixture from './__fixtures__/subscriptions.json';
import tokenFixture from './__fixtures__/token.json';
import uploadFixture from './__fixtures__/upload-images.json';
import { createAvitoClient } from './avito-client.js';

const base = 'https://api.avito.ru';
const userId = 94235311;
const chatId = 'u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg';
const routes = {
  token: `POST ${base}/token`,
  chats: `GET ${base}/messenger/v2/accounts/${userId}/chats`,
  chat: `GET ${base}/messenger/v2/accounts/${userId}/chats/:chatId`,
  messages: `GET ${base}/messenger/v3/accounts/${userId}/chats/:chatId/messages/`,
  send: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/messages`,
  sendImage: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/messages/image`,
  upload: `POST ${base}/messenger/v1/accounts/${userId}/uploadImages`,
  read: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/read`,
  subscribe: `POST ${base}/messenger/v3/webhook`,
  unsubscribe: `POST ${base}/messenger/v1/webhook/unsubscribe`,
  subscriptions: `POST ${base}/messenger/v1/subscriptions`,
};

const tokenA = { ...tokenFixture, access_token: 'token-aaaaaaaaaaaa' };
const tokenB = { ...tokenFixture, access_token: 'token-bbbbbbbbbbbb' };

const defaults = {
  [routes.token]: [{ json: tokenA }, { json: tokenB }],
  [routes.chats]: { json: chatsFixture },
  [routes.chat]: { json: chatFixture },
  [routes.messages]: { json: messagesFixture },
  [routes.send]: { json: sendTextFixture },
  [routes.sendImage]: { json: sendImageFixture },
  [routes.upload]: { json: uploadFixture },
  [routes.read]: { json: { ok: true } },
  [routes.subscribe]: { json: { ok: true } },
  [routes.unsubscribe]: { json: { ok: true } },
  [routes.subscriptions]: { json: subscriptionsFixture },
};
const api = createTestServer(defaults);

beforeEach(() => {
  // Scripts replaced by `api.use` in one test must not leak into the next.
  for (const [route, script] of Object.entries(defaults)) api.use(route, script);
});

function setup(options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const client = createAvitoClient({
    clientId: 'client-id-123',
    clientSecret: 'client-secret-xyz-987',
    userId,
    clock,
    ...options,
  });
  return { client, clock };
}

const sendCalls = () => api.calls.filter((call) => call.url.pathname.endsWith(`/chats/${chatId}/messages`));

afterEach(() => {
  vi.useRealTimers();
});

describe('AvitoClient requests', () => {
  it('lists chats with filters and paging as Avito query parameters, with the bearer token', async () => {
    const { client } = setup();
    const chats = await client.listChats({
      itemIds: [4182736451, '4182736452'],
      unreadOnly: true,
      chatTypes: ['u2i', 'u2u', 'a2u'],
      limit: 50,
      offset: 100,
    });
    const call = api.callsTo('/chats')[0];
    expect(call?.headers.get('authorization')).toBe('Bearer token-aaaaaaaaaaaa');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({
      item_ids: '4182736451,4182736452',
      unread_only: 'true',
      chat_types: 'u2i,u2u,a2u',
      limit: '50',
      offset: '100',
    });
    expect(chats).toHaveLength(2);
    expect(chats[0]).toMatchObject({
      id: chatId,
      contextType: 'item',
      listing: {
        id: 4182736451,
        title: 'Hyundai Solaris 1.6 AT, 2019, 84 000 км',
        price: '1 150 000 ₽',
        url: 'https://www.avito.ru/moskva/avtomobili/hyundai_solaris_1.6_at_2019_84_000_km_4182736451',
        ownerId: '94235311',
      },
      users: [
        { id: '94235311', name: 'Автосалон «Север»' },
        { id: '31337420', name: 'Дмитрий' },
      ],
      createdAt: 1763967600_000,
      lastMessage: { id: '5d1f0a9c2e8b47a6b3c4d5e6f7a8b9c0', authorId: '31337420', direction: 'in', type: 'text' },
    });
    expect(chats[1]?.listing).toBeUndefined();
  });

  it('sends no query parameters when no filters are given and pages through offsets', async () => {
    const { client } = setup();
    await client.listChats();
    await client.listChats({ limit: 100, offset: 0 });
    await client.listChats({ limit: 100, offset: 100 });
    const queries = api.callsTo('/chats').map((call) => call.url.search);
    expect(queries).toEqual(['', '?limit=100&offset=0', '?limit=100&offset=100']);
  });

  it('refuses bad paging before any request', async () => {
    const { client } = setup();
    await expect(client.listChats({ limit: 101 })).rejects.toMatchObject({ name: 'ValidationError', field: 'options.limit' });
    await expect(client.listChats({ offset: 1001 })).rejects.toMatchObject({ field: 'options.offset' });
    await expect(client.listChats({ chatTypes: ['b2b' as 'u2i'] })).rejects.toSatisfy(ValidationError.isInstance);
    await expect(client.listMessages(chatId, { limit: 0 })).rejects.toMatchObject({ field: 'options.limit' });
    await expect(client.getChat('')).rejects.toMatchObject({ field: 'chatId' });
    expect(api.calls).toHaveLength(0);
  });

  it('gets a chat with the listing it is about', async () => {
    const { client } = setup();
    const chat = await client.getChat(chatId);
    expect(api.callsTo(`/messenger/v2/accounts/${userId}/chats/${chatId}`)).toHaveLength(1);
    expect(chat.listing).toEqual({
      id: 4182736451,
      title: 'Hyundai Solaris 1.6 AT, 2019, 84 000 км',
      price: '1 150 000 ₽',
      url: 'https://www.avito.ru/moskva/avtomobili/hyundai_solaris_1.6_at_2019_84_000_km_4182736451',
      statusId: 1,
      ownerId: '94235311',
    });
  });

  it('lists messages (v3) with paging and normalises text, image, system and quoted messages', async () => {
    const { client } = setup();
    const messages = await client.listMessages(chatId, { limit: 20, offset: 40 });
    const call = api.callsTo('/messages/')[0];
    expect(call?.url.pathname).toBe(`/messenger/v3/accounts/${userId}/chats/${chatId}/messages/`);
    expect(call?.url.search).toBe('?limit=20&offset=40');
    expect(messages.map((message) => message.type)).toEqual(['text', 'image', 'system', 'text']);
    expect(messages[0]).toMatchObject({ text: 'Здравствуйте! Ещё продаётся? Какой VIN?', isRead: true, readAt: 1764046860_000 });
    expect(messages[1]?.imageUrl).toBe('https://00.img.avito.st/image/1/1.chat.1280x960.jpg');
    expect(messages[2]?.authorId).toBe('0');
    expect(messages[3]?.quoteId).toBe('0011223344556677889900aabbccddee');
  });

  it('accepts the bare-array messages answer of the v3 spec (what the sandbox serves) as well as `{ messages }`', async () => {
    // Avito Messenger API spec: `GET /messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/` → an array of messages.
    api.use(routes.messages, { json: messagesFixture.messages.slice(0, 2) });
    const { client } = setup();
    const messages = await client.listMessages(chatId);
    expect(messages.map((message) => message.id)).toEqual(messagesFixture.messages.slice(0, 2).map((message) => message.id));
  });

  it('sends text with the exact Avito body and returns the message id', async () => {
    const { client } = setup();
    const sent = await client.sendText(chatId, 'Да, автомобиль в продаже. VIN пришлю в течение часа.');
    const call = sendCalls()[0];
    expect(call?.method).toBe('POST');
    expect(call?.headers.get('content-type')).toContain('application/json');
    expect(call?.json).toEqual({
      message: { text: 'Да, автомобиль в продаже. VIN пришлю в течение часа.' },
      type: 'text',
    });
    expect(sent).toMatchObject({ id: '7e6d5c4b3a291807f6e5d4c3b2a19080', createdAt: 1764050400_000 });
  });

  it('refuses an empty text or one over 1000 characters before any request', async () => {
    const { client } = setup();
    await expect(client.sendText(chatId, '')).rejects.toMatchObject({ field: 'text' });
    await expect(client.sendText(chatId, 'я'.repeat(1001))).rejects.toMatchObject({ name: 'ValidationError', field: 'text' });
    expect(api.calls).toHaveLength(0);
    await client.sendText(chatId, '😀'.repeat(1000));
    expect(sendCalls()).toHaveLength(1);
  });

  it('uploads an image as multipart uploadfile[] and sends it by image_id', async () => {
    const { client } = setup();
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const uploaded = await client.uploadImage({ data: bytes, filename: 'solaris-front.jpg' });
    expect(uploaded).toEqual({
      imageId: '12345.6789abcdef0123456789abcdef01',
      sizes: uploadFixture['12345.6789abcdef0123456789abcdef01'],
    });
    const upload = api.callsTo('/uploadImages')[0];
    expect(upload?.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload?.text).toContain('name="uploadfile[]"; filename="solaris-front.jpg"');
    expect(upload?.text).toContain('Content-Type: image/jpeg');
    const sent = await client.sendImage(chatId, uploaded.imageId);
    const call = api.callsTo('/messages/image')[0];
    expect(call?.url.pathname).toBe(`/messenger/v1/accounts/${userId}/chats/${chatId}/messages/image`);
    expect(call?.json).toEqual({ image_id: '12345.6789abcdef0123456789abcdef01' });
    expect(sent.id).toBe('3c2b1a09f8e7d6c5b4a3928170f6e5d4');
  });

  it('marks a chat read and treats ok=false as a refusal', async () => {
    const { client } = setup();
    await client.markChatRead(chatId);
    expect(api.callsTo('/read')[0]?.url.pathname).toBe(`/messenger/v1/accounts/${userId}/chats/${chatId}/read`);
    api.use(routes.read, { json: { ok: false } });
    await expect(client.markChatRead(chatId)).rejects.toMatchObject({ name: 'ChannelApiError', retryable: false });
  });

  it('subscribes, unsubscribes and lists webhooks on the documented paths', async () => {
    const { client } = setup();
    const url = 'https://crm.example/hooks/avito/7f3a9c2e4b8d1f6a0e5c9b2d';
    await client.subscribeWebhook(url);
    await client.unsubscribeWebhook(url);
    const subscriptions = await client.listWebhookSubscriptions();
    const paths = api.calls.filter((call) => !call.url.pathname.endsWith('/token')).map((call) => call.url.pathname);
    expect(paths).toEqual(['/messenger/v3/webhook', '/messenger/v1/webhook/unsubscribe', '/messenger/v1/subscriptions']);
    expect(api.callsTo('/messenger/v3/webhook')[0]?.json).toEqual({ url });
    expect(api.callsTo('/webhook/unsubscribe')[0]?.json).toEqual({ url });
    expect(subscriptions).toEqual([{ url, version: '3' }]);
    await expect(client.subscribeWebhook('ftp://crm.example/hook')).rejects.toMatchObject({ field: 'url' });
  });
});

describe('AvitoClient tokens', () => {
  it('reuses one token for many calls and renews it after expiry (manual clock)', async () => {
    const { client, clock } = setup();
    await client.getChat(chatId);
    await client.markChatRead(chatId);
    expect(api.callsTo('/token')).toHaveLength(1);
    clock.advance(24 * 60 * 60 * 1000);
    await client.getChat(chatId);
    expect(api.callsTo('/token')).toHaveLength(2);
    const authorizations = api.calls.filter((call) => call.method === 'GET').map((call) => call.headers.get('authorization'));
    expect(authorizations).toEqual(['Bearer token-aaaaaaaaaaaa', 'Bearer token-bbbbbbbbbbbb']);
  });

  it('on a 401 refreshes the token once and replays the request with the new token', async () => {
    api.use(routes.send, (call) =>
      call.headers.get('authorization') === 'Bearer token-aaaaaaaaaaaa'
        ? HttpResponse.json(error401, { status: 401 })
        : HttpResponse.json(sendTextFixture),
    );
    const { client } = setup();
    const sent = await client.sendText(chatId, 'Добрый день!');
    expect(sent.id).toBe(sendTextFixture.id);
    expect(api.callsTo('/token')).toHaveLength(2);
    expect(sendCalls().map((call) => call.headers.get('authorization'))).toEqual([
      'Bearer token-aaaaaaaaaaaa',
      'Bearer token-bbbbbbbbbbbb',
    ]);
    expect(sendCalls()[1]?.json).toEqual(sendCalls()[0]?.json);
  });

  it('10 concurrent sends after expiry cause exactly ONE token request', async () => {
    const { client, clock } = setup();
    await client.getChat(chatId);
    clock.advance(25 * 60 * 60 * 1000);
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => client.sendText(chatId, `Сообщение ${index}`)));
    expect(results).toHaveLength(10);
    expect(api.callsTo('/token')).toHaveLength(2);
    expect(new Set(sendCalls().map((call) => call.headers.get('authorization')))).toEqual(new Set(['Bearer token-bbbbbbbbbbbb']));
  });

  it('10 concurrent 401s with the same revoked token share ONE refresh', async () => {
    api.use(routes.send, (call) =>
      call.headers.get('authorization') === 'Bearer token-aaaaaaaaaaaa'
        ? HttpResponse.json(error401, { status: 401 })
        : HttpResponse.json(sendTextFixture),
    );
    const { client } = setup();
    await client.getChat(chatId);
    await Promise.all(Array.from({ length: 10 }, () => client.sendText(chatId, 'Да')));
    expect(api.callsTo('/token')).toHaveLength(2);
    expect(sendCalls()).toHaveLength(20);
  });

  it('a 401 after the refresh surfaces as a non-retryable AuthError', async () => {
    api.use(routes.send, { status: 401, json: error401 });
    const { client } = setup();
    const error = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(error).toSatisfy(AuthError.isInstance);
    expect(error).toMatchObject({ retryable: false, channel: 'avito', raw: error401 });
    expect((error as Error).message).toContain('after a refresh');
    expect(api.callsTo('/token')).toHaveLength(2);
    expect(sendCalls()).toHaveLength(2);
    expect((error as Error).message).not.toContain('token-bbbbbbbbbbbb');
  });
});

describe('AvitoClient errors', () => {
  it('429 → retryable RateLimitError with Retry-After in ms and the raw body', async () => {
    api.use(routes.send, { status: 429, headers: { 'retry-after': '7' }, json: error429 });
    const { client } = setup();
    const error = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(error).toSatisfy(RateLimitError.isInstance);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 7000, providerCode: 429, raw: error429 });
  });

  it('500 → retryable ChannelApiError, lenient about the {"result":…} error shape', async () => {
    api.use(routes.send, { status: 500, json: error500 });
    const { client } = setup();
    const error = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: true, statusCode: 500, raw: error500 });
    expect((error as Error).message).toContain('internal error');
  });

  it('400 → non-retryable ChannelApiError with Avito message and code', async () => {
    api.use(routes.send, { status: 400, json: error400 });
    const { client } = setup();
    const error = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: false, providerCode: 400, statusCode: 400 });
    expect((error as Error).message).toContain('length must be less than or equal to 1000');
  });

  it('403 / 404 on a chat → UnreachableRecipientError; on the account → AuthError / not_found', async () => {
    const { client } = setup();
    api.use(routes.send, { status: 404, json: error404 });
    await expect(client.sendText(chatId, 'Да')).rejects.toMatchObject({
      name: 'UnreachableRecipientError',
      reason: 'not_on_channel',
      retryable: false,
    });
    api.use(routes.send, { status: 403, json: error403 });
    const forbidden = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(forbidden).toSatisfy(UnreachableRecipientError.isInstance);
    expect(forbidden).toMatchObject({ reason: 'blocked', raw: error403 });
    api.use(routes.chats, { status: 403, json: error403 });
    await expect(client.listChats()).rejects.toSatisfy(AuthError.isInstance);
    api.use(routes.subscriptions, { status: 404, json: error404 });
    await expect(client.listWebhookSubscriptions()).rejects.toMatchObject({ code: 'not_found', retryable: false });
  });

  it('402 (no paid tariff) → a final ChannelApiError naming the «Максимальный» subscription, sent once', async () => {
    const { client } = setup();
    api.use(routes.send, { status: 402, json: { error: { code: 402, message: 'payment required' } } });
    const error = await client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ statusCode: 402, retryable: false });
    expect((error as Error).message).toMatch(/«Максимальный»/);
    expect(api.calls.filter((call) => call.method === 'POST' && call.url.pathname.endsWith('/messages'))).toHaveLength(1);
  });

  it('a malformed 200 body → non-retryable ChannelApiError; a wrong shape names the path', async () => {
    const { client } = setup();
    api.use(routes.send, { text: '<html>upstream</html>', headers: { 'content-type': 'text/html' } });
    await expect(client.sendText(chatId, 'Да')).rejects.toMatchObject({ name: 'ChannelApiError', retryable: false });
    api.use(routes.chats, { json: { chats: 'nope' } });
    const error = await client.listChats().catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('unexpected response shape: chats');
  });

  it('a dropped connection → retryable network error', async () => {
    api.use(routes.send, { error: 'network' });
    const { client } = setup();
    await expect(client.sendText(chatId, 'Да')).rejects.toMatchObject({ code: 'network', retryable: true });
  });

  it('a timeout → retryable ChannelApiError with code timeout (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hangingFetch: typeof fetch = async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (request.url.endsWith('/token')) return Response.json(tokenA);
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal ?? request.signal;
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    };
    const { client } = setup({ fetch: hangingFetch, timeoutMs: 5000 });
    const pending = client.sendText(chatId, 'Да').catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(5001);
    expect(await pending).toMatchObject({ name: 'ChannelApiError', code: 'timeout', retryable: true });
  });
});
