import { ChannelApiError, type ChannelApiErrorOptions } from './channel-api-error.js';
import { OmnidealerError } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.RateLimitError');

/**
 * The provider throttled us (HTTP 429 or the provider's rate-limit code): a {@link ChannelApiError} with code
 * `rate_limited`. Retryable unless the classifier says otherwise; `retryAfterMs` carries the provider's
 * `Retry-After` when it sent one.
 */
export class RateLimitError extends ChannelApiError {
  readonly [marker] = true;
  constructor(options: Omit<ChannelApiErrorOptions, 'code'>) {
    super({ retryable: true, ...options, code: 'rate_limited' });
    this.name = 'RateLimitError';
  }

  /** True for a {@link RateLimitError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is RateLimitError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
