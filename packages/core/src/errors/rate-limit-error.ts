import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/** The provider throttled us. Retryable; `retryAfterMs` carries the provider's `Retry-After` when it sent one. */
export class RateLimitError extends OmnidealerError {
  readonly retryAfterMs: number | undefined;
  constructor(options: Omit<OmnidealerErrorOptions, 'code'> & { retryAfterMs?: number | undefined }) {
    super({ retryable: true, ...options, code: 'rate_limited' });
    this.name = 'RateLimitError';
    this.retryAfterMs = options.retryAfterMs;
  }
}
