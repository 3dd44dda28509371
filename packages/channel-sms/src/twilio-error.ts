import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  type StatusEvent,
  UnreachableRecipientError,
} from '@omnidealer/core';
import type { ErrorClassifier } from '@omnidealer/core/provider-utils';
import { twilioErrorSchema } from './twilio-api.js';

/** Twilio error codes that mean the number cannot get SMS: the cascade should move on, not retry. */
const unreachable: Record<number, 'invalid_address' | 'opted_out' | 'blocked' | 'not_on_channel'> = {
  21211: 'invalid_address', // invalid To
  21214: 'invalid_address', // To cannot be reached
  21217: 'invalid_address', // phone number does not appear to be valid
  21401: 'invalid_address', // invalid phone number
  21407: 'not_on_channel', // this phone number type does not support SMS
  21610: 'opted_out', // recipient replied STOP
  21612: 'not_on_channel', // cannot route to this number
  21614: 'invalid_address', // To is not a mobile number
  30003: 'not_on_channel', // unreachable destination handset
  30004: 'blocked', // message blocked
  30005: 'invalid_address', // unknown destination handset
  30006: 'not_on_channel', // landline or unreachable carrier
  30007: 'blocked', // carrier filtering (spam)
};

/**
 * Classifies a Twilio REST error: 401 / 20003 → `AuthError`; 429 / 20429 → `RateLimitError` with `Retry-After`;
 * invalid, landline, unsubscribed or blocked numbers → `UnreachableRecipientError`; 5xx → retryable
 * `ChannelApiError`; everything else (21408 region not enabled, 21606 bad From…) → final `ChannelApiError`.
 * @see https://www.twilio.com/docs/api/errors
 */
export const classifyTwilioError: ErrorClassifier = ({ status, body, retryAfterMs }): OmnidealerError => {
  const parsed = twilioErrorSchema.safeParse(body);
  const code = parsed.success ? (parsed.data.code ?? undefined) : undefined;
  const detail = parsed.success ? (parsed.data.message ?? '') : '';
  const message = `twilio: HTTP ${status}${code ? ` ${code}` : ''}${detail ? ` ${detail}` : ''}`;
  const common = { channel: 'sms', raw: body, message, ...(code ? { providerCode: code } : {}) };
  if (status === 401 || code === 20003) return new AuthError(common);
  if (status === 429 || code === 20429) return new RateLimitError({ ...common, statusCode: status, retryAfterMs });
  const reason = code === undefined ? undefined : unreachable[code];
  if (reason) return new UnreachableRecipientError({ ...common, reason });
  if (status === 404 || code === 20404)
    return new ChannelApiError({ ...common, code: 'not_found', statusCode: status, retryable: false });
  return new ChannelApiError({ ...common, statusCode: status, retryable: status >= 500 || status === 408, retryAfterMs });
};

/** Maps a Twilio message status to ours; `undefined` for statuses that are not yet news (`queued`, `accepted`). */
export function mapTwilioStatus(status: string): StatusEvent['status'] | 'queued' | undefined {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
      return 'queued';
    case 'sending':
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'read':
      return 'read';
    case 'undelivered':
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      return undefined;
  }
}

/** The error part of a failed Twilio status (`ErrorCode` 30003 → `unreachable`, not retryable). */
export function twilioStatusError(
  status: string,
  errorCode: string | number | null | undefined,
  errorMessage?: string | null,
): NonNullable<StatusEvent['error']> | undefined {
  if (status !== 'failed' && status !== 'undelivered' && status !== 'canceled') return undefined;
  const code = errorCode === null || errorCode === undefined || errorCode === '' ? undefined : Number(errorCode);
  const reason = code === undefined ? undefined : unreachable[code];
  return {
    code: status === 'canceled' ? 'canceled' : (reason ?? 'undelivered'),
    message: errorMessage ?? `twilio: ${status}${code ? ` (${code})` : ''}`,
    providerCode: code,
    // 30008 (unknown error) and 30001 (queue overflow) may pass on a later attempt; the rest will not.
    retryable: code === 30008 || code === 30001,
  };
}
