import { describe, expect, it } from 'vitest';
import { ChannelApiError } from './errors/channel-api-error.js';
import { OmnidealerError } from './errors/omnidealer-error.js';
import { ValidationError } from './errors/validation-error.js';
import { createSecretRegistry, maskPhone, redact, redactValue } from './redact.js';

describe('redaction', () => {
  it('masks phone numbers, e-mails, bearer tokens and credential parameters', () => {
    const text = redact('to +7 916 123-45-67 and ivan.petrov@example.ru with Bearer EAAG.abc123 api_id=ABCDEF-123 &psw=hunter2');
    expect(text).not.toContain('916 123');
    expect(text).not.toContain('ivan.petrov');
    expect(text).not.toContain('EAAG.abc123');
    expect(text).not.toContain('ABCDEF-123');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('i***@example.ru');
    expect(maskPhone('+79161234567')).toBe('+7********67');
  });

  it("removes the secrets of a registry wherever they appear, and only that registry's", () => {
    const secrets = createSecretRegistry();
    const other = createSecretRegistry();
    secrets.add('app-secret-7f3a9c');
    secrets.add('short');
    other.add('other-secret-1b2c3d');
    expect(secrets.values()).toEqual(['app-secret-7f3a9c']);
    expect(secrets.redact('signature computed with app-secret-7f3a9c failed')).toBe('signature computed with [redacted] failed');
    expect(other.redact('signature computed with app-secret-7f3a9c failed')).toBe(
      'signature computed with app-secret-7f3a9c failed',
    );
    expect(redact('app-secret-7f3a9c')).toBe('app-secret-7f3a9c');
  });

  it("scrubs a registry's secrets from an error's message, stack and raw body in place", () => {
    const secrets = createSecretRegistry();
    secrets.add('EAAGsecretToken42');
    const error = new ChannelApiError({
      channel: 'whatsapp',
      message: 'rejected EAAGsecretToken42',
      raw: { echo: 'EAAGsecretToken42', nested: ['x EAAGsecretToken42'] },
    });
    expect(secrets.redactError(error)).toBe(error);
    expect(error.message).toBe('rejected [redacted]');
    expect(error.stack).not.toContain('EAAGsecretToken42');
    expect(JSON.stringify(error.raw)).not.toContain('EAAGsecretToken42');
    expect(error.raw).toEqual({ echo: '[redacted]', nested: ['x [redacted]'] });
    expect(secrets.redactError('not an error')).toBe('not an error');
  });

  it('redacts error messages and raw provider bodies on construction', () => {
    const error = new ChannelApiError({
      channel: 'sms',
      message: 'number +79161234567 rejected',
      raw: { to: '79161234567', access_token: 'tok-abcdef', nested: [{ phone: '+7 (916) 123-45-67' }] },
    });
    expect(error.message).not.toContain('9161234567');
    expect(JSON.stringify(error.raw)).not.toContain('tok-abcdef');
    expect(JSON.stringify(error.raw)).not.toContain('123-45-67');
    expect(JSON.stringify(error.raw)).not.toContain('9161234567');
  });

  it('recognises errors across package copies via the Symbol.for marker', () => {
    const error = new ValidationError({ field: 'contact.phone', message: 'bad phone' });
    expect(OmnidealerError.isInstance(error)).toBe(true);
    expect(OmnidealerError.isInstance({ [Symbol.for('omnidealer.OmnidealerError')]: true })).toBe(true);
    expect(OmnidealerError.isInstance(new Error('x'))).toBe(false);
    expect(error).toMatchObject({ channel: 'core', code: 'validation', retryable: false, field: 'contact.phone' });
  });

  it('leaves ordinary words, timestamps and queue ids alone', () => {
    expect(redact('Error validating access token: Session has expired on Monday')).toBe(
      'Error validating access token: Session has expired on Monday',
    );
    expect(redact('Unrecognized key: "prot"')).toBe('Unrecognized key: "prot"');
    expect(redact('250 2.0.0 Ok: queued as 1764067200123 at 1764067200')).toBe(
      '250 2.0.0 Ok: queued as 1764067200123 at 1764067200',
    );
    expect(redact('token=EAAGm0PX4ZCpsBA1b2')).toBe('token=[redacted]');
    expect(redact('wa_id 79161234567 and +44 20 7946 0958')).not.toMatch(/9161234567|7946 0958/);
  });

  it('copies an Error inside a value with its message, stack, own fields and cause redacted', () => {
    const cause = Object.assign(new Error('550 <ivan.petrov@example.ru>: rejected'), { rejected: ['ivan.petrov@example.ru'] });
    const error = Object.assign(new TypeError('send to +79161234567 failed', { cause }), {
      code: 'EENVELOPE',
      password: 'pw-123456',
    });
    const copy = redactValue({ err: error }).err;
    expect(copy).toBeInstanceOf(TypeError);
    expect(copy).not.toBe(error);
    expect(copy.message).toBe('send to +7********67 failed');
    expect(copy.stack).toEqual(expect.stringContaining('TypeError: send to +7********67 failed'));
    expect({ ...copy }).toEqual({ code: 'EENVELOPE', password: '[redacted]' });
    expect(copy.cause).toBeInstanceOf(Error);
    expect((copy.cause as Error).message).toBe('550 <i***@example.ru>: rejected');
    expect({ ...(copy.cause as Error) }).toEqual({ rejected: ['i***@example.ru'] });
    // The original is left as it was.
    expect(error.message).toBe('send to +79161234567 failed');
  });
});
