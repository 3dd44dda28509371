import { describe, expect, it } from 'vitest';
import error5 from './__fixtures__/error-5.json';
import error6 from './__fixtures__/error-6.json';
import error9 from './__fixtures__/error-9.json';
import error10 from './__fixtures__/error-10.json';
import error100 from './__fixtures__/error-100.json';
import error901 from './__fixtures__/error-901.json';
import error902 from './__fixtures__/error-902.json';
import { classifyVkError } from './vk-error.js';

// VK answers errors with HTTP 200 and `{ error: { error_code, error_msg, request_params } }` (see __fixtures__/README.md).
describe('classifyVkError', () => {
  const send = (body: { error: { error_code: number; error_msg: string } }) =>
    classifyVkError({ error: body.error, scope: 'send' });

  it('maps VK error codes to typed errors', () => {
    expect(send(error6)).toMatchObject({ name: 'RateLimitError', retryable: true, retryAfterMs: 1000, providerCode: 6 });
    expect(send(error10)).toMatchObject({ name: 'ChannelApiError', retryable: true, providerCode: 10 });
    expect(send({ error: { error_code: 1, error_msg: 'Unknown error occurred' } })).toMatchObject({ retryable: true });
    expect(send(error9)).toMatchObject({ name: 'RateLimitError', retryable: false, providerCode: 9 });
    expect(send(error5)).toMatchObject({ name: 'AuthError', retryable: false, providerCode: 5 });
    expect(send({ error: { error_code: 7, error_msg: 'Permission to perform this action is denied' } })).toMatchObject({
      name: 'AuthError',
    });
    expect(send(error901)).toMatchObject({ name: 'UnreachableRecipientError', reason: 'no_consent', providerCode: 901 });
    expect(send(error902)).toMatchObject({ name: 'UnreachableRecipientError', reason: 'blocked' });
    expect(send({ error: { error_code: 900, error_msg: "Can't send messages for users from blacklist" } })).toMatchObject({
      reason: 'blocked',
    });
    expect(send(error100)).toMatchObject({ name: 'ChannelApiError', retryable: false, providerCode: 100, statusCode: 200 });
    // Outside a send, 901 is just a final API error.
    expect(classifyVkError({ error: error901.error })).toMatchObject({ name: 'ChannelApiError', retryable: false });
  });

  it('keeps the request parameters but not the message body', () => {
    const error = send(error100);
    const raw = JSON.stringify(error.raw);
    expect(raw).toContain('"error_code":100');
    expect(raw).toContain('messages.send');
    expect(raw).not.toContain('Солярис');
    expect(error.message).toContain('keyboard is invalid');
  });
});
