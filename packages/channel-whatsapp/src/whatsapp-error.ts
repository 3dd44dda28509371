import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  UnreachableRecipientError,
  WindowClosedError,
} from '@omnidealer/core';
import type { ErrorClassifier } from '@omnidealer/core/provider-utils';
import { type WhatsAppError, whatsAppErrorEnvelopeSchema } from './whatsapp-api.js';

/** Graph error codes the adapter classifies, grouped by what the caller should do. */
export const WHATSAPP_ERROR_CODES = {
  /** Access token invalid or expired: an auth error, never retried. */
  auth: [0, 190],
  /** Capability or permission missing on the token / app. */
  permission: [3, 10, 200],
  /** App, WABA, throughput or pair rate limits: retried with backoff. */
  rateLimit: [4, 80007, 130429, 131056],
  /** Spam / quality rate limit: back the campaign off, do not retry now. */
  spamLimit: [131048],
  /** Unknown or temporary provider trouble: retried. */
  transient: [1, 2, 131000, 131016],
  /** Invalid or missing parameters in our request: not retried. */
  invalidRequest: [100, 131008, 131009, 135000],
  /** The customer-service window is closed: use a template. */
  windowClosed: [131047],
  /** Recipient not reachable on WhatsApp (not a user, old app, terms not accepted). */
  undeliverable: [131026],
  /** The user stopped marketing messages. */
  optedOut: [131050],
  /** The recipient is the sender. */
  recipientIsSender: [131021],
  /** This message (an authentication template) cannot go to a business-scoped user id, only to a phone number. */
  userIdRecipientUnsupported: [131062],
} as const satisfies Record<string, readonly number[]>;

/** Wait before retrying a pair-rate-limited send when Meta gave no `Retry-After`. @default 6000 */
const pairRateLimitWaitMs = 6000;

const has = (list: readonly number[], code: number | undefined) => code !== undefined && list.includes(code);

/** What is known about a WhatsApp failure: Graph error code, HTTP status, texts and the raw body. */
export interface WhatsAppFailure {
  code?: number | undefined;
  subcode?: number | undefined;
  status?: number | undefined;
  message?: string | undefined;
  details?: string | undefined;
  retryAfterMs?: number | undefined;
  raw?: unknown;
  channel?: string | undefined;
  /** Id of the channel account that made the call. */
  accountId?: string | undefined;
}

/**
 * Turns a WhatsApp failure (Graph error code, HTTP status) into a typed omnidealer error: 131047 →
 * `WindowClosedError`; 4/80007/130429/131056 → retryable `RateLimitError`; 0/190 → `AuthError`; 131026 →
 * `UnreachableRecipientError` (`not_on_channel`); 131050 → `opted_out`; 131062 (a message, e.g. an authentication
 * template, that cannot go to a business-scoped user id) → final `ChannelApiError`; 5xx and transient codes → retryable
 * `ChannelApiError`; everything else (invalid parameters, template, policy, account errors) → non-retryable.
 * The provider's code and raw error are always kept.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 */
export function classifyWhatsAppFailure(failure: WhatsAppFailure): OmnidealerError {
  const channel = failure.channel ?? 'whatsapp';
  const { code, status, retryAfterMs, raw } = failure;
  const text = [failure.message, failure.details].filter(Boolean).join(': ') || (status ? `HTTP ${status}` : 'unknown error');
  const message = `whatsapp${code !== undefined ? ` ${code}` : ''}: ${text}`;
  const providerCode = code;
  const common = { channel, message, raw, ...(providerCode !== undefined ? { providerCode } : {}) };
  const api = { ...common, accountId: failure.accountId, statusCode: status };
  if (has(WHATSAPP_ERROR_CODES.windowClosed, code)) return new WindowClosedError(common);
  if (has(WHATSAPP_ERROR_CODES.auth, code) || (code === undefined && status === 401)) return new AuthError(common);
  if (has(WHATSAPP_ERROR_CODES.permission, code)) return new AuthError(common);
  if (has(WHATSAPP_ERROR_CODES.rateLimit, code)) {
    return new RateLimitError({
      ...api,
      retryAfterMs: retryAfterMs ?? (code === 131056 ? pairRateLimitWaitMs : undefined),
    });
  }
  if (has(WHATSAPP_ERROR_CODES.spamLimit, code)) return new RateLimitError({ ...api, retryable: false, retryAfterMs });
  if (has(WHATSAPP_ERROR_CODES.undeliverable, code))
    return new UnreachableRecipientError({ ...common, reason: 'not_on_channel' });
  if (has(WHATSAPP_ERROR_CODES.optedOut, code)) return new UnreachableRecipientError({ ...common, reason: 'opted_out' });
  if (has(WHATSAPP_ERROR_CODES.recipientIsSender, code))
    return new UnreachableRecipientError({ ...common, reason: 'invalid_address' });
  if (has(WHATSAPP_ERROR_CODES.userIdRecipientUnsupported, code)) {
    const hint = 'this message cannot be sent to a WhatsApp user id (username user); it needs the phone number';
    return new ChannelApiError({ ...api, message: `${message} (${hint})`, retryable: false });
  }
  if (has(WHATSAPP_ERROR_CODES.transient, code)) return new ChannelApiError({ ...api, retryable: true, retryAfterMs });
  if (code === undefined && status === 429) return new RateLimitError({ ...api, retryAfterMs });
  // A documented request/template/policy/account code is final even on a 5xx; an unknown code on a 5xx is not.
  const documentedFinal =
    code !== undefined && (has(WHATSAPP_ERROR_CODES.invalidRequest, code) || code === 368 || (code >= 131000 && code < 136000));
  const retryable = !documentedFinal && status !== undefined && (status >= 500 || status === 408);
  return new ChannelApiError({ ...api, retryable, retryAfterMs });
}

/** Reads the Graph error fields we classify on. */
export function failureFromWhatsAppError(error: WhatsAppError): WhatsAppFailure {
  const details = typeof error.error_data === 'string' ? error.error_data : (error.error_data?.details ?? undefined);
  return {
    code: error.code ?? undefined,
    subcode: error.error_subcode ?? undefined,
    message: error.message ?? error.title ?? undefined,
    details,
  };
}

/**
 * The {@link ErrorClassifier} the WhatsApp HTTP client uses: parses the Graph error envelope (leniently; an HTML
 * page from a proxy still classifies by HTTP status) and delegates to {@link classifyWhatsAppFailure}.
 */
export const classifyWhatsAppError: ErrorClassifier = ({ status, body, retryAfterMs, channel, accountId }) => {
  const parsed = whatsAppErrorEnvelopeSchema.safeParse(body);
  const failure = parsed.success ? failureFromWhatsAppError(parsed.data.error) : {};
  return classifyWhatsAppFailure({ ...failure, status, retryAfterMs, raw: body, channel, accountId });
};
