import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.AuthError');

/** The provider rejected our credentials (expired or invalid token, wrong password). Not retryable. */
export class AuthError extends OmnidealerError {
  readonly [marker] = true;
  constructor(options: Omit<OmnidealerErrorOptions, 'code'>) {
    super({ retryable: false, ...options, code: 'auth' });
    this.name = 'AuthError';
  }

  /** True for an {@link AuthError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is AuthError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
