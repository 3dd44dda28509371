import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.ValidationError');

/** Bad input caught before any network call. `field` names the offending path, e.g. `content.text`. */
export class ValidationError extends OmnidealerError {
  readonly [marker] = true;
  readonly field: string;
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'> & { field: string }) {
    super({ ...options, code: 'validation', retryable: false });
    this.name = 'ValidationError';
    this.field = options.field;
  }

  /** True for a {@link ValidationError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is ValidationError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
