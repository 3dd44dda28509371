import { AuthError, ChannelApiError, RateLimitError, UnreachableRecipientError, ValidationError } from '@omnidealer/core';
import { createSecretRegistry } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import { classifyEmailError, smtpErrorDetails } from './email-error.js';

/** Builds an error shaped like nodemailer's (`code`, `command`, `response`, `responseCode`). */
function smtpError(command: string, response: string, code = 'EENVELOPE') {
  return Object.assign(new Error(`Failed: ${response}`), { code, command, response, responseCode: Number(response.slice(0, 3)) });
}

describe('classifyEmailError', () => {
  it.each<
    [
      string,
      string,
      string,
      { type: { isInstance(error: unknown): boolean }; retryable: boolean; reason?: string; code?: string },
    ]
  >([
    ['RCPT TO', '550 5.1.1 User unknown', 'EENVELOPE', { type: UnreachableRecipientError, retryable: false, reason: 'bounced' }],
    ['RCPT TO', '550 Mailbox unavailable', 'EENVELOPE', { type: UnreachableRecipientError, retryable: false, reason: 'bounced' }],
    ['RCPT TO', '551 User not local', 'EENVELOPE', { type: UnreachableRecipientError, retryable: false, reason: 'bounced' }],
    [
      'RCPT TO',
      '553 5.1.3 Bad recipient address syntax',
      'EENVELOPE',
      { type: UnreachableRecipientError, retryable: false, reason: 'invalid_address' },
    ],
    [
      'RCPT TO',
      '550 5.2.1 Mailbox disabled',
      'EENVELOPE',
      { type: UnreachableRecipientError, retryable: false, reason: 'bounced' },
    ],
    ['RCPT TO', '550 5.7.1 Relaying denied', 'EENVELOPE', { type: ChannelApiError, retryable: false }],
    ['MAIL FROM', '553 5.1.8 Sender domain does not exist', 'EENVELOPE', { type: ChannelApiError, retryable: false }],
    ['MAIL FROM', '550 5.7.1 Sender not allowed', 'EENVELOPE', { type: ChannelApiError, retryable: false }],
    ['DATA', '554 5.7.1 Spam detected', 'EMESSAGE', { type: ChannelApiError, retryable: false }],
    ['DATA', '552 5.3.4 Message too big', 'EMESSAGE', { type: ChannelApiError, retryable: false }],
    ['RCPT TO', '451 4.7.1 Greylisted', 'EENVELOPE', { type: ChannelApiError, retryable: true }],
    ['DATA', '452 4.3.1 Insufficient system storage', 'EMESSAGE', { type: ChannelApiError, retryable: true }],
    ['CONN', '421 4.7.0 Too many connections, try again later', 'ECONNECTION', { type: RateLimitError, retryable: true }],
    ['AUTH PLAIN', '535 5.7.8 Authentication credentials invalid', 'EAUTH', { type: AuthError, retryable: false }],
    ['AUTH LOGIN', '454 4.7.0 Temporary authentication failure', 'EAUTH', { type: AuthError, retryable: true }],
    ['MAIL FROM', '530 5.7.0 Authentication required', 'EENVELOPE', { type: AuthError, retryable: false }],
    ['STARTTLS', '500 command not recognized', 'ETLS', { type: ChannelApiError, retryable: false, code: 'network' }],
  ])('%s %s → %o', (command, response, code, expected) => {
    const error = classifyEmailError(smtpError(command, response, code));
    expect(error).toSatisfy(expected.type.isInstance);
    expect(error.retryable).toBe(expected.retryable);
    expect(error.providerCode).toBe(Number(response.slice(0, 3)));
    if (expected.reason) expect((error as UnreachableRecipientError).reason).toBe(expected.reason);
    if (expected.code) expect(error.code).toBe(expected.code);
    expect(error.raw).toMatchObject({ command, response });
  });

  it.each([
    ['ECONNRESET', 'read ECONNRESET', 'network'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:25', 'network'],
    ['ETIMEDOUT', 'Greeting never received', 'timeout'],
    ['ESOCKET', 'socket hang up', 'network'],
    ['ECONNECTION', 'Connection closed unexpectedly', 'network'],
    ['EDNS', 'getaddrinfo EAI_AGAIN smtp.example.ru', 'network'],
  ])('%s is a retryable %s error', (code, message, expectedCode) => {
    const error = classifyEmailError(Object.assign(new Error(message), { code, command: 'CONN' }));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ code: expectedCode, retryable: true });
  });

  it('treats certificate failures as configuration, not retryable', () => {
    const error = classifyEmailError(Object.assign(new Error('self-signed certificate'), { code: 'ESOCKET', command: 'CONN' }));
    expect(error).toMatchObject({ code: 'network', retryable: false });
  });

  it('keeps typed errors as they are and wraps anything else as a non-retryable ChannelApiError', () => {
    const validation = new ValidationError({ field: 'x', message: 'x' });
    expect(classifyEmailError(validation)).toBe(validation);
    expect(classifyEmailError('boom')).toMatchObject({ code: 'provider_error', retryable: false, message: 'SMTP failed: boom' });
  });

  it("the channel's secret registry removes the SMTP password from messages and raw replies", () => {
    const secrets = createSecretRegistry();
    secrets.add('p4ssw0rd-smtp');
    const error = secrets.redactError(
      classifyEmailError(smtpError('AUTH PLAIN', '535 bad credentials for p4ssw0rd-smtp', 'EAUTH')),
    );
    expect(JSON.stringify({ message: error.message, raw: error.raw })).not.toContain('p4ssw0rd-smtp');
  });

  it('reads the enhanced status code from the reply', () => {
    expect(smtpErrorDetails({ response: '550-5.1.1 The email account does not exist' })).toEqual({
      responseCode: 550,
      response: '550-5.1.1 The email account does not exist',
      enhancedStatus: '5.1.1',
    });
  });
});
