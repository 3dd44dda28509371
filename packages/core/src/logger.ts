import { redact, redactValue } from './redact.js';

/** Minimal structured logger; `console` fits. */
export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Wraps a logger so every message and data field passes through {@link redact} first. `secrets` is asked on every
 * line, so credentials a channel obtains later (a refreshed token) are redacted too; the hub passes the secrets of
 * its own channels (`Channel.secrets()`), never another hub's.
 * @example
 * const logger = createRedactingLogger(console, () => channels.flatMap((channel) => channel.secrets?.() ?? []));
 */
export function createRedactingLogger(logger: Logger, secrets?: () => Iterable<string>): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, data?: Record<string, unknown>): void => {
      const known = secrets ? [...secrets()] : undefined;
      if (data === undefined) logger[level](redact(message, known));
      else logger[level](redact(message, known), redactValue(data, known));
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
