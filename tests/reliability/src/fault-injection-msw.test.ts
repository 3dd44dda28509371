import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createSmsChannel, createSmsRuGateway, createTwilioGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { createManualClock, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { createTestServer, type TestResponse } from '@omnidealer/core/test';
import { afterEach, describe, expect, it } from 'vitest';
import { contacts, contentFor } from './harness.js';

// Faults the sandbox does not script: 429 without Retry-After, 502 with an HTML page, a connection reset before
// any answer, a 200 whose body is not JSON. Real provider URLs, answered by msw.

type Channel = 'whatsapp' | 'avito' | 'sms' | 'twilio';
const twilioSid = `AC${'a'.repeat(32)}`;
const routes: Record<Channel, string> = {
  whatsapp: 'POST https://graph.facebook.com/v23.0/:phoneNumberId/messages',
  avito: 'POST https://api.avito.ru/messenger/v1/accounts/:userId/chats/:chatId/messages',
  sms: 'POST https://sms.ru/sms/send',
  twilio: 'POST https://api.twilio.com/2010-04-01/Accounts/:sid/Messages.json',
};
const accepted: Record<Channel, TestResponse> = {
  whatsapp: {
    json: {
      messaging_product: 'whatsapp',
      contacts: [{ input: '79161234567', wa_id: '79161234567' }],
      messages: [{ id: 'wamid.HBgLNzkxNjEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', message_status: 'accepted' }],
    },
  },
  avito: {
    json: {
      id: '7e6d5c4b3a291807f6e5d4c3b2a19080',
      created: 1764050400,
      direction: 'out',
      type: 'text',
      content: { text: 'ok' },
    },
  },
  sms: {
    json: {
      status: 'OK',
      status_code: 100,
      sms: { '79161234567': { status: 'OK', status_code: 100, sms_id: '000000-10000000' } },
      balance: 4122.56,
    },
  },
  twilio: {
    status: 201,
    json: {
      account_sid: twilioSid,
      sid: `SM${'b'.repeat(32)}`,
      status: 'queued',
      to: '+79161234567',
      from: '+15017122661',
      body: 'Ivan, your service is due.',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
    },
  },
};
const rateLimited: Record<Channel, TestResponse> = {
  whatsapp: {
    status: 429,
    json: { error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429, fbtrace_id: 'AbC' } },
  },
  avito: { status: 429, json: { error: { code: 429, message: 'Too Many Requests' } } },
  sms: { status: 429, text: 'Too Many Requests' },
  twilio: {
    status: 429,
    json: { code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 },
  },
};

const api = createTestServer({
  'POST https://api.avito.ru/token': {
    json: { access_token: 'kBYhGt0YQ2q3wSxKdE6yFZpLmN4vUc8r', expires_in: 86400, token_type: 'Bearer' },
  },
  ...Object.fromEntries(Object.values(routes).map((route) => [route, { status: 599, text: 'unscripted' }])),
});

let hub: Omnidealer | undefined;
afterEach(async () => {
  await hub?.shutdown();
  hub = undefined;
});

function setup(timeoutMs = 2000) {
  const clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  const sleeps: number[] = [];
  hub = createOmnidealer({
    clock,
    retry: { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20, jitter: false, sleep: async (ms) => void sleeps.push(ms) },
    channels: [
      createWhatsAppChannel({
        phoneNumberId: '106540352242922',
        accessToken: 'EAAG-msw-access-token-0123456789',
        appSecret: 'msw-app-secret-0123',
        rateLimit: { perSecond: 1000, perRecipientIntervalMs: 0 },
        timeoutMs,
        clock,
      }),
      createAvitoChannel({
        clientId: 'msw-client-id',
        clientSecret: 'msw-client-secret-0123',
        userId: 94235311,
        webhookListingLookup: false,
        timeoutMs,
        clock,
      }),
      createSmsChannel({ gateway: createSmsRuGateway({ apiId: 'MSW-API-ID-0000-1111-2222', timeoutMs }), clock }),
      createSmsChannel({
        id: 'twilio',
        gateway: createTwilioGateway({
          accountSid: twilioSid,
          authToken: 'msw-twilio-auth-token-0123',
          from: '+15017122661',
          timeoutMs,
        }),
        clock,
      }),
    ],
  });
  return { hub, sleeps };
}

const send = (target: Omnidealer, channel: Channel) =>
  target.send({ channel, contact: contacts.ivan, content: contentFor[channel] });
const sendCalls = (channel: Channel) =>
  api.calls.filter(
    (call) =>
      call.method === 'POST' &&
      new RegExp(routes[channel].split(' ')[1]?.replace(/:\w+/g, '[^/]+') as string).test(call.url.href),
  );

describe.each(['whatsapp', 'avito', 'sms', 'twilio'] as const)('%s: faults scripted with msw', (channel) => {
  it('429 without Retry-After: exponential backoff only (no Retry-After wait), then sent', async () => {
    const { hub, sleeps } = setup();
    api.use(routes[channel], [rateLimited[channel], rateLimited[channel], accepted[channel]]);
    const message = await send(hub, channel);
    expect(message.status).toBe('sent');
    expect(sendCalls(channel)).toHaveLength(3);
    expect(sleeps).toEqual([]);
  });

  it('429 forever: bounded (retries + 1 attempts), then failed as rate_limited', async () => {
    const { hub } = setup();
    api.use(routes[channel], rateLimited[channel]);
    const message = await send(hub, channel);
    expect(message.status).toBe('failed');
    expect(message.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(sendCalls(channel)).toHaveLength(4);
  });

  it('502 with an HTML page is retried, then sent', async () => {
    const { hub } = setup();
    api.use(routes[channel], [
      { status: 502, text: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' } },
      accepted[channel],
    ]);
    const message = await send(hub, channel);
    expect(message.status).toBe('sent');
    expect(sendCalls(channel)).toHaveLength(2);
  });

  it('connection reset before any answer is retried, then sent once', async () => {
    const { hub } = setup();
    api.use(routes[channel], [{ error: 'network' }, accepted[channel]]);
    const message = await send(hub, channel);
    expect(message.status).toBe('sent');
    expect(sendCalls(channel)).toHaveLength(2);
  });

  it('a timeout is retried, then sent', async () => {
    const { hub } = setup(150);
    api.use(routes[channel], [{ ...(accepted[channel] as object), delayMs: 600 }, accepted[channel]]);
    const message = await send(hub, channel);
    expect(message.status).toBe('sent');
    expect(sendCalls(channel)).toHaveLength(2);
  });

  it('a 200 whose body is not JSON fails the message (the provider may have acted: never blindly retried)', async () => {
    const { hub } = setup();
    api.use(routes[channel], {
      status: channel === 'twilio' ? 201 : 200,
      text: '<html>OK</html>',
      headers: { 'content-type': 'text/html' },
    });
    const message = await send(hub, channel);
    expect(message.status).toBe('failed');
    expect(message.error?.code).toBeTruthy();
    expect(message.error?.retryable).toBe(false);
    expect(sendCalls(channel)).toHaveLength(1);
    expect((await hub.store.getMessage(message.id))?.status).toBe('failed');
  });
});
