import { createMemoryStore, createOmnidealer, WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import chatFixture from './__fixtures__/chat.json';
import echoFixture from './__fixtures__/webhook-echo.json';
import imageFixture from './__fixtures__/webhook-image.json';
import messageFixture from './__fixtures__/webhook-message.json';
import systemFixture from './__fixtures__/webhook-system.json';
import { createAvitoChannel } from './avito-channel.js';
import { toAvitoChat } from './avito-client.js';
import { avitoContentToMessage, hasAvitoWebhookSecret, parseAvitoWebhook } from './avito-webhook.js';

const userId = '94235311';
const secret = 'k7Qw2mZx9RtY4vBn8LpA';
const hookUrl = `https://crm.example/hooks/avito/${secret}`;

function request(body: unknown, url = hookUrl): WebhookRequest {
  return {
    method: 'POST',
    url: new URL(url),
    headers: new Headers({ 'content-type': 'application/json' }),
    body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

describe('parseAvitoWebhook', () => {
  it('turns a buyer text message into an inbound event linked to the chat and the listing', async () => {
    const result = await parseAvitoWebhook(request(messageFixture), { userId, webhookSecret: secret });
    expect(result.ignored).toBeUndefined();
    expect(result.events).toEqual([
      {
        type: 'inbound',
        providerMessageId: '5d1f0a9c2e8b47a6b3c4d5e6f7a8b9c0',
        from: 'u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg',
        senderId: '31337420',
        conversationExternalId: 'u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg',
        content: { type: 'text', text: 'Здравствуйте! Ещё продаётся? Какой VIN?' },
        kind: 'message',
        at: 1764046800_000,
        subject: { itemId: 4182736451, chatType: 'u2i' },
        metadata: {
          avitoType: 'text',
          avitoAuthorId: '31337420',
          avitoEventId: '4a6f8b2c-1d3e-4f5a-9b7c-8d0e2f4a6b1c',
          avitoChatType: 'u2i',
        },
      },
    ]);
  });

  it('adds the listing title, price, url and the buyer name when a chat lookup is given', async () => {
    const looked: string[] = [];
    const result = await parseAvitoWebhook(request(messageFixture), {
      userId,
      lookupChat: async (chatId) => {
        looked.push(chatId);
        return toAvitoChat(chatFixture);
      },
    });
    expect(looked).toEqual(['u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg']);
    expect(result.events[0]).toMatchObject({
      profileName: 'Дмитрий',
      subject: {
        itemId: 4182736451,
        title: 'Hyundai Solaris 1.6 AT, 2019, 84 000 км',
        price: '1 150 000 ₽',
        url: 'https://www.avito.ru/moskva/avtomobili/hyundai_solaris_1.6_at_2019_84_000_km_4182736451',
        chatType: 'u2i',
      },
    });
  });

  it('still delivers the event when the chat lookup fails', async () => {
    const result = await parseAvitoWebhook(request(messageFixture), {
      userId,
      lookupChat: async () => {
        throw new Error('avito down');
      },
    });
    expect(result.events[0]).toMatchObject({ subject: { itemId: 4182736451 } });
  });

  it('accepts an `a2u` chat (Avito → user) and keeps its chat type', async () => {
    // chat_type values per Avito's Messenger API spec: u2i, u2u, a2u.
    const a2u = structuredClone(messageFixture);
    a2u.payload.value.chat_type = 'a2u';
    a2u.payload.value.chat_id = 'a2u-Xc1bQm2dPq8rT5vW0yZ3aB';
    const result = await parseAvitoWebhook(request(a2u), { userId });
    expect(result.events[0]).toMatchObject({
      conversationExternalId: 'a2u-Xc1bQm2dPq8rT5vW0yZ3aB',
      subject: { chatType: 'a2u' },
      metadata: { avitoChatType: 'a2u' },
    });
  });

  it('maps an image message to image media with the largest size', async () => {
    const result = await parseAvitoWebhook(request(imageFixture), { userId });
    expect(result.events[0]).toMatchObject({
      content: { type: 'media', kind: 'image', url: 'https://00.img.avito.st/image/1/1.chat.1280x960.jpg' },
      kind: 'message',
    });
  });

  it('ignores our own echoes and system messages, counting them in `ignored`', async () => {
    const echo = await parseAvitoWebhook(request(echoFixture), { userId });
    expect(echo).toEqual({ events: [], ignored: 1 });
    const system = await parseAvitoWebhook(request(systemFixture), { userId });
    expect(system).toEqual({ events: [], ignored: 1 });
    // With another account id the same "echo" is a buyer message: the rule is the author, not the payload shape.
    const other = await parseAvitoWebhook(request(echoFixture), { userId: '1' });
    expect(other.events).toHaveLength(1);
  });

  it('ignores deleted messages and other event types', async () => {
    const deleted = structuredClone(messageFixture);
    deleted.payload.value.type = 'deleted';
    expect(await parseAvitoWebhook(request(deleted), { userId })).toEqual({ events: [], ignored: 1 });
    const other = { ...messageFixture, payload: { type: 'chat_blocked', value: {} } };
    expect(await parseAvitoWebhook(request(other), { userId })).toEqual({ events: [], ignored: 1 });
  });

  it('keeps voice, call and file messages as labelled unsupported text', () => {
    expect(avitoContentToMessage('voice', { voice: { voice_id: 'v1' } })).toEqual({
      content: { type: 'text', text: '[Avito voice message]' },
      kind: 'unsupported',
    });
    expect(avitoContentToMessage('location', { location: { lat: 55.75, lon: 37.62, title: 'Москва' } })).toEqual({
      content: { type: 'location', latitude: 55.75, longitude: 37.62, name: 'Москва' },
      kind: 'message',
    });
    expect(avitoContentToMessage('link', { link: { text: 'смотрите', url: 'https://auto.ru/x' } }).content).toEqual({
      type: 'text',
      text: 'смотрите https://auto.ru/x',
    });
  });

  it('accepts the secret as ?token= and rejects a wrong or missing secret with 401', async () => {
    const viaQuery = await parseAvitoWebhook(request(messageFixture, `https://crm.example/hooks/avito?token=${secret}`), {
      userId,
      webhookSecret: secret,
    });
    expect(viaQuery.events).toHaveLength(1);
    for (const url of [
      'https://crm.example/hooks/avito',
      'https://crm.example/hooks/avito/k7Qw2mZx9RtY4vBn8LpB',
      `https://crm.example/hooks/avito?token=${secret.slice(0, -1)}`,
    ]) {
      const error = await parseAvitoWebhook(request(messageFixture, url), { userId, webhookSecret: secret }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toSatisfy(WebhookError.isInstance);
      expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
      expect((error as Error).message).not.toContain(secret.slice(0, 10));
    }
  });

  it('checks the secret before reading the body', async () => {
    await expect(
      parseAvitoWebhook(request('not json', 'https://crm.example/hooks/avito/wrong'), { userId, webhookSecret: secret }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('answers the URL check `POST {}` with no events (Avito docs: «проверьте URL запросом POST {} — ожидается 200»)', async () => {
    // Source: Avito Messenger API documentation, webhook section (https://developers.avito.ru/api-catalog/messenger/documentation).
    expect(await parseAvitoWebhook(request({}), { userId, webhookSecret: secret })).toEqual({ events: [] });
    // The check still needs the secret when one is set.
    await expect(
      parseAvitoWebhook(request({}, 'https://crm.example/hooks/avito'), { userId, webhookSecret: secret }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('rejects malformed bodies with 400', async () => {
    for (const body of [
      'not json',
      { hello: 'world' },
      { ...messageFixture, payload: { type: 'message', value: { id: 'x' } } },
    ]) {
      const error = await parseAvitoWebhook(request(body), { userId }).catch((caught: unknown) => caught);
      expect(error).toSatisfy(WebhookError.isInstance);
      expect(error).toMatchObject({ status: 400, code: 'webhook_malformed' });
    }
  });
});

describe('secret comparison', () => {
  it('finds the secret as a decoded path segment or the token parameter, and nothing close to it', async () => {
    expect(await hasAvitoWebhookSecret(new URL(`https://x.example/a/${encodeURIComponent('s/e cret')}/b`), 's/e cret')).toBe(
      true,
    );
    expect(await hasAvitoWebhookSecret(new URL('https://x.example/hooks?token=s3cret'), 's3cret')).toBe(true);
    expect(await hasAvitoWebhookSecret(new URL('https://x.example/hooks/s3cre/s3cret2?token=s3cre'), 's3cret')).toBe(false);
  });
});

describe('one webhook URL for several Avito accounts (hub.handleWebhook("avito", …))', () => {
  // `webhook-message.json` is a v3 `message` event (Avito Messenger API, webhook v3); the second account's delivery is
  // the same event with `payload.value.user_id` set to that account, as Avito sends each account's chats.
  const secondUserId = 51234567;
  const secondSecret = 'Zp3Lq8Wn2Xc6Vb1Mk9Jh';
  const forAccount = (account: number, messageId: string) => ({
    ...messageFixture,
    payload: { ...messageFixture.payload, value: { ...messageFixture.payload.value, user_id: account, id: messageId } },
  });
  function setup() {
    const base = { clientId: 'client-id-123', clientSecret: 'client-secret-xyz-987', webhookListingLookup: false } as const;
    const first = createAvitoChannel({ ...base, id: 'avito-north', userId, webhookSecret: secret });
    const second = createAvitoChannel({ ...base, id: 'avito-south', userId: secondUserId, webhookSecret: secondSecret });
    const hub = createOmnidealer({ channels: [first, second], store: createMemoryStore() });
    const received: string[] = [];
    const unrouted: unknown[] = [];
    hub.on('message.received', ({ message }) => received.push(`${message.channel}:${message.providerMessageId}`));
    hub.on('webhook.unrouted', (event) => unrouted.push(event));
    const post = (body: unknown, accountSecret = secret) =>
      hub.handleWebhook(
        'avito',
        new Request(`https://crm.example/hooks/avito/${accountSecret}`, { method: 'POST', body: JSON.stringify(body) }),
      );
    return { hub, received, unrouted, post };
  }

  it('routes each delivery to the account its payload.value.user_id names', async () => {
    const { received, post } = setup();
    expect((await post(forAccount(secondUserId, 'm-south'), secondSecret)).status).toBe(200);
    expect((await post(forAccount(Number(userId), 'm-north'))).status).toBe(200);
    expect(received).toEqual(['avito-south:m-south', 'avito-north:m-north']);
  });

  it('refuses an event for an account no channel holds (404), applied to no other account', async () => {
    const { received, unrouted, post } = setup();
    expect((await post(forAccount(77700099, 'm-other'))).status).toBe(404);
    expect(received).toEqual([]);
    expect(unrouted).toEqual([{ provider: 'avito', accounts: ['…0099'], status: 404 }]);
  });

  it('still checks the secret of the account the event names (401 with another account’s secret)', async () => {
    const { received, post } = setup();
    expect((await post(forAccount(secondUserId, 'm-south'), secret)).status).toBe(401);
    expect(received).toEqual([]);
  });

  it('answers Avito’s URL check `POST {}` for the account whose secret the URL carries', async () => {
    const { post } = setup();
    expect((await post({}, secondSecret)).status).toBe(200);
    expect((await post({}, 'not-a-secret-of-ours-123')).status).toBe(404);
  });

  it('keeps each account’s own route', async () => {
    const { hub, received } = setup();
    const request = new Request(`https://crm.example/hooks/avito-north/${secret}`, {
      method: 'POST',
      body: JSON.stringify(forAccount(Number(userId), 'm-own')),
    });
    expect((await hub.handleWebhook('avito-north', request)).status).toBe(200);
    expect(received).toEqual(['avito-north:m-own']);
  });
});
