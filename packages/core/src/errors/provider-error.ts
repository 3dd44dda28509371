import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/** Any other provider failure: HTTP status, provider code and whether retrying may help. */
export class ProviderError extends OmnidealerError {
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(options: OmnidealerErrorOptions & { statusCode?: number | undefined; retryAfterMs?: number | undefined }) {
    super({ code: 'provider_error', ...options });
    this.name = 'ProviderError';
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}
