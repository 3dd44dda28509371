import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  type StatusEvent,
  UnreachableRecipientError,
} from '@omnidealer/core';
import { defaultErrorClassifier, type ErrorClassifier } from '@omnidealer/core/provider-utils';

/**
 * SMS.ru status codes of requests and per-number results.
 * @see https://sms.ru/api/send
 */
export const SMS_RU_ERROR_CODES = {
  200: 'invalid api_id',
  201: 'insufficient funds',
  202: 'invalid recipient number or no route to it',
  203: 'no message text',
  204: 'sender name not approved',
  205: 'message too long (more than 8 SMS)',
  206: 'daily sending limit reached',
  207: 'no delivery route to this number',
  208: 'invalid time parameter',
  209: 'number is in your stop list',
  210: 'GET used where POST is required',
  211: 'method not found',
  212: 'text must be UTF-8',
  213: 'too many recipients',
  214: 'number is abroad (account sends to Russia only)',
  215: 'number is in the SMS.ru spam stop list',
  216: 'forbidden word in the text',
  220: 'service temporarily unavailable',
  230: 'daily message limit for this number',
  231: 'same message to this number: per-minute limit',
  232: 'same message to this number: daily limit',
  233: 'repeated code messages to this number too often',
  300: 'invalid token',
  301: 'invalid api_id or login/password',
  302: 'account not confirmed',
  500: 'server error, repeat the request',
  503: 'too many messages to this country',
  505: 'too many messages from one IP address',
} as const satisfies Record<number, string>;

function describe(code: number, text: string | null | undefined): string {
  return (SMS_RU_ERROR_CODES as Record<number, string>)[code] ?? text ?? 'unknown error';
}

/**
 * Maps an SMS.ru error `status_code` (request-level or per-number) to a typed error: bad credentials →
 * `AuthError`; invalid number / no route / stop lists → `UnreachableRecipientError` (not retryable, the cascade
 * moves on); per-minute duplicate limits → `RateLimitError` (retryable after a minute); 220/500 → retryable
 * `ChannelApiError`; everything else (insufficient funds, unapproved sender, forbidden text…) → final `ChannelApiError`.
 */
export function classifySmsRuError(statusCode: number, raw: unknown, statusText?: string | null): OmnidealerError {
  const channel = 'sms';
  const message = `sms.ru: ${statusCode} ${describe(statusCode, statusText)}`;
  const common = { channel, providerCode: statusCode, raw, message };
  switch (statusCode) {
    case 200:
    case 300:
    case 301:
    case 302:
      return new AuthError(common);
    case 202:
    case 207:
    case 214:
      return new UnreachableRecipientError({ ...common, reason: 'invalid_address' });
    case 209:
      return new UnreachableRecipientError({ ...common, reason: 'opted_out' });
    case 215:
      return new UnreachableRecipientError({ ...common, reason: 'blocked' });
    case 231:
    case 503:
    case 505:
      return new RateLimitError({ ...common, retryAfterMs: 60_000 });
    case 220:
    case 500:
      return new ChannelApiError({ ...common, retryable: true });
    default:
      return new ChannelApiError({ ...common, retryable: false });
  }
}

/** HTTP-level failures (proxy 5xx, 429): the core default, labelled for SMS. */
export const smsRuHttpErrorClassifier: ErrorClassifier = (response) => defaultErrorClassifier({ ...response, channel: 'sms' });

const failures: Record<number, string> = {
  104: 'expired',
  105: 'deleted_by_operator',
  106: 'phone_failure',
  107: 'unknown',
  108: 'rejected',
  150: 'no_route',
};

/**
 * Maps an SMS.ru message status code to ours: 100 queued; 101/102 sent; 103 delivered; 110 read;
 * 104–108 and 150 failed (with the reason); anything else undefined.
 */
export function mapSmsRuStatus(
  statusCode: number,
  statusText?: string | null,
): { status: StatusEvent['status'] | 'queued'; error?: NonNullable<StatusEvent['error']> } | undefined {
  if (statusCode === 100) return { status: 'queued' };
  if (statusCode === 101 || statusCode === 102) return { status: 'sent' };
  if (statusCode === 103) return { status: 'delivered' };
  if (statusCode === 110) return { status: 'read' };
  const failure = failures[statusCode];
  if (failure)
    return {
      status: 'failed',
      error: { code: failure, message: statusText ?? failure.replace(/_/g, ' '), providerCode: statusCode, retryable: false },
    };
  return undefined;
}
