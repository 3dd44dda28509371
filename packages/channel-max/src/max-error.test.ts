import { describe, expect, it } from 'vitest';
import attachmentNotReady from './__fixtures__/error-attachment-not-ready.json';
import verifyToken from './__fixtures__/error-verify-token.json';
import { classifyMaxError } from './max-error.js';

describe('classifyMaxError', () => {
  const classify = (status: number, body: unknown, scope?: 'send' | 'account', retryAfterMs?: number) =>
    classifyMaxError({ status, body, retryAfterMs, scope });

  it('maps MAX answers to typed errors', () => {
    expect(classify(401, verifyToken)).toMatchObject({ name: 'AuthError', retryable: false, providerCode: 'verify.token' });
    expect(classify(429, { code: 'too.many.requests', message: 'x' }, 'send', 3000)).toMatchObject({
      name: 'RateLimitError',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(classify(400, attachmentNotReady, 'send')).toMatchObject({
      name: 'ProviderError',
      retryable: true,
      retryAfterMs: 1000,
      providerCode: 'attachment.not.ready',
    });
    expect(classify(400, attachmentNotReady, 'send', 4000)).toMatchObject({ retryAfterMs: 4000 });
    expect(classify(403, { code: 'chat.denied', message: 'denied' }, 'send')).toMatchObject({ reason: 'blocked' });
    expect(classify(403, { code: 'access.denied', message: 'denied' })).toMatchObject({ name: 'AuthError' });
    expect(classify(404, { code: 'not.found', message: 'nope' }, 'send')).toMatchObject({ reason: 'not_on_channel' });
    expect(classify(404, { code: 'not.found', message: 'nope' })).toMatchObject({ code: 'not_found', retryable: false });
    expect(classify(400, { code: 'proto.payload', message: 'bad' })).toMatchObject({ name: 'ValidationError', field: 'request' });
    expect(classify(503, '<html>down</html>')).toMatchObject({ name: 'ProviderError', retryable: true, providerCode: 503 });
    expect(classify(405, {})).toMatchObject({ retryable: false });
  });
});
