import {
  AuthError,
  type OmnidealerError,
  ProviderError,
  RateLimitError,
  UnreachableRecipientError,
  ValidationError,
} from '@omnidealer/core';
import { maxErrorBodySchema } from './max-api.js';

/** A MAX HTTP failure handed to {@link classifyMaxError}. */
export interface MaxErrorResponse {
  status: number;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** `Retry-After` in milliseconds when MAX sent one. */
  retryAfterMs: number | undefined;
  /** Channel kind used in the error. @default 'max' */
  channel?: string | undefined;
  /**
   * What the request was about: `send` requests (`POST /messages`) turn 403/404 into `UnreachableRecipientError`;
   * `account` requests (uploads, subscriptions, updates, `GET /me`) do not. @default 'account'
   */
  scope?: 'send' | 'account' | undefined;
}

/**
 * The error code MAX answers while an uploaded file is still being processed. The official client
 * (`MessagesApi.send`) retries the send on it after 1 s, 2 s and 4 s; here it is a retryable error and core retries.
 */
const MAX_ATTACHMENT_NOT_READY = 'attachment.not.ready';

/** How long to wait before resending after `attachment.not.ready` when MAX sent no `Retry-After` (the client's base delay). */
const attachmentNotReadyDelayMs = 1000;

/** The `code` and `message` of a MAX error body (`{ "code": "verify.token", "message": "Invalid access_token" }`). */
export function maxErrorDetails(body: unknown): { code: string | undefined; message: string | undefined } {
  const parsed = maxErrorBodySchema.safeParse(body);
  if (!parsed.success) return { code: undefined, message: typeof body === 'string' && body ? body.slice(0, 200) : undefined };
  return {
    code: parsed.data.code ?? parsed.data.error ?? undefined,
    message: parsed.data.message || undefined,
  };
}

/**
 * Maps a MAX Bot API HTTP error to a typed omnidealer error. Adapters only classify; the core runtime retries.
 *
 * | HTTP / code | error | retryable |
 * |---|---|---|
 * | any, `attachment.not.ready` | `ProviderError` (`retryAfterMs` from `Retry-After`, else 1 s) | yes |
 * | 429 | `RateLimitError` with `retryAfterMs` from `Retry-After` | yes |
 * | 401 (`verify.token`) | `AuthError`: check the bot token | no |
 * | 403 | `UnreachableRecipientError` `blocked` on sends (the user stopped or blocked the bot); `AuthError` otherwise | no |
 * | 404 | `UnreachableRecipientError` `not_on_channel` on sends (no such user or dialog); `ProviderError` `not_found` otherwise | no |
 * | 400 | `ValidationError` (`field: 'request'`) | no |
 * | 408, 5xx | `ProviderError` | yes |
 *
 * Every error keeps MAX's body (redacted) in `raw` and its `code` in `providerCode`.
 * @see https://dev.max.ru/docs-api
 */
export function classifyMaxError(response: MaxErrorResponse): OmnidealerError {
  const { status, body, retryAfterMs } = response;
  const channel = response.channel ?? 'max';
  const scope = response.scope ?? 'account';
  const details = maxErrorDetails(body);
  const providerCode = details.code ?? status;
  const suffix = details.message ? `: ${details.message}` : details.code ? `: ${details.code}` : '';
  const common = { channel, raw: body, providerCode };

  if (details.code === MAX_ATTACHMENT_NOT_READY) {
    return new ProviderError({
      ...common,
      statusCode: status,
      retryable: true,
      retryAfterMs: retryAfterMs ?? attachmentNotReadyDelayMs,
      message: `max: the attachment is still being processed (HTTP ${status}, ${MAX_ATTACHMENT_NOT_READY})`,
    });
  }
  if (status === 429) {
    return new RateLimitError({ ...common, message: `max: rate limited (HTTP 429)${suffix}`, retryAfterMs });
  }
  if (status === 401) {
    return new AuthError({
      ...common,
      message: `max: bot token rejected (HTTP 401)${suffix}; check the token from business.max.ru`,
    });
  }
  if (status === 403) {
    if (scope === 'send') {
      return new UnreachableRecipientError({
        ...common,
        reason: 'blocked',
        message: `max: the user does not accept messages from this bot (HTTP 403)${suffix}`,
      });
    }
    return new AuthError({ ...common, message: `max: access denied (HTTP 403)${suffix}` });
  }
  if (status === 404) {
    if (scope === 'send') {
      return new UnreachableRecipientError({
        ...common,
        reason: 'not_on_channel',
        message: `max: no such user or dialog (HTTP 404)${suffix}`,
      });
    }
    return new ProviderError({
      ...common,
      code: 'not_found',
      statusCode: 404,
      retryable: false,
      message: `max: not found (HTTP 404)${suffix}`,
    });
  }
  if (status === 400) {
    return new ValidationError({ ...common, field: 'request', message: `max: bad request (HTTP 400)${suffix}` });
  }
  return new ProviderError({
    ...common,
    statusCode: status,
    retryable: status >= 500 || status === 408,
    retryAfterMs,
    message: `max: HTTP ${status}${suffix}`,
  });
}
