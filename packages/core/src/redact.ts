/**
 * Redaction of secrets and personal data in anything that may end up in a log or an error message.
 *
 * Policy: phone numbers keep their leading `+`, first digit and last 2 digits (`+7********67`), e-mail addresses keep
 * the first letter and the domain (`i***@example.ru`), bearer tokens, `access_token`/`api_id`/`psw`/`client_secret`
 * style parameters and the secrets of a {@link SecretRegistry} are replaced by `[redacted]`.
 */

/**
 * The secrets one channel instance holds (tokens, passwords, app secrets), so its errors and its hub's logs can be
 * scrubbed of them. One registry per channel instance, never a module-wide set: two hubs in one process each redact
 * their own channels' secrets. Channels expose {@link SecretRegistry.values} as `Channel.secrets()`, which the hub's
 * logger redacts; their HTTP client scrubs every error it throws with {@link SecretRegistry.redactError}.
 */
export interface SecretRegistry {
  /** Adds a secret. Values shorter than 6 characters are ignored: replacing them would garble unrelated text. */
  add(secret: string | undefined | null): void;
  /** Every secret added so far (what `Channel.secrets()` returns). */
  values(): string[];
  /** {@link redact} with this registry's secrets removed too. */
  redact(text: string): string;
  /**
   * Removes this registry's secrets from an error's message, stack and (for omnidealer errors) raw provider body, in
   * place, and returns it. Anything that is not an `Error` is returned unchanged.
   */
  redactError<E>(error: E): E;
}

/**
 * Creates an empty {@link SecretRegistry}. A channel factory creates one, adds every credential it holds (and each
 * token it obtains later), hands it to its HTTP client and returns `secrets: () => registry.values()`.
 * @example
 * const secrets = createSecretRegistry();
 * secrets.add(settings.accessToken);
 * const http = createHttpClient({ channel: 'whatsapp', baseURL, secrets });
 * return { id: 'whatsapp', secrets: () => secrets.values(), ... };
 */
export function createSecretRegistry(): SecretRegistry {
  const secrets = new Set<string>();
  return {
    add(secret) {
      if (secret && secret.length >= 6) secrets.add(secret);
    },
    values: () => [...secrets],
    redact: (text) => redact(text, secrets),
    redactError: (error) => redactErrorSecrets(error, secrets),
  };
}

function removeSecrets(text: string, secrets: Iterable<string> | undefined): string {
  if (!secrets) return text;
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 6 && result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}

/** Scrubs `secrets` from an error's message, stack and `raw` in place (see {@link SecretRegistry.redactError}). */
function redactErrorSecrets<E>(error: E, secrets: Iterable<string>): E {
  if (!(error instanceof Error)) return error;
  const list = [...secrets];
  if (list.length === 0) return error;
  error.message = removeSecrets(error.message, list);
  if (error.stack) error.stack = removeSecrets(error.stack, list);
  const withRaw = error as Error & { raw?: unknown };
  if (withRaw.raw !== undefined) {
    // `raw` is a readonly field of OmnidealerError: replaced through its property descriptor.
    Object.defineProperty(withRaw, 'raw', { value: redactValue(withRaw.raw, list), enumerable: true, configurable: true });
  }
  return error;
}

// International numbers written with `+` (10–15 digits, separators allowed), and bare Russian/Kazakh numbers as
// providers send them (`79161234567`, `8 916 …`). Longer digit runs (timestamps in ms, queue ids) are left alone.
const phonePattern = /(?<![\w.+])(?:\+\d(?:[\s\-()]*\d){9,14}|[78](?:[\s\-()]*\d){10})(?!\w|\.\d)/g;
const emailPattern = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const bearerPattern = /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const secretParameterPattern =
  /\b((access_token|refresh_token|api_id|api_key|apikey|psw|password|client_secret|app_secret|auth_token|token|secret)["']?\s*[=:]\s*["']?)([^&"'\s,}]+)/gi;
/** Parameter names whose value is always a credential; for plain `token`/`secret` the value must look like one. */
const credentialNames = /^(access_token|refresh_token|api_id|api_key|apikey|psw|password|client_secret|app_secret|auth_token)$/i;
function looksLikeCredential(value: string): boolean {
  return value.length >= 16 || (value.length >= 8 && /\d/.test(value));
}

/**
 * Masks a phone number: keeps the leading `+`, the first digit and the last two digits (`+44…` keeps `+4`, not the
 * whole country code).
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 6) return '***';
  return `${phone.trim().startsWith('+') ? '+' : ''}${digits.slice(0, 1)}${'*'.repeat(digits.length - 3)}${digits.slice(-2)}`;
}

/** Masks an e-mail address: keeps the first character of the local part and the domain. */
export function maskEmail(email: string): string {
  return email.replace(emailPattern, (_all, first: string, domain: string) => `${first}***@${domain}`);
}

/**
 * Removes credentials in URLs and bodies, phone numbers and e-mail addresses from a text, and every one of `secrets`
 * (a channel's {@link SecretRegistry} values) wherever it appears.
 */
export function redact(text: string, secrets?: Iterable<string>): string {
  return removeSecrets(text, secrets)
    .replace(bearerPattern, '$1 [redacted]')
    .replace(secretParameterPattern, (all, prefix: string, name: string, value: string) =>
      credentialNames.test(name) || looksLikeCredential(value) ? `${prefix}[redacted]` : all,
    )
    .replace(emailPattern, (_all, first: string, domain: string) => `${first}***@${domain}`)
    .replace(phonePattern, (match) => maskPhone(match));
}

/**
 * Deeply redacts every string inside a JSON-like value (the provider's raw error, a log line's fields), `secrets`
 * included. Keys naming a credential (`token`, `secret`, `password`…) have their whole value replaced. An `Error`
 * becomes a copy of the same class whose message, stack, own fields and `cause` are redacted the same way.
 */
export function redactValue<T>(value: T, secrets?: Iterable<string>): T {
  return redactDeep(value, secrets === undefined ? undefined : [...secrets], 0);
}

function redactDeep<T>(value: T, secrets: string[] | undefined, depth: number): T {
  if (depth > 20) return value;
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets, depth + 1)) as T;
  if (value instanceof Error) {
    // A copy of the same class (pino's `err` serializer and `instanceof` still recognise it), every string redacted.
    const copy = Object.create(Object.getPrototypeOf(value)) as Error;
    const hidden = (property: string, inner: unknown) =>
      Object.defineProperty(copy, property, { value: inner, writable: true, configurable: true, enumerable: false });
    hidden('message', redact(value.message, secrets));
    if (value.stack !== undefined) hidden('stack', redact(value.stack, secrets));
    if (value.cause !== undefined) hidden('cause', redactDeep(value.cause, secrets, depth + 1));
    return Object.assign(copy, redactDeep({ ...value } as Record<string, unknown>, secrets, depth + 1)) as T;
  }
  if (value && typeof value === 'object') {
    const output: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      // Keys are redacted too: SMS.ru keys its per-number results by the phone number.
      output[redact(key, secrets)] = /token|secret|password|psw|api_id|authorization/i.test(key)
        ? '[redacted]'
        : redactDeep(inner, secrets, depth + 1);
    }
    return output as T;
  }
  return value;
}
