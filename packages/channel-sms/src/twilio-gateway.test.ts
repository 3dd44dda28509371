import { createHmac } from 'node:crypto';
import {
  AuthError,
  ChannelApiError,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
  WebhookError,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  twilioAccountSid,
  twilioAuthFailed,
  twilioAuthToken,
  twilioInboundSms,
  twilioInvalidTo,
  twilioMessageDelivered,
  twilioMessageQueued,
  twilioMessageUndelivered,
  twilioRegionDisabled,
  twilioStatusCallback,
  twilioTooManyRequests,
  twilioUnsubscribed,
} from './__fixtures__/twilio.js';
import { createTwilioGateway } from './twilio-gateway.js';
import { computeTwilioSignature } from './twilio-signature.js';

const messages = `https://api.twilio.com/2010-04-01/Accounts/${twilioAccountSid}/Messages.json`;
const send = `POST ${messages}`;
const server = createTestServer({ [send]: { status: 201, json: twilioMessageQueued } });
beforeEach(() => server.use(send, { status: 201, json: twilioMessageQueued }));
const gateway = createTwilioGateway({ accountSid: twilioAccountSid, authToken: twilioAuthToken, from: '+15017122661' });
const request = { to: '+79161234567', text: 'Your Toyota Camry is ready for pickup.', segments: 1 };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('Twilio send', () => {
  it('posts the exact form body with basic auth and reads num_segments', async () => {
    const result = await gateway.send({ ...request, statusCallbackUrl: 'https://crm.example/webhooks/sms' }, {});
    expect(result).toEqual({ providerMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', segments: 1 });
    const [call] = server.callsTo('/Messages.json');
    expect(call?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from(`${twilioAccountSid}:${twilioAuthToken}`).toString('base64')}`,
    );
    expect(call?.text).toBe(
      new URLSearchParams({
        To: '+79161234567',
        From: '+15017122661',
        Body: request.text,
        StatusCallback: 'https://crm.example/webhooks/sms',
      }).toString(),
    );
  });

  it('adds our message id to the StatusCallback URL, keeping its own query', async () => {
    await gateway.send(
      { ...request, statusCallbackUrl: 'https://crm.example/webhooks/sms?channel=sms', clientReference: 'msg_0f3a' },
      {},
    );
    const [call] = server.callsTo('/Messages.json');
    expect(call?.form?.StatusCallback).toBe('https://crm.example/webhooks/sms?channel=sms&omnidealerMessageId=msg_0f3a');
  });

  it('sends through a Messaging Service with an API key, validity period and smart encoding', async () => {
    const service = createTwilioGateway({
      accountSid: twilioAccountSid,
      apiKey: { sid: 'SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', secret: 'api-key-secret-123456' },
      messagingServiceSid: 'MGcccccccccccccccccccccccccccccccc',
      validityPeriodSeconds: 3600,
      smartEncoded: true,
    });
    await service.send(request, {});
    const [call] = server.callsTo('/Messages.json');
    expect(call?.form).toEqual({
      To: '+79161234567',
      MessagingServiceSid: 'MGcccccccccccccccccccccccccccccccc',
      Body: request.text,
      ValidityPeriod: '3600',
      SmartEncoded: 'true',
    });
    expect(call?.headers.get('authorization')).toBe(`Basic ${btoa('SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:api-key-secret-123456')}`);
  });

  it.each([
    ['21211 invalid To', twilioInvalidTo, 'invalid_address'],
    ['21610 unsubscribed', twilioUnsubscribed, 'opted_out'],
  ])('classifies %s as an unreachable recipient', async (_name, body, reason) => {
    server.use(send, { status: 400, json: body });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(UnreachableRecipientError.isInstance);
    expect(error).toMatchObject({ reason, retryable: false, providerCode: body.code });
  });

  it('classifies 21408 (region not enabled) as a final provider error', async () => {
    server.use(send, { status: 400, json: twilioRegionDisabled });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: false, providerCode: 21408, statusCode: 400 });
    expect((error as Error).message).not.toContain('79161234567');
  });

  it('classifies 429 / 20429 as a rate limit with Retry-After', async () => {
    server.use(send, { status: 429, headers: { 'retry-after': '3' }, json: twilioTooManyRequests });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(RateLimitError.isInstance);
    expect(error).toMatchObject({ retryAfterMs: 3000, providerCode: 20429 });
  });

  it('classifies 401 / 20003 as an auth error without leaking the token', async () => {
    server.use(send, { status: 401, json: twilioAuthFailed });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(AuthError.isInstance);
    expect(JSON.stringify(error)).not.toContain(twilioAuthToken);
  });

  it('marks a 503 retryable', async () => {
    server.use(send, { status: 503, json: { code: 20500, message: 'Service Unavailable', status: 503 } });
    expect(await failure(gateway.send(request, {}))).toMatchObject({ retryable: true, statusCode: 503 });
  });

  it('needs a sender before any network call', async () => {
    const anonymous = createTwilioGateway({ accountSid: twilioAccountSid, authToken: twilioAuthToken });
    expect(await failure(anonymous.send(request, {}))).toMatchObject({ code: 'validation', field: 'sender' });
    expect(server.calls).toHaveLength(0);
  });

  it('needs credentials before any network call', async () => {
    vi.stubEnv('TWILIO_AUTH_TOKEN', '');
    const error = await failure(createTwilioGateway({ accountSid: twilioAccountSid, from: '+15017122661' }).send(request, {}));
    vi.unstubAllEnvs();
    expect(error).toSatisfy(ValidationError.isInstance);
    expect(error).toMatchObject({
      field: 'settings.authToken',
      message: 'sms: no Twilio auth token (pass settings.authToken or set TWILIO_AUTH_TOKEN)',
    });
    expect(server.calls).toHaveLength(0);
  });
});

describe('Twilio polling', () => {
  const fetchUrl = `https://api.twilio.com/2010-04-01/Accounts/${twilioAccountSid}/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json`;

  it('maps undelivered + 30003 to failed / not_on_channel with the price in cents', async () => {
    server.use(`GET ${fetchUrl}`, { json: twilioMessageUndelivered });
    expect(await gateway.getStatus?.('SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toEqual({
      providerMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      status: 'failed',
      providerStatus: 'undelivered',
      error: { code: 'not_on_channel', message: 'Unreachable destination handset', providerCode: 30003, retryable: false },
      cost: { amountMinor: 8, currency: 'USD' },
    });
  });

  it('maps delivered', async () => {
    server.use(`GET ${fetchUrl}`, { json: twilioMessageDelivered });
    expect(await gateway.getStatus?.('SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toMatchObject({
      status: 'delivered',
      cost: { amountMinor: 16 },
    });
  });
});

describe('Twilio webhooks', () => {
  const url = 'https://crm.example/webhooks/sms?channel=sms';
  // An independent signature implementation (node:crypto) so the Web Crypto one is checked against it.
  const sign = (target: string, parameters: Record<string, string>) =>
    createHmac('sha1', twilioAuthToken)
      .update(
        Object.keys(parameters)
          .sort()
          .reduce((data, key) => data + key + parameters[key], target),
      )
      .digest('base64');
  const webhook = (parameters: Record<string, string>, signature: string | undefined, target = url) => ({
    method: 'POST',
    url: new URL(target),
    headers: new Headers(signature === undefined ? {} : { 'x-twilio-signature': signature }),
    body: new TextEncoder().encode(new URLSearchParams(parameters).toString()),
  });

  it("reproduces Twilio's published request-validation example", async () => {
    const parameters = new URLSearchParams({
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    });
    const example = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    expect(await computeTwilioSignature('12345', example, parameters)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('computes the same signature as an independent HMAC-SHA1', async () => {
    expect(await computeTwilioSignature(twilioAuthToken, url, new URLSearchParams(twilioStatusCallback))).toBe(
      sign(url, twilioStatusCallback),
    );
  });

  it('accepts a signed status callback and maps it to a failed status event', async () => {
    const result = await gateway.parseWebhook(webhook(twilioStatusCallback, sign(url, twilioStatusCallback)), 1_000);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        status: 'failed',
        at: 1_000,
        error: { code: 'not_on_channel', message: 'twilio: undelivered (30003)', providerCode: 30003, retryable: false },
        metadata: { provider: 'twilio', providerStatus: 'undelivered' },
      },
    ]);
    expect(result.response?.headers.get('content-type')).toContain('text/xml');
  });

  it('rejects a tampered body, a missing signature and a signature for another URL', async () => {
    const signature = sign(url, twilioStatusCallback);
    for (const attempt of [
      webhook({ ...twilioStatusCallback, MessageStatus: 'delivered' }, signature),
      webhook(twilioStatusCallback, undefined),
      webhook(twilioStatusCallback, signature, 'https://evil.example/webhooks/sms?channel=sms'),
    ]) {
      const error = await failure(gateway.parseWebhook(attempt, 0));
      expect(error).toSatisfy(WebhookError.isInstance);
      expect(error).toMatchObject({ status: 401 });
    }
  });

  it('reads our message id from the signed StatusCallback query; a signature without the query is refused', async () => {
    const callback = 'https://crm.example/webhooks/sms?channel=sms&omnidealerMessageId=msg_0f3a';
    // The package's own signature helper, over the full URL Twilio posted to, query included.
    const signature = await computeTwilioSignature(twilioAuthToken, callback, new URLSearchParams(twilioStatusCallback));
    expect(signature).toBe(sign(callback, twilioStatusCallback));
    const result = await gateway.parseWebhook(webhook(twilioStatusCallback, signature, callback), 1_000);
    expect(result.events).toEqual([
      expect.objectContaining({
        type: 'status',
        providerMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        messageId: 'msg_0f3a',
        status: 'failed',
      }),
    ]);
    // Signed over the URL without our parameter: the id could have been added by anyone.
    const error = await failure(
      gateway.parseWebhook(webhook(twilioStatusCallback, sign(url, twilioStatusCallback), callback), 0),
    );
    expect(error).toMatchObject({ status: 401 });
    // A callback without it names no message of ours.
    const plain = await gateway.parseWebhook(webhook(twilioStatusCallback, sign(url, twilioStatusCallback)), 0);
    expect(plain.events[0]).not.toHaveProperty('messageId');
  });

  it('behind a proxy, verifies against the public URL completed with the query the callback arrived with', async () => {
    const publicUrl = 'https://public.example/hooks/sms';
    const proxied = createTwilioGateway({ accountSid: twilioAccountSid, authToken: twilioAuthToken, webhookUrl: publicUrl });
    const query = '?omnidealerMessageId=msg_0f3a';
    const result = await proxied.parseWebhook(
      webhook(twilioStatusCallback, sign(`${publicUrl}${query}`, twilioStatusCallback), `http://10.0.0.5:3000/hooks/sms${query}`),
      0,
    );
    expect(result.events).toEqual([expect.objectContaining({ messageId: 'msg_0f3a' })]);
  });

  it('verifies against the configured public URL behind a proxy', async () => {
    const publicUrl = 'https://public.example/hooks/sms';
    const proxied = createTwilioGateway({ accountSid: twilioAccountSid, authToken: twilioAuthToken, webhookUrl: publicUrl });
    const result = await proxied.parseWebhook(
      webhook(twilioStatusCallback, sign(publicUrl, twilioStatusCallback), 'http://10.0.0.5:3000/hooks/sms'),
      0,
    );
    expect(result.events).toHaveLength(1);
  });

  it('turns an inbound SMS into an inbound event', async () => {
    const result = await gateway.parseWebhook(webhook(twilioInboundSms, sign(url, twilioInboundSms)), 5);
    expect(result.events).toEqual([
      {
        type: 'inbound',
        providerMessageId: 'SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
        from: '+79161234567',
        phone: '+79161234567',
        content: { type: 'text', text: 'Да, приеду завтра в 11' },
        kind: 'message',
        at: 5,
        metadata: { provider: 'twilio', to: '+15017122661', numSegments: 1 },
      },
    ]);
  });

  it('ignores statuses that are not news yet (queued)', async () => {
    const queued = { ...twilioStatusCallback, MessageStatus: 'queued', SmsStatus: 'queued', ErrorCode: '' };
    const result = await gateway.parseWebhook(webhook(queued, sign(url, queued)), 0);
    expect(result).toMatchObject({ events: [], ignored: 1 });
  });

  it('rejects a signed body without MessageSid as malformed', async () => {
    const body = { AccountSid: twilioAccountSid };
    expect(await failure(gateway.parseWebhook(webhook(body, sign(url, body)), 0))).toMatchObject({ status: 400 });
  });
});
