import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  type StatusEvent,
  UnreachableRecipientError,
  ValidationError,
} from '@omnidealer/core';
import { defaultErrorClassifier, type ErrorClassifier } from '@omnidealer/core/provider-utils';

/**
 * SMS.ru status codes of requests and per-number results, as listed on SMS.ru's API pages ("Коды ответов").
 * A code missing here still classifies (as a final provider error carrying SMS.ru's own `status_text`).
 * @see https://sms.ru/api/send
 * @see https://sms.ru/api/status
 */
export const SMS_RU_ERROR_CODES = {
  200: 'invalid api_id',
  201: 'insufficient funds',
  202: 'invalid recipient number or no route to it',
  203: 'no message text',
  204: 'sender name not approved / operator not connected',
  205: 'message too long (more than 8 SMS)',
  206: 'daily sending limit reached',
  207: 'no delivery route to this number',
  208: 'invalid time parameter',
  209: 'number is in your stop list',
  210: 'GET used where POST is required',
  211: 'method not found',
  212: 'text must be UTF-8',
  213: 'too many recipients in one request',
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
  303: 'confirmation code is wrong',
  304: 'too many confirmation codes sent',
  305: 'too many wrong code entries',
  500: 'server error, repeat the request',
  501: 'limit: user IP is a TOR exit',
  502: "limit: user IP does not match the user's country",
  503: 'limit: too many messages to this country',
  504: 'limit: too many authorisation codes abroad',
  505: 'limit: too many messages from one IP address',
  506: 'limit: too many messages from a hosting company IP',
  507: 'user IP is invalid or private',
  508: 'limit: too many calls in 5 minutes',
  901: 'callback URL invalid (must start with http://)',
  902: 'callback handler not found',
} as const satisfies Record<number, string>;

function describe(code: number, text: string | null | undefined): string {
  return (SMS_RU_ERROR_CODES as Record<number, string>)[code] ?? text ?? 'unknown error';
}

/** Request fields SMS.ru rejects by code: our input was wrong, a retry cannot help. */
const invalidFields: Record<number, string> = { 203: 'text', 205: 'text', 208: 'time', 212: 'text', 213: 'to' };

/** Short-window limits: worth one more try after the wait. */
const rateLimits: Record<number, number> = {
  231: 60_000,
  304: 60_000,
  305: 60_000,
  503: 60_000,
  504: 60_000,
  505: 60_000,
  508: 5 * 60_000,
};

/**
 * Maps an SMS.ru error `status_code` (request-level or per-number) to a typed error:
 * - bad credentials (200, 300–302) → `AuthError`;
 * - invalid number / no route / abroad (202, 207, 214) → `UnreachableRecipientError` `invalid_address`; our stop
 *   list (209) → `opted_out`; SMS.ru's spam stop list (215) → `blocked` (none retryable: the cascade moves on);
 * - bad input (203, 205, 208, 212 text/time/encoding, 213 too many numbers) → `ValidationError`;
 * - short-window limits (231, 304, 305, 503, 504, 505; 508 five minutes) → `RateLimitError`, retryable after the wait;
 * - 220 (service unavailable) and 500 (server error) → retryable `ChannelApiError`;
 * - everything else (insufficient funds, unapproved sender, forbidden word, daily limits 206/230/232, the 233
 *   anti-fraud limit, IP checks 501/502/506/507, callback errors, unknown codes) → final `ChannelApiError`.
 */
export function classifySmsRuError(statusCode: number, raw: unknown, statusText?: string | null): OmnidealerError {
  const channel = 'sms';
  const message = `sms.ru: ${statusCode} ${describe(statusCode, statusText)}`;
  const common = { channel, providerCode: statusCode, raw, message };
  const field = invalidFields[statusCode];
  if (field) return new ValidationError({ ...common, field });
  const retryAfterMs = rateLimits[statusCode];
  if (retryAfterMs) return new RateLimitError({ ...common, retryAfterMs });
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
