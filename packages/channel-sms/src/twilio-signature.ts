import { timingSafeEqualStrings } from '@omnidealer/core/provider-utils';

function toBase64(bytes: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Computes `X-Twilio-Signature`: base64(HMAC-SHA1(authToken, url + every POST parameter sorted by name, as
 * name + value)). Uses Web Crypto, so it runs on Node, Deno, Bun and edge runtimes.
 * @example
 * const signature = await computeTwilioSignature(authToken, 'https://crm.example/webhooks/sms', form);
 * @see https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export async function computeTwilioSignature(authToken: string, url: string, parameters: URLSearchParams): Promise<string> {
  const names = [...new Set(parameters.keys())].sort();
  let data = url;
  for (const name of names) for (const value of parameters.getAll(name)) data += name + value;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(authToken), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return toBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

/**
 * Checks an `X-Twilio-Signature` header in constant time. Returns false when it is missing or does not match.
 * @see https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export async function verifyTwilioSignature(
  authToken: string,
  url: string,
  parameters: URLSearchParams,
  signature: string | null,
): Promise<boolean> {
  if (!signature) return false;
  return timingSafeEqualStrings(await computeTwilioSignature(authToken, url, parameters), signature);
}
