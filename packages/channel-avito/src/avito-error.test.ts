import { AuthError, ChannelApiError, RateLimitError, UnreachableRecipientError } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import error400 from './__fixtures__/error-400.json';
import error500 from './__fixtures__/error-500.json';
import { avitoErrorDetails, classifyAvitoError } from './avito-error.js';

const classify = (status: number, scope: 'chat' | 'account' | 'token' = 'chat', body: unknown = {}, retryAfterMs?: number) =>
  classifyAvitoError({ status, body, retryAfterMs, scope });

describe('classifyAvitoError', () => {
  it.each([
    [400, 'chat', ChannelApiError, false],
    [401, 'chat', AuthError, false],
    [402, 'chat', ChannelApiError, false],
    [402, 'account', ChannelApiError, false],
    [403, 'chat', UnreachableRecipientError, false],
    [403, 'account', AuthError, false],
    [404, 'chat', UnreachableRecipientError, false],
    [404, 'account', ChannelApiError, false],
    [408, 'chat', ChannelApiError, true],
    [409, 'chat', ChannelApiError, false],
    [429, 'chat', RateLimitError, true],
    [500, 'chat', ChannelApiError, true],
    [502, 'account', ChannelApiError, true],
    [503, 'token', ChannelApiError, true],
    [400, 'token', AuthError, false],
    [401, 'token', AuthError, false],
  ] as const)('HTTP %i on a %s request → %o (retryable %s)', (status, scope, type, retryable) => {
    const error = classify(status, scope);
    expect(error).toSatisfy(type.isInstance);
    expect(error.retryable).toBe(retryable);
    expect(error.channel).toBe('avito');
  });

  it('HTTP 402 → a final ChannelApiError saying the account needs the «Максимальный» tariff', () => {
    // Avito Messenger API spec: 402 = the account's tariff does not include the API (goods: «Максимальный»).
    const body = { error: { code: 402, message: 'payment required' } };
    const error = classify(402, 'chat', body);
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ statusCode: 402, retryable: false, providerCode: 402, raw: body });
    expect(error.message).toContain('«Максимальный»');
    expect(error.message).toContain('HTTP 402');
  });

  it('keeps Retry-After on 429 and on 5xx', () => {
    expect(classify(429, 'chat', {}, 2500)).toMatchObject({ retryAfterMs: 2500 });
    expect(classify(503, 'chat', {}, 1000)).toMatchObject({ retryAfterMs: 1000 });
  });

  it('reads every Avito error shape leniently', () => {
    expect(avitoErrorDetails(error400)).toEqual({
      message: 'message.text: length must be less than or equal to 1000',
      code: 400,
    });
    expect(avitoErrorDetails(error500)).toEqual({ message: 'internal error', code: undefined });
    expect(avitoErrorDetails({ message: 'plain', code: 'E1' })).toEqual({ message: 'plain', code: 'E1' });
    expect(avitoErrorDetails('<html>Bad Gateway</html>')).toEqual({ message: '<html>Bad Gateway</html>', code: undefined });
    expect(avitoErrorDetails(null)).toEqual({ message: undefined, code: undefined });
    expect(classify(400, 'chat', error400)).toMatchObject({ providerCode: 400, raw: error400 });
  });
});
