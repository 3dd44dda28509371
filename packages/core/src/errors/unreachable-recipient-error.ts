import { OmnidealerError, type OmnidealerErrorOptions } from './omnidealer-error.js';

const marker = Symbol.for('omnidealer.UnreachableRecipientError');

/** Why a recipient cannot be reached on a channel. */
export type UnreachableReason =
  | 'no_identity'
  | 'not_on_channel'
  | 'opted_out'
  | 'no_consent'
  | 'invalid_address'
  | 'blocked'
  | 'bounced'
  | 'cannot_start_conversation';

/** The recipient cannot be reached on this channel (not on WhatsApp, opted out, bounced…). Not retryable. */
export class UnreachableRecipientError extends OmnidealerError {
  readonly [marker] = true;
  readonly reason: UnreachableReason;
  constructor(options: Omit<OmnidealerErrorOptions, 'code' | 'retryable'> & { reason: UnreachableReason }) {
    super({ ...options, code: 'unreachable_recipient', retryable: false });
    this.name = 'UnreachableRecipientError';
    this.reason = options.reason;
  }

  /** True for a {@link UnreachableRecipientError}, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is UnreachableRecipientError {
    return OmnidealerError.hasMarker(error, marker);
  }
}
