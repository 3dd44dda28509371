import { redact, redactValue } from './redact.js';

/** The structured part of a log line: ids, counts, statuses, error codes. */
export type LogFields = Record<string, unknown>;

/**
 * A structured logger in pino's argument order: the fields first, then the message. A pino logger (or a child of
 * one) fits as is, and so does anything that takes pino's order (bunyan, `console`, which prints the fields, then
 * the message). omnidealer always passes both arguments, already redacted (see {@link createRedactingLogger}).
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { createOmnidealer } from '@omnidealer/core';
 *
 * const hub = createOmnidealer({ channels, logger: pino({ level: 'info' }) });
 * // {"level":40,"channel":"whatsapp","error":"…","msg":"whatsapp: attempt 1 failed, retrying"}
 * ```
 * @see https://getpino.io/#/docs/api?id=logging-method-parameters
 */
export interface Logger {
  /** Logs at debug level. */
  debug(fields: LogFields, message: string): void;
  /** Logs at info level. */
  info(fields: LogFields, message: string): void;
  /** Logs at warn level. */
  warn(fields: LogFields, message: string): void;
  /** Logs at error level. */
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One method of the logger {@link createRedactingLogger} returns: pino's `(fields, message)` order, or a message
 * alone.
 */
export interface RedactingLogMethod {
  /** Logs a message with structured fields. */
  (fields: LogFields, message: string): void;
  /** Logs a message without fields (the wrapped logger receives `{}` as the fields). */
  (message: string): void;
}

/** The logger {@link createRedactingLogger} returns. */
export interface RedactingLogger {
  /** Logs at debug level. */
  debug: RedactingLogMethod;
  /** Logs at info level. */
  info: RedactingLogMethod;
  /** Logs at warn level. */
  warn: RedactingLogMethod;
  /** Logs at error level. */
  error: RedactingLogMethod;
}

/**
 * Wraps a logger so the message and every field (keys and string values, deeply) pass through {@link redact} first:
 * registered secrets, credential parameters, phone numbers and e-mail addresses never reach it. Fields whose key
 * names a credential (`token`, `secret`, `password`…) are replaced by `[redacted]` whole. The hub and the cascade
 * wrap the `logger` they are given with it. `secrets` is asked on every line, so credentials a channel obtains later
 * (a refreshed token) are redacted too; the hub passes its own channels' (`Channel.secrets()`), never another hub's.
 *
 * @example
 * ```ts
 * const logger = createRedactingLogger(pino());
 * logger.warn({ to: '+79161234567' }, 'send failed');
 * // {"level":40,"to":"+7********67","msg":"send failed"}
 * ```
 */
export function createRedactingLogger(logger: Logger, secrets?: () => Iterable<string>): RedactingLogger {
  const wrap =
    (level: keyof Logger): RedactingLogMethod =>
    (first: LogFields | string, second?: string): void => {
      const [fields, message] = typeof first === 'string' ? [{}, first] : [first, String(second ?? '')];
      const known = secrets ? [...secrets()] : undefined;
      logger[level](redactValue(fields, known), redact(message, known));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
