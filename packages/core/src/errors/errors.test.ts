import { describe, expect, it, vi } from 'vitest';
import { AuthError } from './auth-error.js';
import { ChannelApiError } from './channel-api-error.js';
import { FrequencyCapError } from './frequency-cap-error.js';
import { OmnidealerError } from './omnidealer-error.js';
import { RateLimitError } from './rate-limit-error.js';
import { UnreachableRecipientError } from './unreachable-recipient-error.js';
import { ValidationError } from './validation-error.js';
import { WebhookError } from './webhook-error.js';
import { WindowClosedError } from './window-closed-error.js';

const classes = {
  OmnidealerError,
  ChannelApiError,
  RateLimitError,
  AuthError,
  UnreachableRecipientError,
  ValidationError,
  WebhookError,
  WindowClosedError,
  FrequencyCapError,
} as const;

/** One instance of each class, built with its minimal arguments. */
function samples(from: typeof classes) {
  return {
    OmnidealerError: new from.OmnidealerError({ message: 'boom' }),
    ChannelApiError: new from.ChannelApiError({ channel: 'whatsapp', message: 'HTTP 500', statusCode: 500, retryable: true }),
    RateLimitError: new from.RateLimitError({ channel: 'sms', message: '429', statusCode: 429, retryAfterMs: 1000 }),
    AuthError: new from.AuthError({ channel: 'avito', message: 'token expired' }),
    UnreachableRecipientError: new from.UnreachableRecipientError({ channel: 'sms', message: 'no', reason: 'opted_out' }),
    ValidationError: new from.ValidationError({ message: 'bad', field: 'content.text' }),
    WebhookError: new from.WebhookError({ channel: 'whatsapp', message: 'bad signature', kind: 'signature' }),
    WindowClosedError: new from.WindowClosedError({ channel: 'whatsapp', message: '131047' }),
    FrequencyCapError: new from.FrequencyCapError({ message: 'capped', kind: 'marketing' }),
  };
}

/** Which classes each sample belongs to (itself, its ancestors). */
const expected: Record<keyof typeof classes, Array<keyof typeof classes>> = {
  OmnidealerError: ['OmnidealerError'],
  ChannelApiError: ['OmnidealerError', 'ChannelApiError'],
  RateLimitError: ['OmnidealerError', 'ChannelApiError', 'RateLimitError'],
  AuthError: ['OmnidealerError', 'AuthError'],
  UnreachableRecipientError: ['OmnidealerError', 'UnreachableRecipientError'],
  ValidationError: ['OmnidealerError', 'ValidationError'],
  WebhookError: ['OmnidealerError', 'WebhookError'],
  WindowClosedError: ['OmnidealerError', 'WindowClosedError'],
  FrequencyCapError: ['OmnidealerError', 'FrequencyCapError'],
};

/** A second, independent copy of the error modules, as when two versions of the package are installed. */
async function secondCopy(): Promise<typeof classes> {
  vi.resetModules();
  const copy = {
    OmnidealerError: (await import('./omnidealer-error.js')).OmnidealerError,
    ChannelApiError: (await import('./channel-api-error.js')).ChannelApiError,
    RateLimitError: (await import('./rate-limit-error.js')).RateLimitError,
    AuthError: (await import('./auth-error.js')).AuthError,
    UnreachableRecipientError: (await import('./unreachable-recipient-error.js')).UnreachableRecipientError,
    ValidationError: (await import('./validation-error.js')).ValidationError,
    WebhookError: (await import('./webhook-error.js')).WebhookError,
    WindowClosedError: (await import('./window-closed-error.js')).WindowClosedError,
    FrequencyCapError: (await import('./frequency-cap-error.js')).FrequencyCapError,
  };
  vi.resetModules();
  return copy;
}

describe('error classes', () => {
  it('isInstance follows the class hierarchy: a class and its ancestors, nothing else', () => {
    const built = samples(classes);
    for (const [sampleName, error] of Object.entries(built) as Array<[keyof typeof classes, OmnidealerError]>) {
      for (const [className, errorClass] of Object.entries(classes) as Array<[keyof typeof classes, typeof OmnidealerError]>) {
        expect(errorClass.isInstance(error), `${className}.isInstance(${sampleName})`).toBe(
          expected[sampleName].includes(className),
        );
      }
    }
    expect(WindowClosedError.isInstance(built.WindowClosedError) && OmnidealerError.isInstance(built.WindowClosedError)).toBe(
      true,
    );
  });

  it('isInstance recognises errors built by a second copy of the package, where instanceof fails', async () => {
    const copy = await secondCopy();
    expect(copy.WindowClosedError).not.toBe(WindowClosedError);
    const foreign = samples(copy);
    expect(foreign.WindowClosedError instanceof WindowClosedError).toBe(false);
    for (const [sampleName, error] of Object.entries(foreign) as Array<[keyof typeof classes, OmnidealerError]>) {
      for (const [className, errorClass] of Object.entries(classes) as Array<[keyof typeof classes, typeof OmnidealerError]>) {
        expect(errorClass.isInstance(error), `${className}.isInstance(copy's ${sampleName})`).toBe(
          expected[sampleName].includes(className),
        );
      }
    }
    // And the other way round: the copy's classes recognise ours.
    expect(copy.RateLimitError.isInstance(new RateLimitError({ channel: 'sms', message: '429' }))).toBe(true);
    expect(copy.ChannelApiError.isInstance(new AuthError({ message: 'no' }))).toBe(false);
  });

  it('isInstance keys on the global Symbol.for marker, not on the prototype', () => {
    const marked = { [Symbol.for('omnidealer.OmnidealerError')]: true, [Symbol.for('omnidealer.WindowClosedError')]: true };
    expect(WindowClosedError.isInstance(marked)).toBe(true);
    expect(OmnidealerError.isInstance(marked)).toBe(true);
    expect(ChannelApiError.isInstance(marked)).toBe(false);
    for (const value of [undefined, null, 'WindowClosedError', 42, new Error('plain'), { code: 'window_closed' }]) {
      expect(OmnidealerError.isInstance(value)).toBe(false);
      expect(WindowClosedError.isInstance(value)).toBe(false);
    }
    expect(WindowClosedError.isInstance({ [Symbol.for('omnidealer.WindowClosedError')]: false })).toBe(false);
  });

  it('ChannelApiError carries status, provider code, Retry-After, account and cause; RateLimitError is one', () => {
    const cause = new Error('socket hang up');
    const error = new ChannelApiError({
      channel: 'whatsapp',
      accountId: 'wa-main',
      statusCode: 503,
      providerCode: 131000,
      retryAfterMs: 2000,
      retryable: true,
      message: 'whatsapp 131000: Something went wrong',
      raw: { error: { code: 131000 } },
      cause,
    });
    expect(error).toMatchObject({
      name: 'ChannelApiError',
      channel: 'whatsapp',
      accountId: 'wa-main',
      statusCode: 503,
      providerCode: 131000,
      retryAfterMs: 2000,
      retryable: true,
      code: 'provider_error',
      raw: { error: { code: 131000 } },
    });
    expect(error.cause).toBe(cause);
    const limited = new RateLimitError({ channel: 'sms', statusCode: 429, message: '429', retryAfterMs: 500 });
    expect(limited).toMatchObject({
      name: 'RateLimitError',
      code: 'rate_limited',
      retryable: true,
      statusCode: 429,
      retryAfterMs: 500,
    });
  });

  it('redacts tokens and phone numbers in the message and the raw body on construction', () => {
    const error = new ChannelApiError({
      channel: 'sms',
      message: 'sms.ru: https://sms.ru/sms/send?api_id=A1B2C3D4-E5F6-7788-99AA-BBCCDDEEFF00&to=79161234567 failed',
      raw: { access_token: 'EAAG-very-secret-token', to: '+79161234567', text: 'Bearer abcdefghijklmnop' },
    });
    const everything = `${error.message} ${JSON.stringify(error.raw)}`;
    expect(everything).not.toContain('A1B2C3D4-E5F6-7788-99AA-BBCCDDEEFF00');
    expect(everything).not.toContain('EAAG-very-secret-token');
    expect(everything).not.toContain('79161234567');
    expect(everything).not.toContain('abcdefghijklmnop');
  });
});
