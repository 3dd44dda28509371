import { createVkChannel, createVkPoller } from '@omnidealer/channel-vk';
import { createManualClock, createMemoryStore, createOmnidealer, type Message } from '@omnidealer/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

// Wire format of the VK API as vk-io 4.10.1 speaks it (form POST /method/<name> with access_token and v; errors as
// HTTP 200 `{ error: { error_code, error_msg, request_params } }`) and of Callback API / Bots Long Poll events.
const start = Date.parse('2026-04-01T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}, withTarget = true) {
  const receiver = await startTestReceiver();
  const clock = createManualClock(start);
  const sandbox = await startSandbox({
    seed: 7,
    clock,
    timers: 'manual',
    ...(withTarget ? { webhookTargets: { vk: receiver.url('/hooks/vk') } } : {}),
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

async function call(sandbox: Sandbox, method: string, parameters: Record<string, string | number> = {}, token?: string | null) {
  const form = new URLSearchParams({
    v: '5.199',
    ...Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)])),
  });
  const accessToken = token === undefined ? sandbox.credentials.vk.token : token;
  if (accessToken !== null) form.set('access_token', accessToken);
  const response = await fetch(`${sandbox.urls.vk}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: form.toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('VK API sandbox', () => {
  it('answers error 5 with HTTP 200 without the token, never echoing it in request_params', async () => {
    const { sandbox } = await setup();
    const refused = await call(sandbox, 'messages.send', { peer_id: 1, random_id: 1, message: 'x' }, 'wrong');
    expect(refused).toMatchObject({ status: 200, body: { error: { error_code: 5 } } });
    expect(JSON.stringify(refused.body)).not.toContain('wrong');
    expect((await call(sandbox, 'nope.method')).body).toMatchObject({ error: { error_code: 3 } });
  });

  it('delivers Start through vk.me?ref= with the secret; sends reach users who allowed messages, once per random_id', async () => {
    const { sandbox, receiver } = await setup();
    const userId = 310550771;
    expect((await call(sandbox, 'messages.send', { peer_id: userId, random_id: 42, message: 'Привет' })).body).toMatchObject({
      error: { error_code: 901 },
    });
    const started = await sandbox.vk.start({ userId, ref: 'c_8f3k2m', refSource: 'sms' });
    expect(started.deliveries[0]?.status).toBe(200);
    expect(JSON.parse(receiver.received[0]?.text ?? '{}')).toMatchObject({
      type: 'message_new',
      group_id: sandbox.credentials.vk.groupId,
      secret: sandbox.credentials.vk.secret,
      v: '5.199',
      event_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      object: {
        message: {
          from_id: userId,
          peer_id: userId,
          text: 'Начать',
          payload: '{"command":"start"}',
          ref: 'c_8f3k2m',
          ref_source: 'sms',
        },
        client_info: { inline_keyboard: true },
      },
    });
    const first = await call(sandbox, 'messages.send', { peer_id: userId, random_id: 42, message: 'Здравствуйте!' });
    expect(first.body).toEqual({ response: expect.any(Number) });
    // A retry with the same random_id is not delivered again: VK answers the same message id.
    const repeated = await call(sandbox, 'messages.send', { peer_id: userId, random_id: 42, message: 'Здравствуйте!' });
    expect(repeated.body).toEqual(first.body);
    expect(sandbox.vk.sent()).toHaveLength(1);
    expect((await call(sandbox, 'messages.send', { peer_id: userId, message: 'no random id' })).body).toMatchObject({
      error: { error_code: 100 },
    });
    expect(
      (await call(sandbox, 'messages.send', { peer_id: userId, random_id: 43, message: 'я'.repeat(4097) })).body,
    ).toMatchObject({
      error: { error_code: 914 },
    });
    await sandbox.vk.deny(userId);
    expect(JSON.parse(receiver.received[1]?.text ?? '{}')).toMatchObject({ type: 'message_deny', object: { user_id: userId } });
    expect((await call(sandbox, 'messages.send', { peer_id: userId, random_id: 44, message: 'Ещё?' })).body).toMatchObject({
      error: { error_code: 901 },
    });
    expect(sandbox.stats().vk).toMatchObject({ accepted: 1, duplicates: 1, inbound: 1, webhooks: { delivered: 2, failed: 0 } });
  });

  it('a button press carries the payload and the label of the keyboard sent', async () => {
    const { sandbox, receiver } = await setup();
    const user = sandbox.vk.addUser();
    const keyboard = {
      inline: true,
      buttons: [[{ action: { type: 'text', label: 'Да, в субботу', payload: '{"id":"td:yes"}' } }]],
    };
    await call(sandbox, 'messages.send', {
      peer_id: user.userId,
      random_id: 7,
      message: 'Тест-драйв?',
      keyboard: JSON.stringify(keyboard),
    });
    await sandbox.vk.press({ userId: user.userId, id: 'td:yes' });
    expect(JSON.parse(receiver.received[0]?.text ?? '{}').object.message).toMatchObject({
      text: 'Да, в субботу',
      payload: '{"id":"td:yes"}',
    });
    expect(
      (await call(sandbox, 'messages.send', { peer_id: user.userId, random_id: 8, message: 'x', keyboard: '{' })).body,
    ).toMatchObject({
      error: { error_code: 911 },
    });
  });

  it('without a target, events queue for Bots Long Poll: getLongPollServer, a_check, failed 1 and 2', async () => {
    const { sandbox } = await setup({}, false);
    await sandbox.vk.allow({ userId: 310550771, key: 'c_8f3k2m' });
    await sandbox.vk.inbound({ userId: 310550771, text: 'Солярис в наличии?' });
    const { body } = await call(sandbox, 'groups.getLongPollServer', { group_id: sandbox.credentials.vk.groupId });
    const { key, server, ts } = body.response as { key: string; server: string; ts: string };
    expect(server).toBe(`${sandbox.urls.base}/vk/lp/${sandbox.credentials.vk.groupId}`);
    const poll = async (query: Record<string, string>) =>
      (await fetch(`${server}?${new URLSearchParams({ act: 'a_check', wait: '25', ...query })}`)).json() as Promise<
        Record<string, any>
      >;
    const page = await poll({ key, ts });
    expect(page.ts).toBe(String(Number(ts) + 2));
    expect(page.updates).toMatchObject([
      { type: 'message_allow', object: { user_id: 310550771, key: 'c_8f3k2m' } },
      { type: 'message_new', object: { message: { text: 'Солярис в наличии?' } } },
    ]);
    expect(page.updates[0]).not.toHaveProperty('secret');
    expect(await poll({ key, ts: page.ts })).toEqual({ ts: page.ts, updates: [] });
    expect(await poll({ key: 'expired', ts: page.ts })).toEqual({ failed: 2 });
    expect(await poll({ key, ts: String(Number(page.ts) + 100) })).toEqual({ failed: 1, ts: page.ts });
    expect((await call(sandbox, 'groups.getLongPollServer', { group_id: 1 })).body).toMatchObject({ error: { error_code: 15 } });
  });

  it('injects VK-shaped faults (error 6 with HTTP 200) and seeds users from contacts', async () => {
    const { sandbox } = await setup({
      behaviour: { faults: [{ provider: 'vk', kind: 'rate_limit', first: 1 }] },
      contacts: [{ id: 'c1', name: 'Ирина', identities: { vk: '310550771' } }],
    });
    expect(await call(sandbox, 'messages.send', { peer_id: 310550771, random_id: 1, message: 'x' })).toMatchObject({
      status: 200,
      body: { error: { error_code: 6, error_msg: 'Too many requests per second' } },
    });
    expect((await call(sandbox, 'messages.send', { peer_id: 310550771, random_id: 1, message: 'x' })).body).toEqual({
      response: expect.any(Number),
    });
    expect(sandbox.vk.users().get(310550771)).toMatchObject({ firstName: 'Ирина', allowed: true });
  });
});

describe('VK channel against the sandbox', () => {
  it('links a contact through vk.me?ref= over Bots Long Poll, sends buttons once per random_id, reads the press and the deny', async () => {
    const { sandbox } = await setup({}, false);
    const channel = createVkChannel({
      groupId: sandbox.credentials.vk.groupId,
      token: sandbox.credentials.vk.token,
      screenName: sandbox.credentials.vk.screenName,
      baseURL: sandbox.urls.vk,
      rateLimit: { perSecond: 1000 },
    });
    const hub = createOmnidealer({ channels: [channel], store: createMemoryStore() });
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    const poller = createVkPoller({ channel, deliver: (request) => hub.handleWebhook(channel.id, request), waitSeconds: 1 });

    await hub.upsertContact({ id: 'crm-1', phone: '+79161234567' });
    const invite = await hub.inviteLink('crm-1', 'vk');
    expect(invite.url).toBe(`https://vk.me/dealer_sandbox_club?ref=${invite.payload}`);
    const { userId } = await sandbox.vk.start({ ref: invite.payload, refSource: 'sms' });
    expect(await poller.pollOnce()).toBe(1);
    expect(received[0]).toMatchObject({ contactId: 'crm-1', metadata: { inboundKind: 'start', payload: invite.payload } });

    const sent = await hub.send({
      channel: 'vk',
      contact: { id: 'crm-1' },
      content: {
        type: 'interactive',
        body: 'Записать вас на тест-драйв?',
        action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да, в субботу' }] },
      },
    });
    expect(sent).toMatchObject({ status: 'sent', providerMessageId: String(sandbox.vk.sent()[0]?.id) });
    expect(sandbox.vk.sent()[0]).toMatchObject({ peerId: userId, text: 'Записать вас на тест-драйв?' });

    await sandbox.vk.press({ userId, id: 'td:yes' });
    await sandbox.vk.deny(userId);
    expect(await poller.pollOnce()).toBe(2);
    expect(received.slice(1).map((message) => [message.metadata?.inboundKind, message.metadata?.payload])).toEqual([
      ['button_reply', 'td:yes'],
      ['stop', undefined],
    ]);
    await expect(
      hub.send({ channel: 'vk', contact: { id: 'crm-1' }, content: { type: 'text', text: 'Ещё?' } }),
    ).rejects.toMatchObject({
      name: 'UnreachableRecipientError',
      reason: 'opted_out',
    });
    expect(sandbox.vk.sent()).toHaveLength(1);
  });

  it('callback buttons: the press is a message_event the channel answers; message_read marks the sends read', async () => {
    const { sandbox } = await setup({}, false);
    const channel = createVkChannel({
      groupId: sandbox.credentials.vk.groupId,
      token: sandbox.credentials.vk.token,
      baseURL: sandbox.urls.vk,
      rateLimit: { perSecond: 1000 },
      buttons: 'callback',
    });
    const hub = createOmnidealer({ channels: [channel], store: createMemoryStore() });
    const received: Message[] = [];
    hub.on('message.received', ({ message }) => received.push(message));
    const poller = createVkPoller({ channel, deliver: (request) => hub.handleWebhook(channel.id, request), waitSeconds: 1 });
    const { userId } = await sandbox.vk.inbound({ userId: 310550771, text: 'Здравствуйте' });
    expect(await poller.pollOnce()).toBe(1);
    const contact = { id: received[0]?.contactId as string };
    const first = await hub.send({ channel: 'vk', contact, content: { type: 'text', text: 'Добрый день!' } });
    const second = await hub.send({
      channel: 'vk',
      contact,
      content: {
        type: 'interactive',
        body: 'Тест-драйв?',
        action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }] },
      },
    });
    const pressed = await sandbox.vk.press({ userId, id: 'td:yes' });
    expect(pressed.event).toMatchObject({ type: 'message_event', object: { payload: { id: 'td:yes' }, peer_id: userId } });
    await sandbox.vk.read({ userId });
    expect(await poller.pollOnce()).toBe(2);
    expect(received[1]?.metadata).toMatchObject({ inboundKind: 'button_reply', payload: 'td:yes' });
    await vi.waitFor(() =>
      expect(sandbox.vk.answeredEvents()).toEqual([(pressed.event.object as { event_id: string }).event_id]),
    );
    for (const sent of [first, second]) expect((await hub.store.getMessage(sent.id))?.status).toBe('read');
  });

  it('sends media by URL: uploads a photo and a document through the upload servers, then sends their attachments', async () => {
    const { sandbox } = await setup({}, false);
    const media = await startTestReceiver((request) => ({ status: 200, body: `file at ${request.path}` }));
    stops.push(media.close);
    const channel = createVkChannel({
      groupId: sandbox.credentials.vk.groupId,
      token: sandbox.credentials.vk.token,
      baseURL: sandbox.urls.vk,
      rateLimit: { perSecond: 1000 },
      allowPrivateMediaUrls: true, // the media host is on loopback
    });
    const hub = createOmnidealer({ channels: [channel], store: createMemoryStore(), allowPrivateMediaUrls: true });
    const { userId } = await sandbox.vk.start({});
    const contact = { id: 'crm-2', identities: { vk: String(userId) } };
    const photo = await hub.send({
      channel: 'vk',
      contact,
      content: { type: 'media', kind: 'image', url: media.url('/photos/solaris.jpg'), caption: 'Солярис' },
    });
    const doc = await hub.send({
      channel: 'vk',
      contact,
      content: { type: 'media', kind: 'document', url: media.url('/docs/price-list.pdf') },
    });
    expect([photo.status, doc.status]).toEqual(['sent', 'sent']);
    const [photoSent, docSent] = sandbox.vk.sent();
    expect(photoSent).toMatchObject({ text: 'Солярис', attachment: expect.stringMatching(/^photo-\d+_\d+_[0-9a-f]+$/) });
    expect(docSent?.attachment).toMatch(/^doc-\d+_\d+$/);
    expect(sandbox.vk.uploads().get(photoSent?.attachment ?? '')).toMatchObject({ type: 'photo', filename: 'solaris.jpg' });
    expect(sandbox.vk.uploads().get(docSent?.attachment ?? '')).toMatchObject({ type: 'doc', filename: 'price-list.pdf' });
    expect(sandbox.stats().vk.uploads).toBe(2);
  });
});
