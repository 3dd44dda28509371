import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  type StatusEvent,
  UnreachableRecipientError,
} from '@omnidealer/core';

/**
 * SMSC.ru `error_code` values of `/sys/send.php`.
 * @see https://smsc.ru/api/http/send/sms/
 */
export const SMSC_ERROR_CODES = {
  1: 'bad parameters',
  2: 'wrong login or password',
  3: 'insufficient funds',
  4: 'IP address temporarily blocked after frequent errors',
  5: 'wrong date format',
  6: 'message forbidden (text or sender name)',
  7: 'wrong phone number format',
  8: 'message cannot be delivered to this number',
  9: 'too many identical requests',
} as const satisfies Record<number, string>;

/**
 * Maps an SMSC.ru `error_code` to a typed error: 2 → `AuthError`; 7/8 → `UnreachableRecipientError`; 4 and 9 →
 * `RateLimitError` (retry in a minute); everything else (3 insufficient funds, 6 forbidden message…) → final
 * `ChannelApiError`.
 */
export function classifySmscError(errorCode: number, raw: unknown, text?: string | null): OmnidealerError {
  const description = (SMSC_ERROR_CODES as Record<number, string>)[errorCode] ?? text ?? 'unknown error';
  const common = { channel: 'sms', providerCode: errorCode, raw, message: `smsc: ${errorCode} ${description}` };
  switch (errorCode) {
    case 2:
      return new AuthError(common);
    case 7:
      return new UnreachableRecipientError({ ...common, reason: 'invalid_address' });
    case 8:
      return new UnreachableRecipientError({ ...common, reason: 'not_on_channel' });
    case 4:
    case 9:
      return new RateLimitError({ ...common, retryAfterMs: 60_000 });
    default:
      return new ChannelApiError({ ...common, retryable: false });
  }
}

const failures: Record<number, string> = {
  3: 'expired',
  20: 'undeliverable',
  22: 'invalid_address',
  23: 'forbidden',
  24: 'insufficient_funds',
  25: 'unavailable',
};

/**
 * Maps an SMSC.ru message status: -1 queued; 0 sent (handed to the operator); 1 delivered; 2 read; 4 delivered
 * (link clicked); 3, 20, 22–25 failed; anything else (-3 not found) undefined.
 */
export function mapSmscStatus(
  status: number,
  err?: number | null,
): { status: StatusEvent['status'] | 'queued'; error?: NonNullable<StatusEvent['error']> } | undefined {
  if (status === -1) return { status: 'queued' };
  if (status === 0) return { status: 'sent' };
  if (status === 1 || status === 4) return { status: 'delivered' };
  if (status === 2) return { status: 'read' };
  const failure = failures[status];
  if (!failure) return undefined;
  return {
    status: 'failed',
    error: {
      code: failure,
      message: `smsc: status ${status}${err ? ` (err ${err})` : ''}`,
      providerCode: status,
      retryable: false,
    },
  };
}
