import { createManualClock, createMemoryStore, createOmnidealer, type Message } from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { HttpResponse } from 'msw';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import chatFixture from './__fixtures__/chat.json';
import error404 from './__fixtures__/error-404.json';
import error429 from './__fixtures__/error-429.json';
import sendImageFixture from './__fixtures__/send-image.json';
import sendTextFixture from './__fixtures__/send-text.json';
import tokenFixture from './__fixtures__/token.json';
import uploadFixture from './__fixtures__/upload-images.json';
import echoFixture from './__fixtures__/webhook-echo.json';
import messageFixture from './__fixtures__/webhook-message.json';
import systemFixture from './__fixtures__/webhook-system.json';
import { createAvitoChannel } from './avito-channel.js';

const base = 'https://api.avito.ru';
const userId = 94235311;
const chatId = 'u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg';
const secret = 'k7Qw2mZx9RtY4vBn8LpA';
const routes = {
  token: `POST ${base}/token`,
  chat: `GET ${base}/messenger/v2/accounts/${userId}/chats/:chatId`,
  send: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/messages`,
  sendImage: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/messages/image`,
  upload: `POST ${base}/messenger/v1/accounts/${userId}/uploadImages`,
  read: `POST ${base}/messenger/v1/accounts/${userId}/chats/:chatId/read`,
  photo: 'GET https://cdn.dealer.example/photos/solaris-front.jpg',
};
const defaults = {
  [routes.token]: { json: tokenFixture },
  [routes.chat]: { json: chatFixture },
  [routes.send]: { json: sendTextFixture },
  [routes.sendImage]: { json: sendImageFixture },
  [routes.upload]: { json: uploadFixture },
  [routes.read]: { json: { ok: true } },
  [routes.photo]: () =>
    new HttpResponse(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 7]), { headers: { 'content-type': 'image/jpeg' } }),
};
const api = createTestServer(defaults);
beforeEach(() => {
  for (const [route, script] of Object.entries(defaults)) api.use(route, script);
});

const settings = {
  clientId: 'client-id-123',
  clientSecret: 'client-secret-xyz-987',
  userId,
  webhookSecret: secret,
  rateLimit: {},
};
const text = { type: 'text', text: 'Да, в продаже' } as const;
const sendCalls = () => api.calls.filter((call) => call.url.pathname.endsWith('/messages'));

function setup(extra: Partial<Parameters<typeof createAvitoChannel>[0]> = {}) {
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const sleeps: number[] = [];
  const channel = createAvitoChannel({ ...settings, clock, ...extra });
  const store = createMemoryStore();
  const hub = createOmnidealer({
    channels: [channel],
    store,
    clock,
    retry: {
      minTimeoutMs: 1,
      maxTimeoutMs: 2,
      jitter: false,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  const webhook = (body: unknown, url = `https://crm.example/hooks/avito/${secret}`) =>
    hub.handleWebhook('avito', new Request(url, { method: 'POST', body: JSON.stringify(body) }));
  return { channel, hub, store, clock, sleeps, webhook };
}

describe('createAvitoChannel', () => {
  it('is a reply-only chat channel of kind avito', () => {
    const { channel } = setup();
    expect(channel).toMatchObject({ id: 'avito', kind: 'avito', accountId: '94235311' });
    expect(channel.capabilities).toMatchObject({ address: 'chat', canStartConversation: false, maxTextLength: 1000 });
    expect(channel.rateLimit).toEqual({});
    expect(createAvitoChannel({ ...settings, rateLimit: undefined }).rateLimit).toEqual({ perSecond: 5, maxConcurrent: 5 });
  });

  it('takes credentials from the environment at first use; a missing one fails the send, not the factory, naming both', async () => {
    vi.stubEnv('AVITO_CLIENT_ID', '');
    vi.stubEnv('AVITO_USER_ID', '');
    const bare = createAvitoChannel({ clientSecret: settings.clientSecret });
    expect(bare.accountId).toBe('');
    const message = { id: 'm1', to: chatId, contact: { id: 'c1' }, content: text };
    await expect(bare.doSend(message, {})).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'settings.clientId',
      message: 'avito: no client id (pass settings.clientId or set AVITO_CLIENT_ID)',
    });
    vi.stubEnv('AVITO_CLIENT_ID', settings.clientId);
    vi.stubEnv('AVITO_USER_ID', String(userId));
    const fromEnvironment = createAvitoChannel({ clientSecret: settings.clientSecret });
    await expect(fromEnvironment.doSend(message, {})).resolves.toMatchObject({ status: 'sent' });
    expect(fromEnvironment.accountId).toBe(String(userId));
    expect(api.callsTo('/token')[0]?.form).toMatchObject({ client_id: settings.clientId });
    vi.unstubAllEnvs();
  });

  it('validates settings strictly and never calls the network on creation', () => {
    expect(() => createAvitoChannel({ ...settings, userId: 'abc' })).toThrow(/settings\.userId/);
    expect(() => createAvitoChannel({ ...settings, webhookSecret: 'short' })).toThrow(/settings\.webhookSecret/);
    expect(() => createAvitoChannel({ ...settings, clientSecret: '' })).toThrow(/settings\.clientSecret/);
    expect(() => createAvitoChannel({ ...settings, token: 'x' } as never)).toThrow(/settings/);
    expect(api.calls).toHaveLength(0);
  });

  it('canReach: only a contact with a known Avito chat; never a cold contact with just a phone', () => {
    const { channel } = setup();
    const now = Date.now();
    expect(channel.canReach({ contact: { id: 'c1', phone: '+79161234567' }, content: text, now })).toEqual({
      reachable: false,
      reason: 'cannot_start_conversation',
      detail: expect.stringContaining('reply-only'),
    });
    expect(
      channel.canReach({ contact: { id: 'c1', identities: { avitoChatIds: ['u2i-old', chatId] } }, content: text, now }),
    ).toEqual({ reachable: true, address: chatId });
    const conversation = {
      id: 'conv1',
      contactId: 'c1',
      channel: 'avito',
      externalId: 'u2i-old',
      status: 'open' as const,
      handler: 'bot' as const,
      assignments: [],
      unreadCount: 0,
      createdAt: 0,
      updatedAt: 0,
    };
    expect(
      channel.canReach({
        contact: { id: 'c1', identities: { avitoChatIds: ['u2i-old', chatId] } },
        content: text,
        now,
        conversation,
      }),
    ).toEqual({ reachable: true, address: 'u2i-old' });
    expect(
      channel.canReach({
        contact: { id: 'c1', identities: { avitoChatIds: [chatId] }, consent: { avito: 'opted_out' } },
        content: text,
        now,
      }),
    ).toMatchObject({ reachable: false, reason: 'opted_out' });
    expect(
      channel.canReach({
        contact: { id: 'c1', identities: { avitoChatIds: [chatId] } },
        content: { type: 'media', kind: 'video', url: 'https://x.example/v.mp4' },
        now,
      }),
    ).toMatchObject({ reachable: false, reason: 'unsupported_content' });
  });

  it('estimateCost is zero by default and the configured price otherwise', () => {
    const contact = { id: 'c1', identities: { avitoChatIds: [chatId] } };
    expect(setup().channel.estimateCost(text, contact).money).toEqual({ amountMinor: 0, currency: 'RUB' });
    const priced = setup({ pricing: { perMessageMinor: 150 } }).channel.estimateCost(text, contact);
    expect(priced).toMatchObject({ money: { amountMinor: 150, currency: 'RUB' }, units: 1, unitName: 'message' });
  });

  it('validates length, template fallback and image captions before the network', () => {
    const { channel } = setup();
    const contact = { id: 'c1' };
    expect(() => channel.validate?.({ type: 'email', subject: 's', text: 'x'.repeat(1001) }, contact)).toThrow(/1000/);
    expect(() => channel.validate?.({ type: 'template', name: 'reminder', language: 'ru' }, contact)).toThrow(/fallbackText/);
    expect(() => channel.validate?.({ type: 'media', kind: 'image', mediaId: 'img', caption: 'Фото салона' }, contact)).toThrow(
      /caption/,
    );
    expect(() => channel.validate?.({ type: 'text', text: 'x'.repeat(1000) }, contact)).not.toThrow();
  });
});

describe('Avito through the hub', () => {
  it('inbound message → conversation with the listing subject; reply goes to the chat; echoes and duplicates dropped', async () => {
    const { hub, store, webhook } = setup();
    const received: Message[] = [];
    const duplicates: string[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    hub.on('webhook.duplicate', ({ key }) => duplicates.push(key));

    const response = await webhook(messageFixture);
    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    const conversation = await store.getConversation(received[0]!.conversationId);
    expect(conversation).toMatchObject({
      channel: 'avito',
      externalId: chatId,
      unreadCount: 1,
      subject: {
        itemId: 4182736451,
        title: 'Hyundai Solaris 1.6 AT, 2019, 84 000 км',
        price: '1 150 000 ₽',
        url: 'https://www.avito.ru/moskva/avtomobili/hyundai_solaris_1.6_at_2019_84_000_km_4182736451',
        chatType: 'u2i',
      },
    });
    const contact = await store.getContact(received[0]!.contactId);
    expect(contact).toMatchObject({ name: 'Дмитрий', identities: { avitoChatIds: [chatId] } });

    // Redelivery of the same event: dropped by the hub.
    expect((await webhook(messageFixture)).status).toBe(200);
    expect(received).toHaveLength(1);
    expect(duplicates).toHaveLength(1);

    const reply = await hub.send({
      channel: 'avito',
      contact: { id: contact!.id },
      content: { type: 'text', text: 'Да, в продаже. VIN: XWEP…' },
    });
    expect(reply).toMatchObject({ status: 'sent', providerMessageId: sendTextFixture.id, conversationId: conversation!.id });
    expect(sendCalls()).toHaveLength(1);
    expect(sendCalls()[0]?.url.pathname).toBe(`/messenger/v1/accounts/${userId}/chats/${chatId}/messages`);
    expect(sendCalls()[0]?.json).toEqual({ message: { text: 'Да, в продаже. VIN: XWEP…' }, type: 'text' });

    // Avito echoes our reply and sends system notes: neither becomes an inbound message.
    await webhook(echoFixture);
    await webhook(systemFixture);
    expect(received).toHaveLength(1);
    expect(await store.listMessages(conversation!.id)).toHaveLength(2);

    // Only one chat lookup for the listing, however many events arrive for the chat.
    expect(api.callsTo(`/chats/${chatId}`).filter((call) => call.method === 'GET')).toHaveLength(1);

    await hub.markRead(conversation!.id);
    expect(api.callsTo('/read')).toHaveLength(1);
  });

  it('answers the URL check `POST {}` with 200 and applies nothing', async () => {
    // Avito's documentation: check the webhook URL with `POST {}` and expect HTTP 200.
    const { store, webhook } = setup();
    const response = await webhook({});
    expect(response.status).toBe(200);
    expect(await store.listConversations()).toEqual([]);
    expect(api.calls).toHaveLength(0);
  });

  it('answers within 2 s when the Avito API hangs, applies the message, and enriches the next one once the chat is known', async () => {
    // Avito's webhook spec: the URL must answer 200 within 2 s. Here the token endpoint hangs (its fetch has no
    // deadline of its own) until released.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let release: (() => void) | undefined;
      api.use(
        routes.token,
        () =>
          new Promise<Response>((resolve) => {
            release = () => resolve(HttpResponse.json(tokenFixture));
          }),
      );
      const { store, hub, webhook } = setup();
      const received: Message[] = [];
      hub.on('message.received', ({ message }) => received.push(message));

      let answered: Response | undefined;
      const pending = webhook(messageFixture).then((response) => {
        answered = response;
      });
      await vi.advanceTimersByTimeAsync(1999);
      expect(answered?.status).toBe(200);
      await pending;
      expect(received).toHaveLength(1);
      const conversation = await store.getConversation(received[0]!.conversationId);
      // Applied from what the payload carries: the listing id and chat type, no title yet.
      expect(conversation?.subject).toEqual({ itemId: 4182736451, chatType: 'u2i' });

      // The lookup goes on in the background; once Avito answers, the chat is cached…
      release?.();
      await vi.advanceTimersByTimeAsync(10);
      await vi.waitFor(() => expect(api.callsTo(`/chats/${chatId}`)).toHaveLength(1));
      // …and the next message of the chat carries the listing and the buyer's name, without another lookup.
      const next = structuredClone(messageFixture);
      next.id = 'next-event';
      next.payload.value.id = 'next-message-id';
      expect((await webhook(next)).status).toBe(200);
      expect(received).toHaveLength(2);
      const updated = await store.getConversation(received[1]!.conversationId);
      expect(updated?.subject).toMatchObject({ itemId: 4182736451, title: 'Hyundai Solaris 1.6 AT, 2019, 84 000 км' });
      expect(api.callsTo(`/chats/${chatId}`)).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a webhook without the secret (401) and never touches the store', async () => {
    const { hub, store, webhook } = setup();
    const rejected: number[] = [];
    hub.on('webhook.rejected', ({ status }) => rejected.push(status));
    const response = await webhook(messageFixture, 'https://crm.example/hooks/avito/guess');
    expect(response.status).toBe(401);
    expect(rejected).toEqual([401]);
    expect(await store.listConversations()).toEqual([]);
    expect((await webhook('{', `https://crm.example/hooks/avito/${secret}`)).status).toBe(400);
  });

  it('refuses a cold contact before any request: Avito cannot start a conversation', async () => {
    const { hub } = setup();
    await expect(
      hub.send({ channel: 'avito', contact: { id: 'cold', phone: '+79161234567' }, content: text }),
    ).rejects.toMatchObject({ name: 'UnreachableRecipientError', reason: 'cannot_start_conversation' });
    await expect(
      hub.send({
        channel: 'avito',
        contact: { id: 'c1', identities: { avitoChatIds: [chatId] } },
        content: { type: 'text', text: 'я'.repeat(1001) },
      }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.text' });
    expect(api.calls).toHaveLength(0);
  });

  it('waits out a 429 Retry-After and retries; a 404 chat fails the message as unreachable without retry', async () => {
    const { hub, sleeps } = setup();
    const contact = { id: 'c1', identities: { avitoChatIds: [chatId] } };
    api.use(routes.send, [{ status: 429, headers: { 'retry-after': '3' }, json: error429 }, { json: sendTextFixture }]);
    const sent = await hub.send({ channel: 'avito', contact, content: text });
    expect(sent.status).toBe('sent');
    expect(sleeps).toEqual([3000]);
    expect(sendCalls()).toHaveLength(2);

    api.use(routes.send, { status: 404, json: error404 });
    const failed = await hub.send({ channel: 'avito', contact, content: text });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'unreachable_recipient', retryable: false } });
    expect(sendCalls()).toHaveLength(3);
    expect(await hub.reachStats('c1', 'avito')).toMatchObject({ failed: 1, lastFailure: 'not_on_channel' });
  });

  it('sends an image by URL (download, upload, send) and by Avito image id', async () => {
    const { hub } = setup();
    const contact = { id: 'c1', identities: { avitoChatIds: [chatId] } };
    const byUrl = await hub.send({
      channel: 'avito',
      contact,
      content: { type: 'media', kind: 'image', url: 'https://cdn.dealer.example/photos/solaris-front.jpg' },
    });
    expect(byUrl).toMatchObject({ status: 'sent', providerMessageId: sendImageFixture.id });
    expect(api.callsTo('/uploadImages')[0]?.text).toContain('filename="solaris-front.jpg"');
    expect(api.callsTo('/messages/image')[0]?.json).toEqual({ image_id: '12345.6789abcdef0123456789abcdef01' });

    await hub.send({ channel: 'avito', contact, content: { type: 'media', kind: 'image', mediaId: '999.abc' } });
    expect(api.callsTo('/messages/image')[1]?.json).toEqual({ image_id: '999.abc' });
    expect(api.callsTo('/uploadImages')).toHaveLength(1);
  });

  it('sends a template as its fallback text (cascade content) and keeps secrets out of errors', async () => {
    const { hub, channel } = setup();
    expect(channel.secrets?.()).toContain(settings.clientSecret);
    const contact = { id: 'c1', identities: { avitoChatIds: [chatId] } };
    await hub.send({
      channel: 'avito',
      contact,
      content: { type: 'template', name: 'visit_reminder', fallbackText: 'Ждём вас завтра в 11:00' },
    });
    expect(sendCalls()[0]?.json).toEqual({ message: { text: 'Ждём вас завтра в 11:00' }, type: 'text' });
    api.use(routes.send, { status: 500, json: { error: { code: 500, message: `oops ${settings.clientSecret}` } } });
    const failed = await hub.send({ channel: 'avito', contact, content: text });
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed)).not.toContain(settings.clientSecret);
  });
});
