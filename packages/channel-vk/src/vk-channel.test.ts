import { createManualClock } from '@omnidealer/core';
import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import error5 from './__fixtures__/error-5.json';
import error6 from './__fixtures__/error-6.json';
import error9 from './__fixtures__/error-9.json';
import error901 from './__fixtures__/error-901.json';
import confirmationEvent from './__fixtures__/event-confirmation.json';
import allowEvent from './__fixtures__/event-message-allow.json';
import denyEvent from './__fixtures__/event-message-deny.json';
import messageEvent from './__fixtures__/event-message-event.json';
import messageNew from './__fixtures__/event-message-new.json';
import refEvent from './__fixtures__/event-message-new-ref.json';
import readEvent from './__fixtures__/event-message-read.json';
import sendResponse from './__fixtures__/send-response.json';
import { createVkChannel, vkRandomId, vkUserIdOf } from './vk-channel.js';

// Wire shapes: see __fixtures__/README.md (vk-io 4.10.1 types, vksdk's callback tests, logged VK payloads).
const base = 'https://api.vk.ru/method';
const token = 'vk1.a.Hx7pQ2mN9rT4wY6zB8cD0eF3gJ5kL1nP-community-token';
const secret = 'vkSecret7f3a9c2e41';
const groupId = 229010001;
const userId = '310550771';
const sendRoute = `POST ${base}/messages.send`;
const answerRoute = `POST ${base}/messages.sendMessageEventAnswer`;
const api = createTestServer({ [sendRoute]: { json: sendResponse }, [answerRoute]: { json: { response: 1 } } });
beforeEach(() => {
  api.use(sendRoute, { json: sendResponse });
  api.use(answerRoute, { json: { response: 1 } });
});

const text = { type: 'text', text: 'Да, Солярис в наличии' } as const;
const linked = { id: 'c1', phone: '+79161234567', identities: { vk: userId } };
const sends = () => api.callsTo('/messages.send');

function setup(extra: Parameters<typeof createVkChannel>[0] = {}) {
  const clock = createManualClock(Date.parse('2026-04-01T09:00:00Z'));
  const channel = createVkChannel({
    groupId,
    token,
    secret,
    confirmationCode: 'a1b2c3d4',
    screenName: 'dealer_club',
    clock,
    ...extra,
  });
  return { channel, ...createChannelTestHub(channel, { clock }) };
}

describe('createVkChannel', () => {
  it('is a reply-only channel of kind vk: 4096 characters, 20 requests/s, free, named by the community id', () => {
    const { channel } = setup();
    expect(channel).toMatchObject({ id: 'vk', kind: 'vk', accountId: String(groupId) });
    expect(channel.capabilities).toMatchObject({
      address: 'chat',
      canStartConversation: false,
      maxTextLength: 4096,
      interruptedSend: 'resend',
    });
    expect(channel.rateLimit).toEqual({ perSecond: 20 });
    expect(channel.estimateCost(text, linked).money).toEqual({ amountMinor: 0, currency: 'RUB' });
    expect(createVkChannel({ token }).accountId).toMatch(/^token-[0-9a-f]{12}$/);
    expect(createVkChannel({ token, pricing: { perMessageMinor: 35 } }).estimateCost(text, linked)).toMatchObject({
      money: { amountMinor: 35, currency: 'RUB' },
      units: 1,
    });
    expect(channel.secrets?.()).toEqual(expect.arrayContaining([token, secret]));
  });

  it('validates settings strictly and never calls the network on creation', () => {
    expect(() => createVkChannel({ groupId: 'club1' })).toThrow(/settings\.groupId/);
    expect(() => createVkChannel({ apiVersion: 'latest' })).toThrow(/settings\.apiVersion/);
    expect(() => createVkChannel({ screenName: 'has spaces' })).toThrow(/community/);
    expect(() => createVkChannel({ clientId: 'x' } as never)).toThrow(/settings/);
    expect(() => createVkChannel()).not.toThrow();
    expect(api.calls).toHaveLength(0);
  });

  it('canReach: only a contact with a VK user id; opted out and stickers are refused', () => {
    const { channel } = setup();
    const now = Date.now();
    expect(channel.canReach({ contact: { id: 'c2', phone: '+79161234567' }, content: text, now })).toMatchObject({
      reachable: false,
      reason: 'cannot_start_conversation',
    });
    expect(channel.canReach({ contact: linked, content: text, now })).toEqual({ reachable: true, address: userId });
    expect(vkUserIdOf({ id: 'c3', identities: { vkChatIds: ['111', '222'] } })).toBe('222');
    expect(channel.canReach({ contact: { ...linked, consent: { vk: 'opted_out' } }, content: text, now })).toMatchObject({
      reason: 'opted_out',
    });
    const byUrl = { type: 'media', kind: 'image', url: 'https://cdn.dealer.example/solaris.jpg' } as const;
    expect(channel.canReach({ contact: linked, content: byUrl, now })).toEqual({ reachable: true, address: userId });
    const sticker = { type: 'media', kind: 'sticker', mediaId: 'x' } as const;
    expect(channel.canReach({ contact: linked, content: sticker, now })).toMatchObject({ reason: 'unsupported_content' });
  });

  it('inviteLink is https://vk.me/<screen name>?ref=<payload>, or club<id> without a screen name', () => {
    expect(setup().channel.inviteLink?.('c_8f3k2m')).toBe('https://vk.me/dealer_club?ref=c_8f3k2m');
    expect(createVkChannel({ groupId }).inviteLink?.('abc')).toBe(`https://vk.me/club${groupId}?ref=abc`);
    expect(createVkChannel({ token }).inviteLink).toBeUndefined();
  });
});

describe('VK through the hub', () => {
  it('sends messages.send as a form with peer_id, random_id from our message id, the token and v=5.199', async () => {
    const { hub } = setup();
    const sent = await hub.send({ channel: 'vk', contact: linked, content: text });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: '3775' });
    const [call] = sends();
    expect(call?.form).toEqual({
      message: 'Да, Солярис в наличии',
      peer_id: userId,
      random_id: String(vkRandomId(sent.id)),
      group_id: String(groupId),
      access_token: token,
      v: '5.199',
    });
    expect(vkRandomId(sent.id)).toBeGreaterThan(0);
    expect(vkRandomId(sent.id)).toBeLessThanOrEqual(0x7fffffff);
  });

  it('a retried send reuses the same random_id, so VK delivers it once (error 6, then error 10, then success)', async () => {
    const { hub, sleeps } = setup();
    api.use(sendRoute, [
      { json: error6 },
      { json: { error: { error_code: 10, error_msg: 'Internal server error' } } },
      { json: sendResponse },
    ]);
    const sent = await hub.send({ channel: 'vk', contact: linked, content: text });
    expect(sent.status).toBe('sent');
    const randomIds = sends().map((call) => call.form?.random_id);
    expect(randomIds).toHaveLength(3);
    expect(new Set(randomIds)).toEqual(new Set([String(vkRandomId(sent.id))]));
    expect(sleeps[0]).toBe(1000);
    // Another message gets another random_id.
    const other = await hub.send({ channel: 'vk', contact: linked, content: text });
    expect(sends()[3]?.form?.random_id).toBe(String(vkRandomId(other.id)));
    expect(vkRandomId(other.id)).not.toBe(vkRandomId(sent.id));
  });

  it('sends buttons as an inline keyboard of text buttons whose payload is the button id', async () => {
    const { hub } = setup();
    await hub.send({
      channel: 'vk',
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
    const form = sends()[0]?.form ?? {};
    expect(form.message).toBe('Записать вас на тест-драйв?');
    expect(JSON.parse(form.keyboard ?? '')).toEqual({
      inline: true,
      buttons: [
        [{ action: { type: 'text', label: 'Да, в субботу', payload: '{"id":"td:yes"}' } }],
        [{ action: { type: 'text', label: 'Нет, спасибо', payload: '{"id":"td:no"}' } }],
      ],
    });
  });

  it('refuses before any request: a cold contact, text over 4096 characters', async () => {
    const { hub } = setup();
    await expect(
      hub.send({ channel: 'vk', contact: { id: 'cold', phone: '+79161234567' }, content: text }),
    ).rejects.toMatchObject({
      name: 'UnreachableRecipientError',
      reason: 'cannot_start_conversation',
    });
    await expect(
      hub.send({ channel: 'vk', contact: linked, content: { type: 'text', text: 'я'.repeat(4097) } }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'content.text',
    });
    expect(api.calls).toHaveLength(0);
    await expect(
      hub.send({ channel: 'vk', contact: linked, content: { type: 'text', text: '🚗'.repeat(4096) } }),
    ).resolves.toMatchObject({
      status: 'sent',
    });
  });

  it('901 → unreachable (no consent), 5 → AuthError, 9 flood control → final; none retried, the token never shown', async () => {
    const { hub } = setup();
    api.use(sendRoute, { json: error901 });
    expect(await hub.send({ channel: 'vk', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { code: 'unreachable_recipient', providerCode: 901 },
    });
    expect(await hub.reachStats('c1', 'vk')).toMatchObject({ failed: 1, lastFailure: 'no_consent' });
    api.use(sendRoute, { json: error5 });
    const auth = await hub.send({ channel: 'vk', contact: linked, content: text });
    expect(auth).toMatchObject({ status: 'failed', error: { code: 'auth', retryable: false, providerCode: 5 } });
    api.use(sendRoute, { json: error9 });
    expect(await hub.send({ channel: 'vk', contact: linked, content: text })).toMatchObject({
      status: 'failed',
      error: { code: 'rate_limited', retryable: false, providerCode: 9 },
    });
    expect(sends()).toHaveLength(3);
    expect(JSON.stringify(auth)).not.toContain(token);
    expect(JSON.stringify(auth.error)).not.toContain('Да, Солярис');
  });

  it('answers the confirmation event with the confirmation string and every other event with ok, as plain text', async () => {
    const { webhook, received } = setup();
    const confirmed = await webhook(confirmationEvent);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toBe('a1b2c3d4');
    expect(received).toHaveLength(0);
    const handled = await webhook(messageNew);
    expect(handled.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await handled.text()).toBe('ok');
    expect(received[0]).toMatchObject({ direction: 'inbound', providerMessageId: '3774', channel: 'vk' });
    // A redelivery (same event) is answered ok and not applied twice.
    expect(await (await webhook(messageNew)).text()).toBe('ok');
    expect(received).toHaveLength(1);
    // An ignored type is answered ok too, or VK would send it again.
    expect(await (await webhook({ ...messageNew, type: 'message_typing_state', object: { state: 'typing' } })).text()).toBe('ok');
  });

  it('refuses a wrong or missing secret (401) and an event for another community (400); no code configured → 500', async () => {
    const { webhook } = setup();
    expect((await webhook({ ...messageNew, secret: 'vkSecret7f3a9c2e40' })).status).toBe(401);
    const { secret: _secret, ...unsigned } = confirmationEvent;
    expect((await webhook(unsigned)).status).toBe(401);
    expect((await webhook({ ...messageNew, group_id: 1 })).status).toBe(400);
    expect((await webhook('{not json')).status).toBe(400);
    const { webhook: withoutCode } = setup({ confirmationCode: undefined });
    const answer = await withoutCode(confirmationEvent);
    expect(answer.status).toBe(500);
    expect(await answer.text()).not.toContain(secret);
  });

  it('links a contact through hub.inviteLink: the ref of the Start message redeems the invite', async () => {
    const { hub, webhook, store, received } = setup();
    const { id } = await hub.upsertContact({ id: 'c9', phone: '+79161234567' });
    const invite = await hub.inviteLink(id, 'vk');
    expect(invite.url).toBe(`https://vk.me/dealer_club?ref=${invite.payload}`);
    const event = structuredClone(refEvent);
    event.object.message.ref = invite.payload;
    expect(await (await webhook(event)).text()).toBe('ok');
    const contact = await store.getContact(id);
    expect(received[0]).toMatchObject({ contactId: id, metadata: { inboundKind: 'start', payload: invite.payload } });
    expect(JSON.stringify(contact?.identities)).toContain(userId);
    expect(contact?.consent?.vk).toBe('granted');
    // The linked contact is now reachable on VK.
    expect(vkUserIdOf(contact ?? { id })).toBe(userId);
  });

  it('message_deny opts the contact out; message_allow is a start carrying the widget key', async () => {
    const { webhook, received, hub } = setup();
    await webhook(allowEvent);
    expect(received[0]?.metadata).toMatchObject({ inboundKind: 'start', payload: 'c_8f3k2m', vkEventType: 'message_allow' });
    await webhook(denyEvent);
    expect(received[1]?.metadata).toMatchObject({ inboundKind: 'stop' });
    const contact = await hub.store.getContact(received[1]?.contactId as string);
    expect(contact?.consent?.vk).toBe('opted_out');
  });

  it('message_read marks read every message sent to that dialog up to read_message_id, not the later ones', async () => {
    const { hub, webhook, channel } = setup();
    api.use(sendRoute, [{ json: { response: 3785 } }, { json: { response: 3791 } }, { json: { response: 3795 } }]);
    const first = await hub.send({ channel: 'vk', contact: linked, content: text });
    const second = await hub.send({ channel: 'vk', contact: linked, content: text });
    const statuses: string[] = [];
    hub.on('message.status', ({ message }) => statuses.push(`${message.providerMessageId}:${message.status}`));
    // A third, sent after the user read: VK's ids grow, so read_message_id 3791 does not cover it.
    const later = await hub.send({ channel: 'vk', contact: linked, content: text });
    expect(await (await webhook(readEvent)).text()).toBe('ok');
    expect(statuses).toEqual(['3785:read', '3791:read']);
    for (const sent of [first, second]) expect((await hub.store.getMessage(sent.id))?.status).toBe('read');
    expect((await hub.store.getMessage(later.id))?.status).toBe('sent');
    expect(JSON.stringify(channel.ignoredEvents())).not.toContain('message_read');
    // A redelivery changes nothing.
    expect((await webhook(readEvent)).status).toBe(200);
    expect(statuses).toHaveLength(2);
  });

  it("buttons: 'callback' sends callback buttons; a press is a button_reply answered with sendMessageEventAnswer", async () => {
    const { hub, webhook, received } = setup({ buttons: 'callback' });
    await hub.send({
      channel: 'vk',
      contact: linked,
      content: {
        type: 'interactive',
        body: 'Тест-драйв?',
        action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }] },
      },
    });
    expect(JSON.parse(sends()[0]?.form?.keyboard ?? '')).toEqual({
      inline: true,
      buttons: [[{ action: { type: 'callback', label: 'Да', payload: '{"id":"td:yes"}' } }]],
    });
    expect(await (await webhook(messageEvent)).text()).toBe('ok');
    expect(received[0]).toMatchObject({
      direction: 'inbound',
      metadata: { inboundKind: 'button_reply', payload: 'td:yes', vkCallbackEventId: '4a7c9e2f1b8d' },
    });
    await vi.waitFor(() => expect(api.callsTo('/messages.sendMessageEventAnswer')).toHaveLength(1));
    expect(api.callsTo('/messages.sendMessageEventAnswer')[0]?.form).toEqual({
      event_id: '4a7c9e2f1b8d',
      user_id: userId,
      peer_id: userId,
      access_token: token,
      v: '5.199',
    });
  });

  it('answerCallbacks: false leaves the answer to the application; a failed answer changes nothing', async () => {
    const quiet = setup({ answerCallbacks: false });
    expect((await quiet.webhook(messageEvent)).status).toBe(200);
    expect(quiet.received).toHaveLength(1);
    const failing = setup();
    api.use(answerRoute, { json: { error: { error_code: 100, error_msg: 'event_id is expired' } } });
    expect((await failing.webhook(messageEvent)).status).toBe(200);
    expect(failing.received).toHaveLength(1);
    await vi.waitFor(() => expect(api.callsTo('/messages.sendMessageEventAnswer')).toHaveLength(1));
  });
});
