import { ValidationError } from '../errors/validation-error.js';
import type { SecretRegistry } from '../redact.js';

/** Options of {@link loadSetting}. */
export interface LoadSettingOptions {
  /** Channel id or family for the error (`whatsapp`, `sms`). */
  channel: string;
  /** The setting's name as the user writes it in the factory's settings (`accessToken`, `transport`). */
  option: string;
  /** Words for the setting in the error message (`access token`). @default the option name */
  description?: string | undefined;
  /** The value loaded (from the option or the environment) is added to this registry: it is a secret. */
  secrets?: SecretRegistry | undefined;
  /** Return `undefined` instead of throwing when neither is set (an optional credential). @default false */
  optional?: boolean | undefined;
}

type Environment = Record<string, string | undefined>;

/** `process.env` where there is one (Node, Bun, Deno with compatibility), nothing elsewhere (edge runtimes). */
function environment(): Environment {
  return (globalThis as { process?: { env?: Environment } }).process?.env ?? {};
}

/**
 * Reads one channel setting, usually a credential: the option when it is set, otherwise the environment variable
 * `envName`, read now, at the call. Channel factories never call it: they call it when the value is first needed (the
 * first send, the first webhook), so creating a channel never throws for a missing credential and a variable set after
 * start-up is still seen. An empty string counts as unset.
 * @throws ValidationError (`field: 'settings.<option>'`, not retryable) when neither is set and `optional` is not true;
 * its message names both the option and the environment variable.
 * @example
 * const token = loadSetting(settings.accessToken, 'WHATSAPP_ACCESS_TOKEN', {
 *   channel: 'whatsapp', option: 'accessToken', description: 'access token', secrets,
 * });
 * // ValidationError: whatsapp: no access token (pass settings.accessToken or set WHATSAPP_ACCESS_TOKEN)
 */
export function loadSetting(
  value: string | undefined,
  envName: string,
  options: LoadSettingOptions & { optional: true },
): string | undefined;
export function loadSetting(value: string | undefined, envName: string, options: LoadSettingOptions): string;
export function loadSetting(value: string | undefined, envName: string, options: LoadSettingOptions): string | undefined {
  const fromEnvironment = value === undefined || value === '' ? environment()[envName] : undefined;
  const loaded = value === undefined || value === '' ? (fromEnvironment === '' ? undefined : fromEnvironment) : value;
  if (loaded === undefined) {
    if (options.optional) return undefined;
    throw new ValidationError({
      channel: options.channel,
      field: `settings.${options.option}`,
      message: `${options.channel}: no ${options.description ?? options.option} (pass settings.${options.option} or set ${envName})`,
    });
  }
  options.secrets?.add(loaded);
  return loaded;
}
