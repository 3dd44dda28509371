import type { Message } from '@omnidealer/core';
import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import attachmentNotReady from './__fixtures__/error-attachment-not-ready.json';
import verifyToken from './__fixtures__/error-verify-token.json';
import sendMessageFixture from './__fixtures__/send-message.json';
import botStarted from './__fixtures__/update-bot-started.json';
import botStopped from './__fixtures__/update-bot-stopped.json';
import messageCreated from './__fixtures__/update-message-created.json';
import { createMaxChannel, maxUserIdOf } from './max-channel.js';

// Wire shapes: see __fixtures__/README.md (the official Go client's stubs and the TypeScript client's types).
const base = 'https://platform-api2.max.ru';
const token = 'f9LHodD0cOJf4_DkJGeq8BkDgc5vgSwZocVrn44oirf';
const secret = 'mx_Secret-0123456789abcdef';
const userId = '310550771';
const routes = {
  send: `POST ${base}/messages`,
  uploads: `POST ${base}/uploads`,
  uploadHost: 'POST https://fu.oneme.ru/api/upload.do',
  file: 'GET https://cdn.dealer.example/docs/price-list.pdf',
};
const defaults = {
  [routes.send]: { json: sendMessageFixture },
  [routes.uploads]: { json: { url: 'https://fu.oneme.ru/api/upload.do?sig=abc123&expires=1775060000' } },
  [routes.uploadHost]: { json: { token: 'file-token-42' } },
  [routes.file]: () =>
    new HttpResponse(new Uint8Array([0x25, 0x50, 0x44, 0x46]), { headers: { 'content-type': 'application/pdf' } }),
};
const api = createTestServer(defaults);
beforeEach(() => {
  for (const [route, script] of Object.entries(defaults)) api.use(route, script);
});

const text = { type: 'text', text: 'Да, Солярис в наличии' } as const;
const linked = { id: 'c1', phone: '+79161234567', identities: { max: userId } };
const sendCalls = () => api.calls.filter((call) => call.url.href.startsWith(`${base}/messages`));

function setup(extra: Parameters<typeof createMaxChannel>[0] = {}) {
  const channel = createMaxChannel({ token, webhookSecret: secret, ...extra });
  return { channel, ...createChannelTestHub(channel, { webhookHeaders: { 'x-max-bot-api-secret': secret } }) };
}

describe('createMaxChannel', () => {
  it('is a reply-only channel of kind max, 4000 characters, 30 requests/s by default', () => {
    const { channel } = setup();
    expect(channel).toMatchObject({ id: 'max', kind: 'max' });
    expect(channel.accountId).toMatch(/^token-[0-9a-f]{12}$/);
    expect(channel.accountId).not.toContain(token.slice(0, 8));
    expect(channel.capabilities).toMatchObject({ address: 'chat', canStartConversation: false, maxTextLength: 4000 });
    expect(channel.rateLimit).toEqual({ perSecond: 30 });
    expect(createMaxChannel({ token, rateLimit: { perSecond: 5 }, botId: 229010001 })).toMatchObject({
      rateLimit: { perSecond: 5 },
      accountId: '229010001',
    });
  });

  it('validates settings strictly and never calls the network on creation', () => {
    expect(() => createMaxChannel({ token, webhookSecret: 'short' })).toThrow(/settings\.webhookSecret/);
    expect(() => createMaxChannel({ token, webhookSecret: 'has spaces in it, 123456' })).toThrow(/settings\.webhookSecret/);
    expect(() => createMaxChannel({ token, baseURL: 'ftp://x' })).toThrow(/settings\.baseURL/);
    expect(() => createMaxChannel({ token, clientId: 'x' } as never)).toThrow(/settings/);
    expect(() => createMaxChannel()).not.toThrow();
    expect(api.calls).toHaveLength(0);
  });

  it('canReach: only a contact with a MAX user id; a cold contact with a phone is unreachable', () => {
    const { channel } = setup();
    const now = Date.now();
    expect(channel.canReach({ contact: { id: 'c1', phone: '+79161234567' }, content: text, now })).toEqual({
      reachable: false,
      reason: 'cannot_start_conversation',
      detail: expect.stringContaining('reply-only'),
    });
    expect(channel.canReach({ contact: linked, content: text, now })).toEqual({ reachable: true, address: userId });
    // What the hub records from inbound messages today (chat-addressed channels): the dialogs' user ids.
    expect(maxUserIdOf({ id: 'c2', identities: { maxChatIds: ['111', '222'] } })).toBe('222');
    expect(channel.canReach({ contact: { ...linked, consent: { max: 'opted_out' } }, content: text, now })).toMatchObject({
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
});

describe('MAX through the hub', () => {
  it('sends text to POST /messages?user_id= with the raw token (no Bearer) and exactly the body', async () => {
    const { hub } = setup({ format: 'markdown' });
    const sent = await hub.send({ channel: 'max', contact: linked, content: { type: 'text', text: '**Да**, в наличии' } });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: sendMessageFixture.message.body.mid });
    const [call] = sendCalls();
    expect(call?.url.searchParams.get('user_id')).toBe(userId);
    expect(call?.url.searchParams.has('chat_id')).toBe(false);
    expect(call?.headers.get('authorization')).toBe(token);
    expect(call?.json).toEqual({ text: '**Да**, в наличии', format: 'markdown' });
  });

  it('sends buttons as an inline keyboard of callback buttons', async () => {
    const { hub } = setup();
    await hub.send({
      channel: 'max',
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
    expect(sendCalls()[0]?.json).toEqual({
      text: 'Записать вас на тест-драйв?',
      attachments: [
        {
          type: 'inline_keyboard',
          payload: {
            buttons: [
              [{ type: 'callback', text: 'Да, в субботу', payload: 'td:yes' }],
              [{ type: 'callback', text: 'Нет, спасибо', payload: 'td:no' }],
            ],
          },
        },
      ],
    });
  });

  it('refuses before any request: a cold contact, text over 4000 characters, a button payload over 1024', async () => {
    const { hub } = setup();
    await expect(
      hub.send({ channel: 'max', contact: { id: 'cold', phone: '+79161234567' }, content: text }),
    ).rejects.toMatchObject({
      name: 'UnreachableRecipientError',
      reason: 'cannot_start_conversation',
    });
    await expect(
      hub.send({ channel: 'max', contact: linked, content: { type: 'text', text: 'я'.repeat(4001) } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.text' });
    await expect(
      hub.send({
        channel: 'max',
        contact: linked,
        content: {
          type: 'interactive',
          body: 'Выберите',
          action: { type: 'buttons', buttons: [{ id: 'x'.repeat(1025), title: 'Да' }] },
        },
      }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.action.buttons.0.id' });
    expect(api.calls).toHaveLength(0);
    // 4000 characters of astral text (8000 UTF-16 units) pass: MAX counts characters.
    await expect(
      hub.send({ channel: 'max', contact: linked, content: { type: 'text', text: '🚗'.repeat(4000) } }),
    ).resolves.toMatchObject({
      status: 'sent',
    });
  });

  it('waits out a 429 Retry-After and retries 5xx; 401 verify.token fails at once as AuthError', async () => {
    const { hub, sleeps } = setup();
    api.use(routes.send, [
      { status: 429, headers: { 'retry-after': '2' }, json: { code: 'too.many.requests', message: 'Too many requests' } },
      { status: 503, json: { code: 'service.unavailable', message: 'Service unavailable' } },
      { json: sendMessageFixture },
    ]);
    expect((await hub.send({ channel: 'max', contact: linked, content: text })).status).toBe('sent');
    expect(sleeps).toEqual([2000]);
    expect(sendCalls()).toHaveLength(3);

    api.use(routes.send, { status: 401, json: verifyToken });
    const failed = await hub.send({ channel: 'max', contact: linked, content: text });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'auth', retryable: false, providerCode: 'verify.token' } });
    expect(sendCalls()).toHaveLength(4);
    expect(JSON.stringify(failed)).not.toContain(token);
  });

  it('403 → unreachable (blocked) and 404 → not_on_channel, without retries', async () => {
    const { hub } = setup();
    api.use(routes.send, { status: 403, json: { code: 'chat.denied', message: 'chat.denied' } });
    expect(await hub.send({ channel: 'max', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { code: 'unreachable_recipient' },
    });
    expect(await hub.reachStats('c1', 'max')).toMatchObject({ failed: 1, lastFailure: 'blocked' });
    api.use(routes.send, { status: 404, json: { code: 'not.found', message: 'User not found' } });
    await hub.send({ channel: 'max', contact: linked, content: text });
    expect(await hub.reachStats('c1', 'max')).toMatchObject({ lastFailure: 'not_on_channel' });
    expect(sendCalls()).toHaveLength(2);
  });

  it('uploads a document by URL (no token to the upload host), retries attachment.not.ready without uploading again', async () => {
    const { hub, sleeps } = setup({ allowPrivateMediaUrls: true });
    api.use(routes.send, [{ status: 400, json: attachmentNotReady }, { json: sendMessageFixture }]);
    const sent = await hub.send({
      channel: 'max',
      contact: linked,
      content: { type: 'media', kind: 'document', url: 'https://cdn.dealer.example/docs/price-list.pdf', caption: 'Прайс' },
    });
    expect(sent.status).toBe('sent');
    expect(api.callsTo('/uploads')[0]?.url.searchParams.get('type')).toBe('file');
    const upload = api.callsTo('fu.oneme.ru');
    expect(upload).toHaveLength(1);
    expect(upload[0]?.url.searchParams.get('sig')).toBe('abc123');
    expect(upload[0]?.headers.get('authorization')).toBeNull();
    expect(upload[0]?.text).toContain('name="data"; filename="price-list.pdf"');
    expect(sleeps).toEqual([1000]);
    expect(sendCalls()).toHaveLength(2);
    expect(sendCalls()[1]?.json).toEqual({ text: 'Прайс', attachments: [{ type: 'file', payload: { token: 'file-token-42' } }] });
  });

  it('a timeout is retried; a malformed 200 body fails without a retry', async () => {
    const { hub } = setup({ timeoutMs: 50 });
    api.use(routes.send, [{ delayMs: 200, json: sendMessageFixture }, { json: sendMessageFixture }]);
    expect((await hub.send({ channel: 'max', contact: linked, content: text })).status).toBe('sent');
    expect(sendCalls()).toHaveLength(2);
    api.use(routes.send, { text: '<html>proxy</html>', headers: { 'content-type': 'text/html' } });
    expect(await hub.send({ channel: 'max', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { retryable: false },
    });
    expect(sendCalls()).toHaveLength(3);
  });

  it('bot_started with a payload → a start event; a reply reaches the new contact; bot_stopped arrives as stop', async () => {
    const { hub, store, webhook } = setup();
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    expect((await webhook(botStarted)).status).toBe(200);
    expect(received[0]).toMatchObject({ metadata: { inboundKind: 'start', payload: 'c_8f3k2m' } });
    const contact = await store.getContact(received[0]!.contactId);
    expect(contact).toMatchObject({ name: 'Ирина Соколова' });
    // The hub records the dialog today; canReach reads it until deep-link linking sets identities.max.
    await hub.send({ channel: 'max', contact: { id: contact!.id }, content: text });
    expect(sendCalls()[0]?.url.searchParams.get('user_id')).toBe(userId);
    expect((await webhook(messageCreated)).status).toBe(200);
    expect((await webhook(botStopped)).status).toBe(200);
    expect(received.map((message) => message.metadata?.inboundKind)).toEqual(['start', 'message', 'stop']);
    expect(new Set(received.map((message) => message.conversationId)).size).toBe(1);
  });

  it('links a CRM contact through hub.inviteLink: Start with the payload attaches the MAX account and its consent', async () => {
    const { hub, webhook, store } = setup({ botName: 'autodealer_bot' });
    const linkedEvents: string[] = [];
    hub.on('contact.linked', ({ contact, channel }) => linkedEvents.push(`${contact.id} ${channel}`));
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    const invite = await hub.inviteLink('crm-42', 'max');
    expect(invite.url).toBe(`https://max.ru/autodealer_bot?start=${invite.payload}`);
    expect((await webhook({ ...botStarted, payload: invite.payload })).status).toBe(200);
    expect(linkedEvents).toEqual(['crm-42 max']);
    expect((await hub.getContact('crm-42'))?.consent).toEqual({ max: 'granted' });
    expect((await store.listConversations()).map((conversation) => conversation.contactId)).toEqual(['crm-42']);
    await hub.send({ channel: 'max', contact: { id: 'crm-42' }, content: text });
    expect(sendCalls()[0]?.url.searchParams.get('user_id')).toBe(userId);
    // Stopping the bot opts the contact out: the next send is refused before any request.
    expect((await webhook(botStopped)).status).toBe(200);
    await expect(hub.send({ channel: 'max', contact: { id: 'crm-42' }, content: text })).rejects.toMatchObject({
      reason: 'opted_out',
    });
    expect(sendCalls()).toHaveLength(1);
  });

  it('has deep links only with a valid botName', () => {
    expect(setup().channel.inviteLink).toBeUndefined();
    expect(() => setup({ botName: 'bad name!' })).toThrow(/botName/);
  });

  it('rejects deliveries without the secret header or with a wrong one (401), malformed ones (400): nothing applied', async () => {
    const { hub, store, webhook, channel } = setup();
    const rejected: number[] = [];
    hub.on('webhook.rejected', ({ status }) => rejected.push(status));
    expect((await webhook(messageCreated, {})).status).toBe(401);
    expect((await webhook(messageCreated, { 'x-max-bot-api-secret': `${secret}x` })).status).toBe(401);
    expect((await webhook('{"update_type":', { 'x-max-bot-api-secret': secret })).status).toBe(400);
    expect((await webhook({ update_type: 'message_created', timestamp: 1 })).status).toBe(400);
    expect(rejected).toEqual([401, 401, 400, 400]);
    expect(await store.listConversations()).toEqual([]);
    // No secret configured: every delivery is refused, even one with a header.
    const open = setup({ webhookSecret: undefined });
    expect((await open.webhook(messageCreated, { 'x-max-bot-api-secret': 'anything-at-all-12345' })).status).toBe(401);
    expect(channel.ignoredUpdates().total).toBe(0);
  });

  it('ignores and counts unknown update types, edits and removals', async () => {
    const { webhook, channel, store } = setup();
    expect((await webhook({ update_type: 'dialog_muted', timestamp: 1, chat_id: 1, muted_until: 2 })).status).toBe(200);
    expect((await webhook({ update_type: 'something_new', timestamp: 1 })).status).toBe(200);
    expect((await webhook({ update_type: 'message_removed', timestamp: 1, message_id: 'mid.1' })).status).toBe(200);
    expect(channel.ignoredUpdates()).toEqual({
      total: 3,
      byType: { dialog_muted: 1, something_new: 1, message_removed: 1 },
      byReason: { unhandled_type: 2, edit_or_removal: 1 },
    });
    expect(await store.listConversations()).toEqual([]);
  });
});
