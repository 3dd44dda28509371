import { createManualClock } from '@omnidealer/core';
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
    ...(withTarget ? { webhookTargets: { max: receiver.url('/hooks/max') } } : {}),
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

async function call(sandbox: Sandbox, path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
  const token = init.token === undefined ? sandbox.credentials.max.token : init.token;
  const response = await fetch(`${sandbox.urls.max}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(token === null ? {} : { authorization: token }), 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe('MAX Bot API sandbox', () => {
  it('answers 401 verify.token without the bot token, and GET /me with it', async () => {
    const { sandbox } = await setup();
    expect(await call(sandbox, '/me', { token: null })).toMatchObject({
      status: 401,
      body: { code: 'verify.token', message: 'Invalid access_token' },
    });
    expect(await call(sandbox, '/me', { token: `Bearer ${sandbox.credentials.max.token}` })).toMatchObject({ status: 401 });
    expect(await call(sandbox, '/me')).toMatchObject({
      status: 200,
      body: { user_id: sandbox.credentials.max.botId, username: 'dealer_sandbox_bot', is_bot: true },
    });
  });

  it('delivers bot_started with the payload and the secret header; sends only reach users with a dialog', async () => {
    const { sandbox, receiver } = await setup();
    const userId = 310550771;
    expect((await call(sandbox, `/messages?user_id=${userId}`, { method: 'POST', body: { text: 'Привет' } })).status).toBe(404);
    const started = await sandbox.max.start({ userId, firstName: 'Ирина', payload: 'c_8f3k2m' });
    expect(started.deliveries[0]?.status).toBe(200);
    const [delivery] = receiver.received;
    expect(delivery?.headers['x-max-bot-api-secret']).toBe(sandbox.credentials.max.webhookSecret);
    expect(JSON.parse(delivery?.text ?? '{}')).toMatchObject({
      update_type: 'bot_started',
      payload: 'c_8f3k2m',
      user: { user_id: userId, first_name: 'Ирина', is_bot: false },
      user_id: userId,
      chat_id: expect.any(Number),
      timestamp: start,
    });
    const sent = await call(sandbox, `/messages?user_id=${userId}`, { method: 'POST', body: { text: 'Здравствуйте!' } });
    expect(sent).toMatchObject({
      status: 200,
      body: {
        message: {
          recipient: { user_id: userId, chat_type: 'dialog' },
          body: { mid: expect.stringMatching(/^mid\./), text: 'Здравствуйте!' },
        },
      },
    });
    expect(
      (await call(sandbox, `/messages?user_id=${userId}`, { method: 'POST', body: { text: 'я'.repeat(4001) } })).status,
    ).toBe(400);

    await sandbox.max.stop(userId);
    expect(JSON.parse(receiver.received[1]?.text ?? '{}')).toMatchObject({
      update_type: 'bot_stopped',
      user: { user_id: userId },
    });
    expect(await call(sandbox, `/messages?user_id=${userId}`, { method: 'POST', body: { text: 'Ещё?' } })).toMatchObject({
      status: 403,
      body: { code: 'chat.denied' },
    });
    expect(sandbox.stats().max).toMatchObject({ accepted: 1, inbound: 1, webhooks: { delivered: 2, failed: 0 } });
  });

  it('uploads: upload URL without the token, then attachment.not.ready until processed', async () => {
    const { sandbox, clock } = await setup();
    const user = sandbox.max.addUser();
    const endpoint = await call(sandbox, '/uploads?type=file', { method: 'POST' });
    expect(endpoint.body.url).toMatch(new RegExp(`^${sandbox.urls.max}/upload/`));
    const form = new FormData();
    form.append('data', new Blob([new Uint8Array([1, 2, 3])]), 'price.pdf');
    const uploaded = await fetch(endpoint.body.url, { method: 'POST', body: form });
    const { token } = (await uploaded.json()) as { token: string };
    const body = { attachments: [{ type: 'file', payload: { token } }] };
    expect(await call(sandbox, `/messages?user_id=${user.userId}`, { method: 'POST', body })).toMatchObject({
      status: 400,
      body: { code: 'attachment.not.ready' },
    });
    clock.advance(2000);
    expect((await call(sandbox, `/messages?user_id=${user.userId}`, { method: 'POST', body })).status).toBe(200);
    const video = await call(sandbox, '/uploads?type=video', { method: 'POST' });
    expect(video.body).toEqual({ url: expect.any(String), token: expect.stringMatching(/^video-/) });
  });

  it('subscriptions carry their own secret; without any target updates queue for GET /updates', async () => {
    const { sandbox, receiver } = await setup({}, false);
    const inbound = await sandbox.max.inbound({ text: 'Солярис в наличии?' });
    expect(inbound.deliveries).toEqual([]);
    const page = await call(sandbox, '/updates?types=message_created,bot_started');
    expect(page.body).toMatchObject({
      updates: [{ update_type: 'message_created', message: { body: { text: 'Солярис в наличии?' } } }],
      marker: 1,
    });
    expect((await call(sandbox, '/updates')).body).toEqual({ updates: [], marker: 1 });

    const url = receiver.url('/hooks/max-sub');
    expect(
      await call(sandbox, '/subscriptions', {
        method: 'POST',
        body: { url, secret: 'sub_secret_123456', update_types: ['message_callback'] },
      }),
    ).toMatchObject({
      body: { success: true },
    });
    expect((await call(sandbox, '/subscriptions')).body.subscriptions).toEqual([
      { url, time: start, update_types: ['message_callback'] },
    ]);
    await sandbox.max.press({ userId: inbound.userId, payload: 'td:yes' });
    expect(receiver.received[0]?.headers['x-max-bot-api-secret']).toBe('sub_secret_123456');
    expect(JSON.parse(receiver.received[0]?.text ?? '{}')).toMatchObject({
      update_type: 'message_callback',
      callback: { payload: 'td:yes' },
    });
    await call(sandbox, `/subscriptions?url=${encodeURIComponent(url)}`, { method: 'DELETE' });
    expect((await call(sandbox, '/subscriptions')).body.subscriptions).toEqual([]);
  });

  it('injects 429 with Retry-After in MAX’s shape', async () => {
    const { sandbox } = await setup({
      behaviour: { faults: [{ provider: 'max', kind: 'rate_limit', first: 1, retryAfterSeconds: 2 }] },
    });
    const limited = await call(sandbox, '/me');
    expect(limited).toMatchObject({ status: 429, body: { code: 'too.many.requests' } });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await call(sandbox, '/me')).status).toBe(200);
  });

  it('seeded contacts with identities.max get a dialog', async () => {
    const { sandbox } = await setup({ contacts: [{ id: 'c1', name: 'Ирина', identities: { max: '310550771' } }] });
    expect(sandbox.max.users().get(310550771)).toMatchObject({ firstName: 'Ирина', active: true });
  });
});
