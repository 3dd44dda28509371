import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
  WindowClosedError,
} from '@omnidealer/core';
import { type OutboundMessage, redactValue } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessToken, apiVersion, graphErrors, messagesRoute, phoneNumberId } from './__fixtures__/fixtures.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';
import { classifyWhatsAppFailure } from './whatsapp-error.js';

const api = createTestServer({ [messagesRoute]: { json: {} } });
const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion, timeoutMs: 1000 });
const message: OutboundMessage = {
  id: 'msg_1',
  to: '+79161234567',
  contact: { id: 'c1', phone: '+79161234567' },
  content: { type: 'text', text: 'Здравствуйте' },
};

async function failWith(response: Parameters<typeof api.use>[1]): Promise<OmnidealerError> {
  api.use(messagesRoute, response);
  const error = await channel.doSend(message, {}).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeDefined();
  return error as OmnidealerError;
}

const graph = graphErrors as Record<string, unknown>;

describe('classification of Graph errors from a send', () => {
  const cases: Array<
    [
      code: string,
      status: number,
      type: (new (...args: never[]) => OmnidealerError) & { isInstance(error: unknown): boolean },
      retryable: boolean,
    ]
  > = [
    ['131047', 400, WindowClosedError, false],
    ['190', 401, AuthError, false],
    ['0', 401, AuthError, false],
    ['10', 403, AuthError, false],
    ['4', 400, RateLimitError, true],
    ['80007', 400, RateLimitError, true],
    ['130429', 400, RateLimitError, true],
    ['131056', 400, RateLimitError, true],
    ['131048', 400, RateLimitError, false],
    ['131026', 400, UnreachableRecipientError, false],
    ['131050', 400, UnreachableRecipientError, false],
    ['131021', 400, UnreachableRecipientError, false],
    ['100', 400, ChannelApiError, false],
    ['132001', 400, ChannelApiError, false],
    ['131049', 400, ChannelApiError, false],
    ['131000', 500, ChannelApiError, true],
  ];
  for (const [code, status, type, retryable] of cases) {
    it(`${code} (HTTP ${status}) → ${type.name}, retryable ${retryable}`, async () => {
      const error = await failWith({ status, json: graph[code] });
      expect(error).toSatisfy(type.isInstance);
      expect(error.retryable).toBe(retryable);
      expect(error.providerCode).toBe(Number(code));
      expect(error.channel).toBe('whatsapp');
      // Raw bodies are kept, redacted by core (core over-redacts "access token: Session…" to "[redacted]").
      expect(error.raw).toEqual(redactValue(graph[code]));
    });
  }

  it('131026 and 131050 carry the reason the cascade falls back on', async () => {
    expect(((await failWith({ status: 400, json: graph['131026'] })) as UnreachableRecipientError).reason).toBe('not_on_channel');
    expect(((await failWith({ status: 400, json: graph['131050'] })) as UnreachableRecipientError).reason).toBe('opted_out');
  });

  it('an expired token is an auth error whose message keeps Meta text but never the token', async () => {
    const error = await failWith({ status: 401, json: graph['190'] });
    expect(error.code).toBe('auth');
    expect(error.message).toContain('has expired on Tuesday');
    expect(JSON.stringify(error.raw)).not.toContain(accessToken);
    expect(api.calls[0]?.headers.get('authorization')).toBe(`Bearer ${accessToken}`);
  });

  it('the pair rate limit waits about 6 s when Meta sends no Retry-After', async () => {
    const error = (await failWith({ status: 400, json: graph['131056'] })) as RateLimitError;
    expect(error.retryAfterMs).toBe(6000);
  });

  it('HTTP 429 with Retry-After and no Graph body → retryable RateLimitError with the delay', async () => {
    const error = (await failWith({ status: 429, headers: { 'retry-after': '7' }, text: 'Too Many Requests' })) as RateLimitError;
    expect(error).toSatisfy(RateLimitError.isInstance);
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(7000);
  });

  it('130429 honours a Retry-After header', async () => {
    const error = (await failWith({ status: 429, headers: { 'retry-after': '2' }, json: graph['130429'] })) as RateLimitError;
    expect(error.retryAfterMs).toBe(2000);
    expect(error.providerCode).toBe(130429);
  });

  it('HTTP 500/503 with an HTML proxy page → retryable ChannelApiError with the status', async () => {
    const error = (await failWith({ status: 502, text: '<html><body>Bad Gateway</body></html>' })) as ChannelApiError;
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(502);
    const unavailable = (await failWith({
      status: 503,
      json: { error: { message: 'Service temporarily unavailable', code: 2 } },
    })) as ChannelApiError;
    expect(unavailable.retryable).toBe(true);
    expect(unavailable.providerCode).toBe(2);
  });

  it('a documented final code stays final on a 5xx', async () => {
    const error = await failWith({ status: 500, json: graph['132001'] });
    expect(error.retryable).toBe(false);
  });

  it('a malformed JSON body on 200 → non-retryable ChannelApiError (the message may have been sent)', async () => {
    const error = (await failWith({
      status: 200,
      text: '{"messaging_product":"whatsapp","messages":[{"id":',
    })) as ChannelApiError;
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/malformed JSON/);
  });

  it('a 200 without messages[0].id → ChannelApiError naming the missing field', async () => {
    const error = await failWith({ status: 200, json: { messaging_product: 'whatsapp', contacts: [] } });
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error.message).toMatch(/messages/);
  });

  it('a network failure → retryable network error', async () => {
    const error = await failWith({ error: 'network' });
    expect(error.code).toBe('network');
    expect(error.retryable).toBe(true);
  });

  describe('timeouts', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    it('a request that outlives timeoutMs → retryable timeout error', async () => {
      vi.useFakeTimers();
      api.use(messagesRoute, { delayMs: 60_000, json: {} });
      const pending = channel.doSend(message, {}).then(
        () => undefined,
        (caught: unknown) => caught as OmnidealerError,
      );
      await vi.advanceTimersByTimeAsync(1001);
      const error = await pending;
      expect(error?.code).toBe('timeout');
      expect(error?.retryable).toBe(true);
    });
  });
});

describe('classifyWhatsAppFailure', () => {
  it('classifies unknown codes by HTTP status', () => {
    expect(classifyWhatsAppFailure({ code: 999999, status: 400 }).retryable).toBe(false);
    expect(classifyWhatsAppFailure({ code: 999999, status: 503 }).retryable).toBe(true);
    expect(classifyWhatsAppFailure({ status: 401 })).toSatisfy(AuthError.isInstance);
    expect(classifyWhatsAppFailure({ status: 408 }).retryable).toBe(true);
  });

  it('classifies status-webhook errors without an HTTP status', () => {
    expect(classifyWhatsAppFailure({ code: 131047, message: 'Re-engagement message' })).toSatisfy(WindowClosedError.isInstance);
    expect(classifyWhatsAppFailure({ code: 131026 }).code).toBe('unreachable_recipient');
    expect(classifyWhatsAppFailure({ code: 131000 }).retryable).toBe(true);
  });
});

describe('missing credentials', () => {
  it('a send without a token fails with a ValidationError naming the setting before any request', async () => {
    const previous = process.env.WHATSAPP_ACCESS_TOKEN;
    delete process.env.WHATSAPP_ACCESS_TOKEN;
    const noToken = createWhatsAppChannel({ phoneNumberId, apiVersion });
    const error = await noToken.doSend(message, {}).catch((caught: unknown) => caught);
    if (previous !== undefined) process.env.WHATSAPP_ACCESS_TOKEN = previous;
    expect(error).toSatisfy(ValidationError.isInstance);
    expect(error).toMatchObject({ field: 'settings.accessToken', retryable: false });
    expect(api.calls).toHaveLength(0);
  });

  it('the token falls back to WHATSAPP_ACCESS_TOKEN, read at send time', async () => {
    const lazy = createWhatsAppChannel({ phoneNumberId, apiVersion });
    process.env.WHATSAPP_ACCESS_TOKEN = 'EAAJB0env0token';
    api.use(messagesRoute, { json: { messages: [{ id: 'wamid.ENV' }] } });
    try {
      await expect(lazy.doSend(message, {})).resolves.toMatchObject({ providerMessageId: 'wamid.ENV' });
      expect(api.calls[0]?.headers.get('authorization')).toBe('Bearer EAAJB0env0token');
    } finally {
      delete process.env.WHATSAPP_ACCESS_TOKEN;
    }
  });
});
