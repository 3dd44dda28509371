import { AuthError, ChannelApiError, type OmnidealerError, RateLimitError, UnreachableRecipientError } from '@omnidealer/core';
import { telegramErrorBodySchema } from './telegram-api.js';

/** A Telegram Bot API failure handed to {@link classifyTelegramError}. */
export interface TelegramErrorResponse {
  /** The HTTP status (Telegram sets it to `error_code`), or `error_code` of an `ok: false` body that came with 200. */
  status: number;
  /** Parsed JSON body (`{ ok: false, error_code, description, parameters }`), or the raw text when it was not JSON. */
  body: unknown;
  /** `Retry-After` in milliseconds when a header carried one (Telegram puts it in `parameters.retry_after`). */
  retryAfterMs: number | undefined;
  /** Channel kind used in the error. @default 'telegram' */
  channel?: string | undefined;
  /** Id of the bot account, for the error's `accountId`. */
  accountId?: string | undefined;
  /**
   * What the request was about: `send` requests turn 403 and "chat not found" into `UnreachableRecipientError`;
   * `account` requests (`getMe`, `getUpdates`, `setWebhook`, callback answers) do not. @default 'account'
   */
  scope?: 'send' | 'account' | undefined;
}

/** The `error_code`, `description` and `retry_after` (in ms) of a Telegram error body. */
export function telegramErrorDetails(body: unknown): {
  errorCode: number | undefined;
  description: string | undefined;
  retryAfterMs: number | undefined;
} {
  const parsed = telegramErrorBodySchema.safeParse(body);
  if (!parsed.success) {
    return {
      errorCode: undefined,
      description: typeof body === 'string' && body ? body.slice(0, 200) : undefined,
      retryAfterMs: undefined,
    };
  }
  const retryAfter = parsed.data.parameters?.retry_after;
  return {
    errorCode: parsed.data.error_code ?? undefined,
    description: parsed.data.description || undefined,
    retryAfterMs: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter * 1000 : undefined,
  };
}

/**
 * Maps a Telegram Bot API error to a typed omnidealer error. Adapters only classify; the core runtime retries.
 *
 * | `error_code` / description | error | retryable |
 * |---|---|---|
 * | 429 `Too Many Requests: retry after N` | `RateLimitError`, `retryAfterMs` = `parameters.retry_after` × 1000 | yes, after the wait |
 * | 401 `Unauthorized`, 404 `Not Found` (a wrong or revoked token: the method path does not exist) | `AuthError` | no |
 * | 403 on a send: `bot was blocked by the user`, `user is deactivated`, `bot can't initiate conversation…` | `UnreachableRecipientError` (`blocked`, `not_on_channel`, `cannot_start_conversation`) | no |
 * | 400 `chat not found` on a send | `UnreachableRecipientError` `not_on_channel` | no |
 * | other 400, 403, 409 (`Conflict`: a webhook is set, or another poller runs) | `ChannelApiError` with `statusCode` | no |
 * | 5xx, 408 | `ChannelApiError` | yes |
 *
 * Every error keeps Telegram's body (redacted) in `raw` and its `error_code` in `providerCode`.
 * @see https://core.telegram.org/bots/api#making-requests
 * @see https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
 */
export function classifyTelegramError(response: TelegramErrorResponse): OmnidealerError {
  const { status, body } = response;
  const channel = response.channel ?? 'telegram';
  const scope = response.scope ?? 'account';
  const details = telegramErrorDetails(body);
  const code = details.errorCode ?? status;
  const description = details.description ?? '';
  const suffix = description ? `: ${description}` : '';
  const common = { channel, accountId: response.accountId, raw: body, providerCode: code };

  if (code === 429) {
    return new RateLimitError({
      ...common,
      statusCode: 429,
      message: `telegram: flood control (429)${suffix}`,
      retryAfterMs: details.retryAfterMs ?? response.retryAfterMs,
    });
  }
  if (code === 401 || (code === 404 && /^not found$/i.test(description.trim()))) {
    return new AuthError({
      ...common,
      message: `telegram: bot token rejected (${code})${suffix}; check the token from @BotFather and the baseURL`,
    });
  }
  if (scope === 'send') {
    if (code === 403) {
      const reason = /deactivated/i.test(description)
        ? 'not_on_channel'
        : /can't initiate|cannot initiate/i.test(description)
          ? 'cannot_start_conversation'
          : 'blocked';
      return new UnreachableRecipientError({
        ...common,
        reason,
        message: `telegram: the user cannot get messages from this bot (403)${suffix}`,
      });
    }
    if (code === 400 && /chat not found|user not found/i.test(description)) {
      return new UnreachableRecipientError({
        ...common,
        reason: 'not_on_channel',
        message: `telegram: no such chat (400)${suffix}`,
      });
    }
  }
  const retryable = code >= 500 || code === 408 || status >= 500;
  return new ChannelApiError({
    ...common,
    statusCode: status,
    retryable,
    retryAfterMs: details.retryAfterMs ?? response.retryAfterMs,
    message: `telegram: ${code >= 400 && code < 500 ? 'request refused' : 'server error'} (${code})${suffix}`,
  });
}
