/**
 * Redaction of secrets and personal data in anything that may end up in a log or an error message.
 *
 * Policy: phone numbers keep their leading `+`, first digit and last 2 digits (`+7********67`), e-mail addresses keep
 * the first letter and the domain (`i***@example.ru`), bearer tokens, `access_token`/`api_id`/`psw`/`client_secret`
 * style parameters and registered secrets are replaced by `[redacted]`.
 */

const registeredSecrets = new Set<string>();

/**
 * Registers a secret (token, password, app secret) so {@link redact} removes it wherever it appears.
 * Channel factories call this for every credential they receive. Secrets shorter than 6 characters are ignored
 * because replacing them would garble unrelated text.
 */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) registeredSecrets.add(secret);
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

/** Removes registered secrets, credentials in URLs/bodies, phone numbers and e-mail addresses from a text. */
export function redact(text: string): string {
  let result = text;
  for (const secret of registeredSecrets) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result
    .replace(bearerPattern, '$1 [redacted]')
    .replace(secretParameterPattern, (all, prefix: string, name: string, value: string) =>
      credentialNames.test(name) || looksLikeCredential(value) ? `${prefix}[redacted]` : all,
    )
    .replace(emailPattern, (_all, first: string, domain: string) => `${first}***@${domain}`)
    .replace(phonePattern, (match) => maskPhone(match));
}

/**
 * Deeply redacts every string inside a JSON-like value (the provider's raw error, a log line's fields). Keys naming a
 * credential (`token`, `secret`, `password`…) have their whole value replaced. An `Error` becomes a copy of the same
 * class whose message, stack, own fields and `cause` are redacted the same way.
 */
export function redactValue<T>(value: T, depth = 0): T {
  if (depth > 20) return value;
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1)) as T;
  if (value instanceof Error) {
    // A copy of the same class (pino's `err` serializer and `instanceof` still recognise it), every string redacted.
    const copy = Object.create(Object.getPrototypeOf(value)) as Error;
    const hidden = (property: string, inner: unknown) =>
      Object.defineProperty(copy, property, { value: inner, writable: true, configurable: true, enumerable: false });
    hidden('message', redact(value.message));
    if (value.stack !== undefined) hidden('stack', redact(value.stack));
    if (value.cause !== undefined) hidden('cause', redactValue(value.cause, depth + 1));
    return Object.assign(copy, redactValue({ ...value } as Record<string, unknown>, depth + 1)) as T;
  }
  if (value && typeof value === 'object') {
    const output: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      // Keys are redacted too: SMS.ru keys its per-number results by the phone number.
      output[redact(key)] = /token|secret|password|psw|api_id|authorization/i.test(key)
        ? '[redacted]'
        : redactValue(inner, depth + 1);
    }
    return output as T;
  }
  return value;
}
