import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.ChannelApiError');

/** Named arguments of {@link ChannelApiError}: the base options plus what the provider's answer told us. */
export interface ChannelApiErrorOptions extends OmnidealerErrorOptions {
  /** Id of the channel account (`channel.id`) that made the call, when the adapter knows it. */
  accountId?: string | undefined;
  /** HTTP status of the provider's answer; absent for network failures, timeouts and non-HTTP protocols. */
  statusCode?: number | undefined;
  /** How long the provider asked us to wait (`Retry-After`), in ms. The runtime's retry waits it out. */
  retryAfterMs?: number | undefined;
}

/**
 * A provider API call failed: HTTP status, the provider's own code, whether retrying may help and how long the
 * provider asked us to wait. Adapters only classify (the `*-error.ts` file of each channel package); core retries
 * errors marked `retryable`, waiting `retryAfterMs` first. `code` stays `provider_error` unless the failure is more
 * specific (`timeout`, `network`, `response_lost`, `not_found`); {@link RateLimitError} is the 429 case.
 * @example
 * ```ts
 * if (ChannelApiError.isInstance(error)) {
 *   console.warn(error.channel, error.statusCode, error.providerCode, error.retryable, error.retryAfterMs);
 * }
 * ```
 */
export class ChannelApiError extends OmnidealerError {
  readonly [marker] = true;
  /** Id of the channel account that made the call, when known. */
  readonly accountId: string | undefined;
  /** HTTP status of the provider's answer, when there was one. */
  readonly statusCode: number | undefined;
  /** The provider's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(options: ChannelApiErrorOptions) {
    super({ code: 'provider_error', ...options });
    this.name = 'ChannelApiError';
    this.accountId = options.accountId;
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for a {@link ChannelApiError} (or a {@link RateLimitError}), even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is ChannelApiError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
