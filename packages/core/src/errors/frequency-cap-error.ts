import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

/**
 * A send refused because the contact already got as many messages of its kind as the frequency cap allows (one
 * marketing mailing in 30 days by default). Not retryable; thrown before anything is stored or sent.
 */
export class FrequencyCapError extends OmnidealerError {
  /** The message kind whose cap was reached (`marketing`). */
  readonly kind: string;
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'> & { kind: string }) {
    super({ ...options, code: 'frequency_capped', retryable: false });
    this.name = 'FrequencyCapError';
    this.kind = options.kind;
  }
}
