import {
  AuthError,
  ChannelApiError,
  type OmnidealerError,
  RateLimitError,
  type UnreachableReason,
  UnreachableRecipientError,
} from '@omnidealer/core';
import type { VkApiErrorWire } from './vk-api.js';

/**
 * How long to wait after error 6 («Too many requests per second») before the retry: VK counts requests per second,
 * so the next second is free again (vk-io waits 1 150 ms, `MINIMUM_TIME_INTERVAL_API`, before requeueing).
 */
const tooManyRequestsDelayMs = 1_000;

/** `error_code` values VK answers for a bad or missing token, or one without the needed rights. */
const authCodes = new Set([5, 7, 27, 28]);

/** `error_code` values that say the recipient cannot be written to on a send, and why. */
const unreachableCodes = new Map<number, { reason: UnreachableReason; text: string }>([
  [18, { reason: 'not_on_channel', text: 'the user was deleted or banned' }],
  [900, { reason: 'blocked', text: 'the user is in the community blacklist, or blacklisted it' }],
  [901, { reason: 'no_consent', text: 'the user has not allowed messages from the community' }],
  [902, { reason: 'blocked', text: "the user's privacy settings forbid messages from the community" }],
]);

/** Parameters that may carry a message body or keyboard: never kept in an error. */
const bodyParameters = new Set(['message', 'keyboard', 'payload', 'template', 'attachment', 'access_token']);

/** The error without the request's message body (VK echoes every parameter in `request_params`). */
function withoutBody(error: VkApiErrorWire): VkApiErrorWire {
  if (!error.request_params) return error;
  return {
    ...error,
    request_params: error.request_params.map((parameter) =>
      bodyParameters.has(parameter.key) ? { key: parameter.key, value: '[redacted]' } : parameter,
    ),
  };
}

/**
 * Maps a VK API error (`{ error: { error_code, error_msg, request_params } }`, which VK answers with HTTP 200) to a
 * typed error. Codes from vk-io 4.10.1's `APIErrorCode` and dev.vk.com «Ошибки»:
 *
 * | `error_code` | error | retried by the hub |
 * |---|---|---|
 * | 6 too many requests per second | `RateLimitError` (`retryAfterMs` 1 s) | yes |
 * | 1 unknown, 10 internal server error | `ChannelApiError` | yes |
 * | 9 flood control (too many similar messages), 29 method quota reached | `RateLimitError`, final | no |
 * | 5 authorization failed, 7 no permission, 27 group token invalid, 28 application token invalid | `AuthError` | no |
 * | 901 user did not allow messages (on a send) | `UnreachableRecipientError` `no_consent` | no |
 * | 900 blacklist, 902 privacy settings (on a send) | `UnreachableRecipientError` `blocked` | no |
 * | 18 user deleted or banned (on a send) | `UnreachableRecipientError` `not_on_channel` | no |
 * | anything else (100 invalid parameter, 914 message too long, 911 bad keyboard…) | `ChannelApiError`, final | no |
 *
 * The error keeps `error_code` as `providerCode` and VK's body as `raw`, with the message text and keyboard removed
 * from `request_params`.
 * @example
 * classifyVkError({ error: { error_code: 901, error_msg: "Can't send messages for users without permission" } });
 * // UnreachableRecipientError { reason: 'no_consent', providerCode: 901 }
 * @see https://dev.vk.com/ru/reference/errors
 */
export function classifyVkError(response: {
  error: VkApiErrorWire;
  /** `send` for `messages.send` (recipient errors become `UnreachableRecipientError`); `account` otherwise. */
  scope?: 'send' | 'account' | undefined;
  channel?: string | undefined;
  accountId?: string | undefined;
}): OmnidealerError {
  const channel = response.channel ?? 'vk';
  const code = response.error.error_code;
  const raw = { error: withoutBody(response.error) };
  const detail = response.error.error_msg ? `: ${response.error.error_msg}` : '';
  const common = { channel, raw, providerCode: code };
  const api = { ...common, accountId: response.accountId, statusCode: 200 };

  if (code === 6) {
    return new RateLimitError({
      ...api,
      retryAfterMs: tooManyRequestsDelayMs,
      message: `vk: too many requests per second (error 6)${detail}`,
    });
  }
  if (code === 9 || code === 29) {
    return new RateLimitError({
      ...api,
      retryable: false,
      message: `vk: ${code === 9 ? 'flood control' : 'method quota reached'} (error ${code})${detail}`,
    });
  }
  if (code === 1 || code === 10) {
    return new ChannelApiError({ ...api, retryable: true, message: `vk: VK server error (error ${code})${detail}` });
  }
  if (authCodes.has(code)) {
    return new AuthError({
      ...common,
      message: `vk: the community token was refused (error ${code})${detail}; check the token and its "messages" right`,
    });
  }
  const unreachable = unreachableCodes.get(code);
  if (unreachable && response.scope === 'send') {
    return new UnreachableRecipientError({
      ...common,
      reason: unreachable.reason,
      message: `vk: ${unreachable.text} (error ${code})`,
    });
  }
  return new ChannelApiError({ ...api, retryable: false, message: `vk: API error ${code}${detail}` });
}
