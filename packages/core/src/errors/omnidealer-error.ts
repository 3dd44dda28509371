import { redact, redactValue } from '../redact.js';

const marker = Symbol.for('omnidealer.error');

/** Machine-readable error codes shared by every channel. */
export type ErrorCode =
  | 'validation'
  | 'auth'
  | 'rate_limited'
  | 'window_closed'
  | 'unreachable_recipient'
  | 'provider_error'
  | 'timeout'
  | 'network'
  /** The provider accepted a write but its answer was cut off: never retried (it would deliver twice). */
  | 'response_lost'
  | 'webhook_signature'
  | 'webhook_malformed'
  | 'not_found'
  | 'idempotency_conflict'
  | 'budget_exceeded'
  /** The contact already got as many messages of this kind as the frequency cap allows. */
  | 'frequency_capped';

/** Named arguments of every omnidealer error constructor. */
export interface OmnidealerErrorOptions {
  message: string;
  /** Channel id (`whatsapp`, `sms`, …) or `core` when the error is not a channel's. */
  channel?: string;
  code?: ErrorCode;
  retryable?: boolean;
  /** The provider's own error code (e.g. WhatsApp `131047`, SMS.ru `202`). */
  providerCode?: string | number;
  /** The provider's raw error body; redacted on construction. */
  raw?: unknown;
  cause?: unknown;
}

/**
 * Base class of every error the SDK throws. Carries `channel`, `code`, `retryable` and the provider's raw error.
 * Messages and raw bodies are redacted on construction: no secret or full phone number survives in them.
 */
export class OmnidealerError extends Error {
  readonly [marker] = true;
  readonly channel: string;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly providerCode: string | number | undefined;
  readonly raw: unknown;

  constructor(options: OmnidealerErrorOptions) {
    super(redact(options.message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OmnidealerError';
    this.channel = options.channel ?? 'core';
    this.code = options.code ?? 'provider_error';
    this.retryable = options.retryable ?? false;
    this.providerCode = options.providerCode;
    this.raw = redactValue(options.raw);
  }

  /** True for any omnidealer error, even one thrown by another copy of the package. */
  static isInstance(error: unknown): error is OmnidealerError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
