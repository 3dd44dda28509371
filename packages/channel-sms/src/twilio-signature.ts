import { timingSafeEqualStrings } from '@omnidealer/core/provider-utils';

function toBase64(bytes: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The string Twilio signs: the URL, then every POST parameter name in sorted order; a name that comes several
 * times is written once per distinct value, the values sorted (so `Digits=5678&Digits=1234&Digits=1234` signs as
 * `Digits1234Digits5678`), as Twilio's own helper libraries do.
 */
function signedData(url: string, parameters: URLSearchParams): string {
  let data = url;
  for (const name of [...new Set(parameters.keys())].sort())
    for (const value of [...new Set(parameters.getAll(name))].sort()) data += name + value;
  return data;
}

/**
 * Computes `X-Twilio-Signature`: base64(HMAC-SHA1(authToken, url + every POST parameter sorted by name, as
 * name + value; repeated names once per distinct value, values sorted)). Uses Web Crypto, so it runs on Node,
 * Deno, Bun and edge runtimes.
 * @example
 * const signature = await computeTwilioSignature(authToken, 'https://crm.example/webhooks/sms', form);
 * @see https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export async function computeTwilioSignature(authToken: string, url: string, parameters: URLSearchParams): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(authToken), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return toBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(signedData(url, parameters))));
}

/**
 * The URLs a signature may have been computed over: Twilio's back end sometimes signs the URL with the port
 * and sometimes without, so (as twilio-node's `validateRequest` does) we accept the URL as given, with the
 * scheme's default port added when it has none (`:443` for https, `:80` for http), and with any port removed.
 */
function candidateUrls(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const defaultPort = parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : undefined;
  const authority =
    parsed.username || parsed.password ? `${parsed.username}${parsed.password ? `:${parsed.password}` : ''}@` : '';
  const rest = parsed.pathname + parsed.search + parsed.hash;
  // WHATWG URL drops a default port from `port`, so an explicit `:443` looks like "no port" here: build both forms by hand.
  const withPort = `${parsed.protocol}//${authority}${parsed.hostname}:${parsed.port || defaultPort}${rest}`;
  const withoutPort = `${parsed.protocol}//${authority}${parsed.hostname}${rest}`;
  const urls = [url];
  if (defaultPort || parsed.port) urls.push(withPort);
  urls.push(withoutPort);
  return [...new Set(urls)];
}

/**
 * Checks an `X-Twilio-Signature` header in constant time against the URL as given, with the default port and
 * without a port (see twilio-node's `validateRequest`). Returns false when it is missing or matches none.
 * @see https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  parameters: URLSearchParams,
  signature: string | null,
): Promise<boolean> {
  if (!signature) return false;
  let valid = false;
  // Compare against every candidate (no early exit) so the time taken does not say which form matched.
  for (const candidate of candidateUrls(url))
    if (timingSafeEqualStrings(await computeTwilioSignature(authToken, candidate, parameters), signature)) valid = true;
  return valid;
}
