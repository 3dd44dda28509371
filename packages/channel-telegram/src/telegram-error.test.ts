import { describe, expect, it } from 'vitest';
import botBlocked from './__fixtures__/error-bot-blocked.json';
import chatNotFound from './__fixtures__/error-chat-not-found.json';
import tooManyRequests from './__fixtures__/error-too-many-requests.json';
import unauthorized from './__fixtures__/error-unauthorized.json';
import { classifyTelegramError } from './telegram-error.js';

describe('classifyTelegramError', () => {
  const classify = (status: number, body: unknown, scope?: 'send' | 'account', retryAfterMs?: number) =>
    classifyTelegramError({ status, body, retryAfterMs, scope });

  it('maps Bot API answers to typed errors', () => {
    expect(classify(429, tooManyRequests, 'send')).toMatchObject({
      name: 'RateLimitError',
      retryable: true,
      retryAfterMs: 5000,
      providerCode: 429,
    });
    // Without parameters.retry_after, a Retry-After header (a proxy's) is used.
    expect(classify(429, { ok: false, error_code: 429, description: 'Too Many Requests' }, 'send', 3000)).toMatchObject({
      retryAfterMs: 3000,
    });
    expect(classify(401, unauthorized)).toMatchObject({ name: 'AuthError', retryable: false, providerCode: 401 });
    expect(classify(404, { ok: false, error_code: 404, description: 'Not Found' })).toMatchObject({ name: 'AuthError' });
    expect(classify(403, botBlocked, 'send')).toMatchObject({ name: 'UnreachableRecipientError', reason: 'blocked' });
    expect(classify(403, { ok: false, error_code: 403, description: 'Forbidden: user is deactivated' }, 'send')).toMatchObject({
      reason: 'not_on_channel',
    });
    expect(
      classify(
        403,
        { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" },
        'send',
      ),
    ).toMatchObject({ reason: 'cannot_start_conversation' });
    expect(classify(403, botBlocked)).toMatchObject({ name: 'ChannelApiError', retryable: false, statusCode: 403 });
    expect(classify(400, chatNotFound, 'send')).toMatchObject({ reason: 'not_on_channel' });
    expect(classify(400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities" }, 'send')).toMatchObject(
      {
        name: 'ChannelApiError',
        statusCode: 400,
        retryable: false,
        message: expect.stringContaining("can't parse entities"),
      },
    );
    expect(
      classify(409, { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active" }),
    ).toMatchObject({
      statusCode: 409,
      retryable: false,
    });
    expect(classify(502, '<html>Bad Gateway</html>')).toMatchObject({
      name: 'ChannelApiError',
      retryable: true,
      providerCode: 502,
    });
    expect(classify(500, { ok: false, error_code: 500, description: 'Internal Server Error' })).toMatchObject({
      retryable: true,
    });
  });
});
