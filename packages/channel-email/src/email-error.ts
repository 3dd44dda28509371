import {
  AuthError,
  ChannelApiError,
  OmnidealerError,
  RateLimitError,
  type UnreachableReason,
  UnreachableRecipientError,
} from '@omnidealer/core';

/** The SMTP reply and nodemailer's context of a failed send, kept as an error's `raw`. */
export interface SmtpErrorDetails {
  /** nodemailer's error code (`EAUTH`, `EENVELOPE`, `EMESSAGE`, `ESOCKET`, `ECONNECTION`, `ETIMEDOUT`, `ETLS`…). */
  code?: string | undefined;
  /** The SMTP command that failed (`AUTH PLAIN`, `RCPT TO`, `DATA`, `CONN`). */
  command?: string | undefined;
  /** The SMTP reply code (`550`). */
  responseCode?: number | undefined;
  /** The server's full reply line (`550 5.1.1 mailbox unavailable`). */
  response?: string | undefined;
  /** The RFC 3463 enhanced status code from the reply (`5.1.1`), when the server sent one. */
  enhancedStatus?: string | undefined;
  /** The socket error behind a connection failure (`connect`, errno `-111`). */
  syscall?: string | undefined;
}

const networkCodes = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Node/OpenSSL certificate failures: a configuration problem that retrying cannot fix. */
const certificatePattern = /certificate|self[- ]signed|unable to verify|altname|CERT_|wrong version number/i;
/** Throttling wording seen in 4xx replies (`421 4.7.0 Too many connections`, `450 Rate limit exceeded`). */
const throttlePattern = /rate|too many|throttl|limit exceeded|slow down|try again later/i;
const enhancedStatusPattern = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/;

/** Reads nodemailer's error fields into {@link SmtpErrorDetails}. */
export function smtpErrorDetails(error: unknown): SmtpErrorDetails {
  const source = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const response = typeof source.response === 'string' ? source.response : undefined;
  const details: SmtpErrorDetails = {};
  if (typeof source.code === 'string') details.code = source.code;
  if (typeof source.command === 'string') details.command = source.command;
  if (typeof source.responseCode === 'number') details.responseCode = source.responseCode;
  else if (response && /^\d{3}/.test(response)) details.responseCode = Number(response.slice(0, 3));
  if (response) {
    details.response = response;
    const enhanced = enhancedStatusPattern.exec(response)?.[1];
    if (enhanced) details.enhancedStatus = enhanced;
  }
  if (typeof source.syscall === 'string') details.syscall = source.syscall;
  return details;
}

function unreachableReasonOf(details: SmtpErrorDetails): UnreachableReason | undefined {
  const code = details.responseCode ?? 0;
  const enhanced = details.enhancedStatus ?? '';
  // A rejected sender (MAIL FROM, 5.1.7/5.1.8) is our configuration, not the recipient.
  if (code < 500 || details.command === 'MAIL FROM' || enhanced === '5.1.7' || enhanced === '5.1.8') return undefined;
  // RFC 3463: 5.1.x addressing (5.1.1 no such user, 5.1.3 bad syntax), 5.2.1 mailbox disabled.
  if (enhanced === '5.1.3') return 'invalid_address';
  if (enhanced.startsWith('5.1.') || enhanced === '5.2.1') return 'bounced';
  // RFC 5321 at RCPT TO: 550 mailbox unavailable, 551 user not local, 553 mailbox name not allowed.
  if (details.command === 'RCPT TO' && !enhanced.startsWith('5.7')) {
    if (code === 553) return 'invalid_address';
    if (code === 550 || code === 551) return 'bounced';
  }
  return undefined;
}

/**
 * Turns a nodemailer/SMTP failure into a typed omnidealer error. Adapters classify, the hub retries:
 *
 * | what happened | error | retryable |
 * |---|---|---|
 * | `535`/`530`/`534`/`538` or nodemailer `EAUTH` | {@link AuthError} | no (yes for `454`) |
 * | `550`/`551` at `RCPT TO`, `5.1.x`, `5.2.1` | {@link UnreachableRecipientError} `bounced` | no |
 * | `553`, `5.1.3` | {@link UnreachableRecipientError} `invalid_address` | no |
 * | other `5xx` | {@link ChannelApiError} | no |
 * | `4xx` mentioning rate/too many/throttling | {@link RateLimitError} | yes |
 * | other `4xx` | {@link ChannelApiError} | yes |
 * | connection reset/refused/closed, DNS, timeouts | {@link ChannelApiError} `network`/`timeout` | yes |
 * | TLS certificate or STARTTLS failures | {@link ChannelApiError} `network` | no |
 *
 * The SMTP reply is kept as `raw` ({@link SmtpErrorDetails}); addresses in it are masked and registered secrets
 * (the SMTP password) removed on construction.
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.2 SMTP replies
 * @see https://www.rfc-editor.org/rfc/rfc3463 enhanced status codes
 */
export function classifyEmailError(error: unknown, channel = 'email'): OmnidealerError {
  if (OmnidealerError.isInstance(error)) return error;
  const details = smtpErrorDetails(error);
  const raw = details;
  const text = error instanceof Error ? error.message : String(error);
  const where = details.command ? `SMTP ${details.command}` : 'SMTP';
  const message = `${where} failed: ${details.response ?? text}`;
  const responseCode = details.responseCode;
  const common = { channel, raw, cause: error, message, ...(responseCode ? { providerCode: responseCode } : {}) };

  // STARTTLS refused or a certificate nobody trusts: configuration, retrying cannot help.
  if (details.code === 'ETLS' || (!responseCode && certificatePattern.test(text))) {
    return new ChannelApiError({ ...common, code: 'network', retryable: false });
  }
  if (details.code === 'EAUTH' || (responseCode !== undefined && [530, 534, 535, 538].includes(responseCode))) {
    return new AuthError({ ...common, retryable: responseCode !== undefined && responseCode >= 400 && responseCode < 500 });
  }
  if (responseCode !== undefined && responseCode >= 500) {
    const reason = unreachableReasonOf(details);
    if (reason) return new UnreachableRecipientError({ ...common, reason });
    return new ChannelApiError({ ...common, retryable: false });
  }
  if (responseCode !== undefined && responseCode >= 400) {
    if (throttlePattern.test(details.response ?? '')) return new RateLimitError(common);
    return new ChannelApiError({ ...common, retryable: true });
  }
  if (details.code && networkCodes.has(details.code)) {
    return new ChannelApiError({ ...common, code: details.code === 'ETIMEDOUT' ? 'timeout' : 'network', retryable: true });
  }
  return new ChannelApiError({ ...common, retryable: false });
}
