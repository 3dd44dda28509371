import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.WebhookError');

/** A webhook whose signature/secret is missing or wrong (answered 401) or whose body is malformed (400). */
export class WebhookError extends OmnidealerError {
  readonly [marker] = true;
  /** HTTP status the hub answers with. */
  readonly status: number;
  constructor(
    options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'> & {
      kind: 'signature' | 'malformed' | 'too_large';
    },
  ) {
    super({ ...options, code: options.kind === 'signature' ? 'webhook_signature' : 'webhook_malformed', retryable: false });
    this.name = 'WebhookError';
    this.status = options.kind === 'signature' ? 401 : options.kind === 'too_large' ? 413 : 400;
  }

  /** True for a {@link WebhookError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is WebhookError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
