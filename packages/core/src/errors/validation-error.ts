import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/** Bad input caught before any network call. `field` names the offending path, e.g. `content.text`. */
export class ValidationError extends OmnidealerError {
  readonly field: string;
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'> & { field: string }) {
    super({ ...options, code: 'validation', retryable: false });
    this.name = 'ValidationError';
    this.field = options.field;
  }
}
