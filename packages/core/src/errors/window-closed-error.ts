import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/** A free-form message outside the customer-service window (WhatsApp 24 h). Use a template. Not retryable. */
export class WindowClosedError extends OmnidealerError {
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'>) {
    super({ ...options, code: 'window_closed', retryable: false });
    this.name = 'WindowClosedError';
  }
}
