import { createMemoryStore, createOmnidealer, WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import confirmation from './__fixtures__/event-confirmation.json';
import allow from './__fixtures__/event-message-allow.json';
import deny from './__fixtures__/event-message-deny.json';
import messageEvent from './__fixtures__/event-message-event.json';
import messageNew from './__fixtures__/event-message-new.json';
import button from './__fixtures__/event-message-new-button.json';
import chat from './__fixtures__/event-message-new-chat.json';
import doc from './__fixtures__/event-message-new-doc.json';
import photo from './__fixtures__/event-message-new-photo.json';
import ref from './__fixtures__/event-message-new-ref.json';
import messageRead from './__fixtures__/event-message-read.json';
import reply from './__fixtures__/event-message-reply.json';
import { createVkChannel } from './vk-channel.js';
import { parseVkWebhook, type VkIgnoredReason } from './vk-webhook.js';

// Payloads reproduce VK's Callback API shapes as logged from VK and typed by vk-io 4.10.1 and SevereCloud/vksdk;
// sources per fixture in __fixtures__/README.md.
const secret = 'vkSecret7f3a9c2e41';
const now = Date.parse('2026-04-01T09:00:00Z');
const request = (body: unknown): WebhookRequest => ({
  method: 'POST',
  url: new URL('https://crm.example/hooks/vk'),
  headers: new Headers({ 'content-type': 'application/json' }),
  body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
});
const parse = (body: unknown, onIgnored?: (type: string, reason: VkIgnoredReason) => void) =>
  parseVkWebhook(request(body), { secret, confirmationCode: () => 'a1b2c3d4', groupId: 229010001, now: () => now, onIgnored });

describe('parseVkWebhook', () => {
  it('confirmation → the confirmation string as plain text, no event', async () => {
    const result = await parse(confirmation);
    expect(result.events).toEqual([]);
    expect(await result.response?.text()).toBe('a1b2c3d4');
    expect(result.response?.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('message_new in a dialog → inbound text from the user id, answered ok', async () => {
    const result = await parse(messageNew);
    expect(result.events).toEqual([
      {
        type: 'inbound',
        providerMessageId: '3774',
        from: '310550771',
        senderId: '310550771',
        conversationExternalId: '310550771',
        content: { type: 'text', text: 'Здравствуйте! Солярис ещё в наличии?' },
        kind: 'message',
        at: 1775053255000,
        metadata: {
          vkEventType: 'message_new',
          vkEventId: '45586712573ba1939fbad3b0f37ed885781bb8a6',
          vkConversationMessageId: 2551,
          vkLangId: 0,
        },
      },
    ]);
    expect(await result.response?.text()).toBe('ok');
  });

  it('a message through vk.me/<club>?ref= → kind start with the ref as payload and ref_source in metadata', async () => {
    const [event] = (await parse(ref)).events;
    expect(event).toMatchObject({
      kind: 'start',
      payload: 'c_8f3k2m',
      content: { type: 'text', text: 'Начать' },
      metadata: { vkRefSource: 'sms' },
    });
    // The Start button without a ref is a start without payload.
    const plain = structuredClone(ref) as { object: { message: Record<string, unknown> } };
    delete plain.object.message.ref;
    delete plain.object.message.ref_source;
    const [started] = (await parse(plain)).events;
    expect(started).toMatchObject({ kind: 'start' });
    expect(started).not.toHaveProperty('payload');
  });

  it('a keyboard button press → button_reply with our button id; a foreign payload is passed raw', async () => {
    expect((await parse(button)).events[0]).toMatchObject({
      kind: 'button_reply',
      payload: 'td:yes',
      content: { type: 'text', text: 'Да, в субботу' },
    });
    const foreign = structuredClone(button);
    foreign.object.message.payload = '{"payload":"set 1"}';
    expect((await parse(foreign)).events[0]).toMatchObject({ kind: 'button_reply', payload: '{"payload":"set 1"}' });
  });

  it('photo → image (largest size) with the text as caption; doc → document with its title', async () => {
    expect((await parse(photo)).events[0]).toMatchObject({
      kind: 'message',
      content: {
        type: 'media',
        kind: 'image',
        url: 'https://sun9-3.userapi.com/c857236/v857236595/124a59/nJXapHnUbeo.jpg',
        caption: 'Вот VIN с СТС',
      },
    });
    expect((await parse(doc)).events[0]).toMatchObject({
      content: {
        type: 'media',
        kind: 'document',
        filename: 'sts.pdf',
        url: expect.stringMatching(/^https:\/\/vk\.com\/doc310550771_680123456/),
      },
    });
    const sticker = structuredClone(messageNew) as { object: { message: Record<string, unknown> } };
    sticker.object.message.text = '';
    sticker.object.message.attachments = [{ type: 'sticker', sticker: { sticker_id: 9 } }];
    expect((await parse(sticker)).events[0]).toMatchObject({ kind: 'unsupported', content: { text: '[VK sticker]' } });
  });

  it('message_allow → start with the widget key; message_deny → stop; both keyed by event id', async () => {
    expect((await parse(allow)).events[0]).toMatchObject({
      providerMessageId: 'message_allow:310550771:6620fbc5a2989646e166e9802172b2b7e97659fc',
      kind: 'start',
      payload: 'c_8f3k2m',
      at: now,
    });
    const [stopped] = (await parse(deny)).events;
    expect(stopped).toMatchObject({ kind: 'stop', from: '310550771' });
    expect(stopped).not.toHaveProperty('payload');
  });

  // Shape: SevereCloud/vksdk `events/objects.go` `MessageReadObject` (`from_id`, `peer_id`, `read_message_id`) and its
  // `events_test.go` (`{"from_id":1,"peer_id":1,"read_message_id":1}`); vk-io 4.10.1 lists `message_read` in `CallbackType`.
  it('message_read → one read status for read_message_id that covers the earlier sends (the hub marks them)', async () => {
    const result = await parse(messageRead);
    expect(result.events).toEqual([{ type: 'status', providerMessageId: '3791', status: 'read', at: now, coversEarlier: true }]);
    expect(await result.response?.text()).toBe('ok');
    // `conversation_message_id` (in some deliveries) changes nothing.
    const withConversationId = await parse({ ...messageRead, object: { ...messageRead.object, conversation_message_id: 2570 } });
    expect(withConversationId.events).toEqual(result.events);
  });

  // Shape: vk-io 4.10.1 `IMessageEventContextPayload` (`user_id`, `peer_id`, `event_id`, `payload`,
  // `conversation_message_id`) and SevereCloud/vksdk `MessageEventObject` (`payload` raw JSON: VK sends the object).
  it('message_event (a callback button) → button_reply with our button id and the event id to answer', async () => {
    const result = await parse(messageEvent);
    expect(result.events).toEqual([
      {
        type: 'inbound',
        providerMessageId: 'callback:4a7c9e2f1b8d',
        from: '310550771',
        senderId: '310550771',
        conversationExternalId: '310550771',
        content: { type: 'text', text: 'td:yes' },
        kind: 'button_reply',
        payload: 'td:yes',
        at: now,
        metadata: {
          vkEventType: 'message_event',
          vkEventId: 'c41f0a9e7b2d58e3a6f1b04d92e7c5a8f3b6d0e2',
          vkCallbackEventId: '4a7c9e2f1b8d',
          vkPeerId: 310550771,
          vkConversationMessageId: 2560,
        },
      },
    ]);
    expect(await result.response?.text()).toBe('ok');
    // A payload sent as a JSON string, and someone else's payload, passed on as JSON.
    const asString = await parse({ ...messageEvent, object: { ...messageEvent.object, payload: '{"id":"td:no"}' } });
    expect(asString.events[0]).toMatchObject({ kind: 'button_reply', payload: 'td:no' });
    const foreign = await parse({ ...messageEvent, object: { ...messageEvent.object, payload: { command: 'menu' } } });
    expect(foreign.events[0]).toMatchObject({ kind: 'button_reply', payload: '{"command":"menu"}' });
  });

  it('ignores (and answers ok) our own replies, edits, chats and unhandled types', async () => {
    const seen: Array<[string, VkIgnoredReason]> = [];
    const onIgnored = (type: string, reason: VkIgnoredReason) => seen.push([type, reason]);
    for (const body of [
      reply,
      { ...reply, type: 'message_edit' },
      chat,
      { ...messageRead, object: { ...messageRead.object, peer_id: 2000000001 } },
      { ...messageEvent, object: { ...messageEvent.object, peer_id: 2000000001 } },
      { ...allow, type: 'group_join', object: { user_id: 1 } },
    ]) {
      const result = await parse(body, onIgnored);
      expect(result).toMatchObject({ events: [], ignored: 1 });
      expect(await result.response?.text()).toBe('ok');
    }
    expect(seen).toEqual([
      ['message_reply', 'outgoing_or_edit'],
      ['message_edit', 'outgoing_or_edit'],
      ['message_new', 'not_a_dialog'],
      ['message_read', 'not_a_dialog'],
      ['message_event', 'not_a_dialog'],
      ['group_join', 'unhandled_type'],
    ]);
  });

  it('refuses a missing, wrong or unconfigured secret (401) and malformed events (400)', async () => {
    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 200,
        (error: WebhookError) => (WebhookError.isInstance(error) ? error.status : 0),
      );
    const { secret: _secret, ...unsigned } = messageNew;
    expect(await status(parse(unsigned))).toBe(401);
    expect(await status(parse({ ...messageNew, secret: 'vkSecret7f3a9c2e4' }))).toBe(401);
    expect(
      await status(parseVkWebhook(request(confirmation), { secret: undefined, confirmationCode: () => 'x', now: () => now })),
    ).toBe(401);
    expect(await status(parse('not json'))).toBe(400);
    expect(await status(parse([messageNew]))).toBe(400);
    expect(await status(parse({ ...messageNew, group_id: 1 }))).toBe(400);
    expect(await status(parse({ ...messageNew, object: { message: { text: 'no ids' } } }))).toBe(400);
    expect(await status(parse({ ...deny, object: {} }))).toBe(400);
    expect(await status(parse({ ...messageRead, object: { from_id: 310550771, peer_id: 310550771 } }))).toBe(400);
    expect(await status(parse({ ...messageEvent, object: { user_id: 310550771, peer_id: 310550771 } }))).toBe(400);
  });
});

describe('one webhook URL for several VK communities (hub.handleWebhook("vk", …))', () => {
  // The second community's event is the same `message_new` with its own `group_id` and Callback API secret.
  const otherGroup = 229010002;
  const otherSecret = 'vkSecretOther0b1c2d3e';
  const forGroup = (event: object, groupId: number, groupSecret: string) => ({
    ...event,
    group_id: groupId,
    secret: groupSecret,
  });
  function setup() {
    const base = { token: 'vk1.a.group-token', confirmationCode: 'a1b2c3d4' };
    const north = createVkChannel({ ...base, id: 'vk-north', groupId: 229010001, secret });
    const south = createVkChannel({
      ...base,
      id: 'vk-south',
      groupId: otherGroup,
      secret: otherSecret,
      confirmationCode: 'e5f6a7b8',
    });
    const hub = createOmnidealer({ channels: [north, south], store: createMemoryStore() });
    const received: string[] = [];
    const unrouted: unknown[] = [];
    hub.on('message.received', ({ message }) => received.push(message.channel));
    hub.on('webhook.unrouted', (event) => unrouted.push(event));
    const post = (body: unknown) =>
      hub.handleWebhook('vk', new Request('https://crm.example/hooks/vk', { method: 'POST', body: JSON.stringify(body) }));
    return { received, unrouted, post };
  }

  it('routes events by group_id, answers each community’s confirmation, and refuses an unknown community (404)', async () => {
    const { received, unrouted, post } = setup();
    expect(await (await post(forGroup(confirmation, otherGroup, otherSecret))).text()).toBe('e5f6a7b8');
    expect((await post(forGroup(messageNew, otherGroup, otherSecret))).status).toBe(200);
    expect((await post(messageNew)).status).toBe(200);
    expect((await post(forGroup(messageNew, 229010999, otherSecret))).status).toBe(404);
    expect(received).toEqual(['vk-south', 'vk-north']);
    expect(unrouted).toEqual([{ provider: 'vk', accounts: ['…0999'], status: 404 }]);
  });

  it('still checks the community’s secret (401 with another community’s secret)', async () => {
    const { received, post } = setup();
    expect((await post(forGroup(messageNew, otherGroup, secret))).status).toBe(401);
    expect(received).toEqual([]);
  });
});
