import {
  AuthError,
  ChannelApiError,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
  WebhookError,
} from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  smsRuBadApiId,
  smsRuCallbackBody,
  smsRuCostOk,
  smsRuDuplicatePerMinute,
  smsRuSendInvalidNumber,
  smsRuSendNoMoney,
  smsRuSendOk,
  smsRuStatusDelivered,
  smsRuStatusExpired,
  smsRuStatusNotFound,
  smsRuUnavailable,
} from './__fixtures__/sms-ru.js';
import { createSmsRuGateway } from './sms-ru-gateway.js';

const apiId = 'A1B2C3D4-E5F6-0000-1111-222233334444';
const send = 'POST https://sms.ru/sms/send';
const server = createTestServer({ [send]: { json: smsRuSendOk } });
const gateway = createSmsRuGateway({ apiId });
beforeEach(() => server.use(send, { json: smsRuSendOk }));
const request = { to: '+79161234567', text: 'Ваш автомобиль готов', sender: 'AutoDealer', segments: 1 };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('SMS.ru send', () => {
  it('posts the exact form body and returns the sms_id', async () => {
    const result = await gateway.send(request, {});
    expect(result).toEqual({ providerMessageId: '000000-10000000' });
    const [call] = server.callsTo('/sms/send');
    expect(call?.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    expect(call?.text).toBe(
      new URLSearchParams({
        api_id: apiId,
        to: '79161234567',
        msg: 'Ваш автомобиль готов',
        json: '1',
        from: 'AutoDealer',
      }).toString(),
    );
  });

  it('adds test=1 in test mode and leaves out an absent sender', async () => {
    await createSmsRuGateway({ apiId, test: true }).send({ ...request, sender: undefined }, {});
    expect(server.callsTo('/sms/send')[0]?.form).toEqual({
      api_id: apiId,
      to: '79161234567',
      msg: request.text,
      json: '1',
      test: '1',
    });
  });

  it('classifies a per-number 202 as an unreachable recipient, not retryable, without the full number in the message', async () => {
    server.use(send, { json: smsRuSendInvalidNumber });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(UnreachableRecipientError.isInstance);
    expect(error).toMatchObject({ reason: 'invalid_address', retryable: false, providerCode: 202, channel: 'sms' });
    expect(String((error as Error).message)).not.toContain('79161234567');
  });

  it('classifies insufficient funds (201) as a final provider error', async () => {
    server.use(send, { json: smsRuSendNoMoney });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: false, providerCode: 201 });
  });

  it('classifies a wrong api_id (request-level 200 in an HTTP 200) as an auth error', async () => {
    server.use(send, { json: smsRuBadApiId });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(AuthError.isInstance);
    expect(error).toMatchObject({ retryable: false, providerCode: 200 });
  });

  it('marks 220 (service temporarily unavailable) retryable', async () => {
    server.use(send, { json: smsRuUnavailable });
    expect(await failure(gateway.send(request, {}))).toMatchObject({ retryable: true, providerCode: 220 });
  });

  it('turns the per-minute duplicate limit (231) into a rate limit with a one-minute wait', async () => {
    server.use(send, { json: smsRuDuplicatePerMinute });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(RateLimitError.isInstance);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
  });

  it('honours HTTP 429 with Retry-After', async () => {
    server.use(send, { status: 429, headers: { 'retry-after': '7' }, text: 'Too Many Requests' });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(RateLimitError.isInstance);
    expect(error).toMatchObject({ retryAfterMs: 7000 });
  });

  it('marks a 502 from a proxy retryable', async () => {
    server.use(send, { status: 502, text: '<html>Bad Gateway</html>' });
    expect(await failure(gateway.send(request, {}))).toMatchObject({ retryable: true, statusCode: 502 });
  });

  it('treats a malformed body as a final provider error', async () => {
    server.use(send, { status: 200, text: '<html>maintenance</html>' });
    const error = await failure(gateway.send(request, {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: false });
  });

  it('treats a dropped connection as a retryable network error', async () => {
    server.use(send, { error: 'network' });
    expect(await failure(gateway.send(request, {}))).toMatchObject({ code: 'network', retryable: true });
  });

  it('fails with a retryable timeout when SMS.ru does not answer in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hanging: typeof fetch = (input, init) =>
      new Promise((_resolve, reject) => {
        const signal = input instanceof Request ? input.signal : (init?.signal ?? undefined);
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    const slow = createSmsRuGateway({ apiId, fetch: hanging, timeoutMs: 5000 });
    const pending = failure(slow.send(request, {}));
    await vi.advanceTimersByTimeAsync(5001);
    expect(await pending).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('refuses to send without an api_id before any network call', async () => {
    vi.stubEnv('SMSRU_API_ID', '');
    const error = await failure(createSmsRuGateway({}).send(request, {}));
    expect(error).toSatisfy(ValidationError.isInstance);
    expect(error).toMatchObject({
      field: 'settings.apiId',
      message: 'sms: no SMS.ru api_id (pass settings.apiId or set SMSRU_API_ID)',
    });
    expect(server.calls).toHaveLength(0);
  });

  it('reads the api_id from SMSRU_API_ID lazily', async () => {
    vi.stubEnv('SMSRU_API_ID', 'ENV-KEY-123456');
    await createSmsRuGateway().send(request, {});
    expect(server.calls[0]?.form?.api_id).toBe('ENV-KEY-123456');
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('SMS.ru status and cost', () => {
  it('polls /sms/status and maps 103 to delivered with the billed cost in kopecks', async () => {
    server.use('GET https://sms.ru/sms/status', { json: smsRuStatusDelivered });
    const status = await gateway.getStatus?.('000000-10000000');
    expect(status).toEqual({
      providerMessageId: '000000-10000000',
      status: 'delivered',
      providerStatus: 103,
      cost: { amountMinor: 604, currency: 'RUB' },
    });
    expect(Object.fromEntries(server.callsTo('/sms/status')[0]?.url.searchParams ?? [])).toEqual({
      api_id: apiId,
      sms_id: '000000-10000000',
      json: '1',
    });
  });

  it('maps 104 to failed with the reason', async () => {
    server.use('GET https://sms.ru/sms/status', { json: smsRuStatusExpired });
    expect(await gateway.getStatus?.('000000-10000000')).toMatchObject({
      status: 'failed',
      error: { code: 'expired', providerCode: 104, retryable: false },
    });
  });

  it('reports an unknown sms_id as not_found', async () => {
    server.use('GET https://sms.ru/sms/status', { json: smsRuStatusNotFound });
    expect(await failure(gateway.getStatus?.('000000-10000000') ?? Promise.resolve())).toMatchObject({ code: 'not_found' });
  });

  it('quotes the cost with /sms/cost', async () => {
    server.use('GET https://sms.ru/sms/cost', { json: smsRuCostOk });
    expect(await gateway.getCost?.({ to: '+79161234567', text: 'Привет', sender: 'AutoDealer' })).toEqual({
      cost: { amountMinor: 604, currency: 'RUB' },
      segments: 2,
    });
    expect(Object.fromEntries(server.callsTo('/sms/cost')[0]?.url.searchParams ?? [])).toEqual({
      api_id: apiId,
      to: '79161234567',
      msg: 'Привет',
      json: '1',
      from: 'AutoDealer',
    });
  });
});

describe('SMS.ru callbacks', () => {
  const webhook = (body: string, url = 'https://crm.example/webhooks/sms') => ({
    method: 'POST',
    url: new URL(url),
    headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
    body: new TextEncoder().encode(body),
  });

  it('parses data[] lines into status events and answers 100', async () => {
    const result = await gateway.parseWebhook(webhook(smsRuCallbackBody), 42);
    expect(result.events).toEqual([
      {
        type: 'status',
        providerMessageId: '000000-10000000',
        status: 'delivered',
        at: 1773907200000,
        metadata: { provider: 'smsru', providerStatus: 103 },
      },
      {
        type: 'status',
        providerMessageId: '000000-10000001',
        status: 'failed',
        at: 1773907260000,
        error: { code: 'phone_failure', message: 'phone failure', providerCode: 106, retryable: false },
        metadata: { provider: 'smsru', providerStatus: 106 },
      },
    ]);
    expect(result.ignored).toBe(2);
    expect(await result.response?.text()).toBe('100');
    expect(result.response?.status).toBe(200);
  });

  it('requires the configured token in the callback URL', async () => {
    const guarded = createSmsRuGateway({ apiId, webhookToken: 'callback-token-987654' });
    const refused = await failure(guarded.parseWebhook(webhook(smsRuCallbackBody, 'https://crm.example/h?token=wrong'), 0));
    expect(refused).toSatisfy(WebhookError.isInstance);
    expect(refused).toMatchObject({ status: 401 });
    const accepted = await guarded.parseWebhook(
      webhook(smsRuCallbackBody, 'https://crm.example/h?token=callback-token-987654'),
      0,
    );
    expect(accepted.events).toHaveLength(2);
  });

  it('rejects a body without data[] entries as malformed', async () => {
    const error = await failure(gateway.parseWebhook(webhook('hello=world'), 0));
    expect(error).toMatchObject({ status: 400, code: 'webhook_malformed' });
  });
});
