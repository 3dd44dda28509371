import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.WindowClosedError');

/** A free-form message outside the customer-service window (WhatsApp 24 h). Use a template. Not retryable. */
export class WindowClosedError extends OmnidealerError {
  readonly [marker] = true;
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'>) {
    super({ ...options, code: 'window_closed', retryable: false });
    this.name = 'WindowClosedError';
  }

  /** True for a {@link WindowClosedError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is WindowClosedError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
