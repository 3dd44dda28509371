import { readFileSync } from 'node:fs';
import { createManualClock, WebhookError } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it, vi } from 'vitest';
import { confirmSnsSubscription, parseSesWebhook, type SesWebhookOptions } from './email-bounce-webhook.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const topic = 'arn:aws:sns:eu-central-1:123456789012:ses-dealer-notifications';
const secret = 'hook-secret-7f3a9c';

function request(
  body: string,
  url = `https://hooks.dealer.ru/email?token=${secret}`,
  headers: Record<string, string> = {},
): WebhookRequest {
  return {
    method: 'POST',
    url: new URL(url),
    headers: new Headers({ 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', ...headers }),
    body: new TextEncoder().encode(body),
  };
}

const options: SesWebhookOptions = { secret, topicArns: [topic] };

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toSatisfy(WebhookError.isInstance);
  return error as WebhookError;
}

describe('parseSesWebhook (Amazon SES notifications via SNS)', () => {
  it('turns a permanent bounce into failed with error code bounced, matched by the original Message-ID', async () => {
    const result = await parseSesWebhook(request(fixture('ses-bounce-permanent.sns.json')), options);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'msg_fixture@dealer.ru',
        status: 'failed',
        at: Date.parse('2026-03-02T09:30:04.512Z'),
        error: {
          code: 'bounced',
          message:
            'Permanent/General bounce: smtp; 550 5.1.1 <i***@example.ru>: Recipient address rejected: User unknown in virtual mailbox table',
          providerCode: '5.1.1',
          retryable: false,
        },
        metadata: {
          sesMessageId: '0107018ef3c6a2b1-5e2c3f8a-9d1b-4c7e-8a6f-2b3c4d5e6f70-000000',
          bounceType: 'Permanent',
          bounceSubType: 'General',
          feedbackId: '0107018ef3c6b7d2-1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d-000000',
          bouncedRecipients: ['i***@example.ru'],
        },
      },
    ]);
  });

  it('turns a complaint into failed with error code opted_out', async () => {
    const result = await parseSesWebhook(request(fixture('ses-complaint.sns.json')), options);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'msg_fixture@dealer.ru',
        status: 'failed',
        at: Date.parse('2026-03-02T11:02:07.000Z'),
        error: { code: 'opted_out', message: 'recipient marked the e-mail as spam (abuse)', retryable: false },
        metadata: {
          sesMessageId: '0107018ef3c6a2b1-5e2c3f8a-9d1b-4c7e-8a6f-2b3c4d5e6f70-000000',
          complaintFeedbackType: 'abuse',
          feedbackId: '0107018ef4a1c2d3-4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8-000000',
        },
      },
    ]);
  });

  it('turns a delivery into delivered', async () => {
    const result = await parseSesWebhook(request(fixture('ses-delivery.sns.json')), options);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: 'msg_fixture@dealer.ru',
        status: 'delivered',
        at: Date.parse('2026-03-02T09:30:02.845Z'),
        metadata: {
          sesMessageId: '0107018ef3c6a2b1-5e2c3f8a-9d1b-4c7e-8a6f-2b3c4d5e6f70-000000',
          smtpResponse: '250 2.0.0 OK 1772443802 a1b2c3d4e5f6 - gsmtp',
        },
      },
    ]);
  });

  it('parses SNS raw message delivery; a transient bounce without original headers matches the SES message id', async () => {
    const result = await parseSesWebhook(request(fixture('ses-bounce-transient.raw.json')), { secret });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      providerMessageId: '0107018ef3c6a2b1-5e2c3f8a-9d1b-4c7e-8a6f-2b3c4d5e6f70-000000',
      status: 'failed',
      error: { code: 'provider_error', providerCode: '4.2.2', retryable: true },
    });
  });

  it('maps event-publishing records (eventType) too: Open → read, Send ignored', async () => {
    const notification = JSON.parse(JSON.parse(fixture('ses-delivery.sns.json')).Message);
    const { notificationType: _, delivery: __, ...mailOnly } = notification;
    const open = await parseSesWebhook(
      request(JSON.stringify({ ...mailOnly, eventType: 'Open', open: { timestamp: '2026-03-02T10:00:00.000Z' } })),
      { secret },
    );
    expect(open.events).toMatchObject([{ status: 'read', at: Date.parse('2026-03-02T10:00:00.000Z') }]);
    const send = await parseSesWebhook(request(JSON.stringify({ ...mailOnly, eventType: 'Send', send: {} })), { secret });
    expect(send).toEqual({ events: [], ignored: 1 });
  });

  it('hands a SubscriptionConfirmation to the callback and reports it as ignored', async () => {
    const onSubscriptionConfirmation = vi.fn();
    const result = await parseSesWebhook(
      request(fixture('sns-subscription-confirmation.json'), `https://hooks.dealer.ru/email?token=${secret}`, {
        'x-amz-sns-message-type': 'SubscriptionConfirmation',
      }),
      { ...options, onSubscriptionConfirmation },
    );
    expect(result).toEqual({ events: [], ignored: 1 });
    expect(onSubscriptionConfirmation).toHaveBeenCalledWith({
      topicArn: topic,
      subscribeUrl: expect.stringMatching(/^https:\/\/sns\.eu-central-1\.amazonaws\.com\/\?Action=ConfirmSubscription&TopicArn=/),
      token: expect.stringMatching(/^2336412f/),
      message: expect.stringContaining('To confirm the subscription'),
    });
  });

  describe('shared secret', () => {
    const body = fixture('ses-delivery.sns.json');

    it('accepts the token in the URL and rejects a wrong one', async () => {
      await expect(parseSesWebhook(request(body), options)).resolves.toMatchObject({ events: [{ status: 'delivered' }] });
      const error = await rejection(parseSesWebhook(request(body, 'https://hooks.dealer.ru/email?token=guess'), options));
      expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
    });

    it('answers a request without credentials with a Basic challenge, as SNS expects', async () => {
      const result = await parseSesWebhook(request(body, 'https://hooks.dealer.ru/email'), options);
      expect(result.events).toEqual([]);
      expect(result.response?.status).toBe(401);
      expect(result.response?.headers.get('www-authenticate')).toBe('Basic realm="omnidealer"');
    });

    it('accepts HTTP Basic with the secret as password and rejects other passwords', async () => {
      const basic = (user: string, password: string) => ({
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      });
      const ok = await parseSesWebhook(request(body, 'https://hooks.dealer.ru/email', basic('omnidealer', secret)), options);
      expect(ok.events).toHaveLength(1);
      await rejection(parseSesWebhook(request(body, 'https://hooks.dealer.ru/email', basic('omnidealer', 'nope')), options));
      await rejection(parseSesWebhook(request(body, 'https://hooks.dealer.ru/email', { authorization: 'Bearer x' }), options));
    });

    it('rejects a notification from another topic', async () => {
      const other = body.replace(topic, 'arn:aws:sns:eu-central-1:999999999999:evil');
      const error = await rejection(parseSesWebhook(request(other), options));
      expect(error.status).toBe(401);
    });

    it('without a secret, requires a valid SNS signature (the fixture carries the example signature from the AWS docs)', async () => {
      const error = await rejection(
        parseSesWebhook(request(body, 'https://hooks.dealer.ru/email'), {
          fetchSigningCertificate: async () => fixture('sns-test-signing.cert.pem'),
        }),
      );
      expect(error).toMatchObject({ status: 401, code: 'webhook_signature' });
      const skipped = await parseSesWebhook(request(body, 'https://hooks.dealer.ru/email'), { signature: 'skip' });
      expect(skipped.events).toHaveLength(1);
    });
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['an SNS Message that is not JSON', JSON.stringify({ Type: 'Notification', TopicArn: topic, Message: 'hello' })],
    ['JSON that is neither SNS nor SES', JSON.stringify({ hello: 'world' })],
    ['an SES notification without mail.messageId', JSON.stringify({ notificationType: 'Bounce', mail: {} })],
  ])('rejects %s as malformed (400)', async (_name, body) => {
    const error = await rejection(parseSesWebhook(request(body), options));
    expect(error).toMatchObject({ status: 400, code: 'webhook_malformed' });
  });

  it('uses the clock when a notification has no timestamp', async () => {
    const clock = createManualClock(Date.parse('2026-03-05T12:00:00Z'));
    const body = JSON.stringify({ notificationType: 'Delivery', mail: { messageId: 'ses-1' } });
    const result = await parseSesWebhook(request(body), { clock, secret });
    expect(result.events).toEqual([
      { type: 'status', providerMessageId: 'ses-1', status: 'delivered', at: clock.now(), metadata: { sesMessageId: 'ses-1' } },
    ]);
  });
});

describe('confirmSnsSubscription', () => {
  const sns = createTestServer({ 'GET https://sns.eu-central-1.amazonaws.com/': { text: '<ConfirmSubscriptionResponse/>' } });
  const confirmation = {
    topicArn: topic,
    subscribeUrl: `https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=abc`,
    token: 'abc',
    message: '',
  };

  it('fetches the SubscribeURL of an SNS endpoint', async () => {
    await confirmSnsSubscription(confirmation);
    expect(sns.calls).toHaveLength(1);
    expect(sns.calls[0]?.url.searchParams.get('Action')).toBe('ConfirmSubscription');
    expect(sns.calls[0]?.url.searchParams.get('Token')).toBe('abc');
  });

  it.each([
    'https://evil.example.com/?Action=ConfirmSubscription',
    'http://sns.eu-central-1.amazonaws.com/',
    'https://sns.eu-central-1.amazonaws.com.evil.ru/',
  ])('refuses to fetch %s', async (subscribeUrl) => {
    await rejection(confirmSnsSubscription({ ...confirmation, subscribeUrl }));
    expect(sns.calls).toHaveLength(0);
  });

  it('reports an SNS refusal', async () => {
    sns.use('GET https://sns.eu-central-1.amazonaws.com/', { status: 403, text: '<ErrorResponse/>' });
    await rejection(confirmSnsSubscription(confirmation));
  });
});
