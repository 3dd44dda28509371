import { AuthError, ChannelApiError, type OmnidealerError, RateLimitError, UnreachableRecipientError } from '@omnidealer/core';
import { avitoErrorBodySchema } from './avito-api.js';

/**
 * What a request was about: `chat` requests (send, read, get chat, messages) turn 403/404 into
 * `UnreachableRecipientError`; `account` requests (list chats, webhooks, upload) do not.
 */
export type AvitoRequestScope = 'chat' | 'account' | 'token';

/** An Avito HTTP failure handed to {@link classifyAvitoError}. */
export interface AvitoErrorResponse {
  status: number;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** `Retry-After` in milliseconds when Avito sent one. */
  retryAfterMs: number | undefined;
  /** Channel kind used in the error (`avito`). @default 'avito' */
  channel?: string;
  /** @default 'account' */
  scope?: AvitoRequestScope;
}

/** The message and code Avito put in an error body, whichever of its shapes it used. */
export function avitoErrorDetails(body: unknown): { message: string | undefined; code: string | number | undefined } {
  const parsed = avitoErrorBodySchema.safeParse(body);
  if (!parsed.success) return { message: typeof body === 'string' && body ? body.slice(0, 200) : undefined, code: undefined };
  const { error, result, message, code } = parsed.data;
  if (typeof error === 'string') {
    const description = parsed.data.error_description;
    return { message: typeof description === 'string' ? `${error} (${description})` : error, code: code ?? undefined };
  }
  return {
    message: error?.message ?? result?.message ?? message ?? undefined,
    code: error?.code ?? code ?? undefined,
  };
}

/**
 * Maps an Avito HTTP error to a typed omnidealer error. Adapters only classify; the core runtime retries.
 *
 * | HTTP | error | retryable |
 * |---|---|---|
 * | 400 | `ChannelApiError` (`statusCode: 400`) | no |
 * | 401 | `AuthError` (the client refreshes the token once and replays before surfacing it) | no |
 * | 402 | `ChannelApiError` (`statusCode: 402`): the account lacks the paid tariff (for goods, the Messenger API needs the «Максимальный» subscription) | no |
 * | 403 | `UnreachableRecipientError` `blocked` on chat requests; `AuthError` (no access / tariff) otherwise | no |
 * | 404 | `UnreachableRecipientError` `not_on_channel` on chat requests; `ChannelApiError` `not_found` otherwise | no |
 * | 408, 5xx | `ChannelApiError` | yes |
 * | 429 | `RateLimitError` with `retryAfterMs` from `Retry-After` | yes |
 *
 * Every error keeps Avito's raw body (redacted) in `raw` and its code in `providerCode`.
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export function classifyAvitoError(response: AvitoErrorResponse): OmnidealerError {
  const { status, body, retryAfterMs } = response;
  const channel = response.channel ?? 'avito';
  const scope = response.scope ?? 'account';
  const details = avitoErrorDetails(body);
  const providerCode = details.code ?? status;
  const suffix = details.message ? `: ${details.message}` : '';
  const common = { channel, raw: body, providerCode };

  if (status === 429) {
    return new RateLimitError({ ...common, statusCode: 429, message: `avito: rate limited (HTTP 429)${suffix}`, retryAfterMs });
  }
  if (scope === 'token' && (status === 400 || status === 401 || status === 403)) {
    return new AuthError({
      ...common,
      message: `avito: token request rejected (HTTP ${status})${suffix}; check clientId and clientSecret`,
    });
  }
  if (status === 400) {
    // Avito refused what we sent (a provider answer, not input caught before the call): a final ChannelApiError.
    return new ChannelApiError({
      ...common,
      statusCode: 400,
      retryable: false,
      message: `avito: bad request (HTTP 400)${suffix}`,
    });
  }
  if (status === 401) {
    return new AuthError({ ...common, message: `avito: access token rejected (HTTP 401)${suffix}` });
  }
  if (status === 402) {
    // Avito's spec: 402 = the account has no tariff that includes the Messenger API. Paying fixes it, retrying does not.
    return new ChannelApiError({
      ...common,
      statusCode: 402,
      retryable: false,
      message: `avito: the account's tariff does not include the Messenger API (HTTP 402); for goods it needs the «Максимальный» subscription${suffix}`,
    });
  }
  if (status === 403) {
    if (scope === 'chat') {
      return new UnreachableRecipientError({
        ...common,
        reason: 'blocked',
        message: `avito: no access to this chat (HTTP 403)${suffix}`,
      });
    }
    return new AuthError({
      ...common,
      message: `avito: no access to the account or the messenger API tariff (HTTP 403)${suffix}`,
    });
  }
  if (status === 404) {
    if (scope === 'chat') {
      return new UnreachableRecipientError({
        ...common,
        reason: 'not_on_channel',
        message: `avito: chat not found (HTTP 404)${suffix}`,
      });
    }
    return new ChannelApiError({
      ...common,
      code: 'not_found',
      statusCode: 404,
      retryable: false,
      message: `avito: not found (HTTP 404)${suffix}`,
    });
  }
  return new ChannelApiError({
    ...common,
    statusCode: status,
    retryable: status >= 500 || status === 408,
    retryAfterMs,
    message: `avito: HTTP ${status}${suffix}`,
  });
}
