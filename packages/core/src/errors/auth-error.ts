import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/** The provider rejected our credentials (expired or invalid token, wrong password). Not retryable. */
export class AuthError extends OmnidealerError {
  constructor(options: Omit<OmnidealerErrorOptions, 'code'>) {
    super({ retryable: false, ...options, code: 'auth' });
    this.name = 'AuthError';
  }
}
