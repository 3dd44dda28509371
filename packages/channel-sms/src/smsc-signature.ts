import { createHash } from 'node:crypto';
import { timingSafeEqualStrings } from '@omnidealer/core/provider-utils';

/** Hash SMSC.ru signs callbacks with: `md5` (the one every handler we found checks) or `sha1`. */
export type SmscSignatureAlgorithm = 'md5' | 'sha1';

/**
 * What SMSC.ru signs in a callback, joined with `:` before the secret: `id:phone:status` for a delivery status,
 * `phone:mes:to` for an inbound SMS.
 */
function signedFields(parameters: URLSearchParams): string[] {
  const value = (name: string) => parameters.get(name) ?? '';
  return parameters.has('mes') && !parameters.has('status')
    ? [value('phone'), value('mes'), value('to')]
    : [value('id'), value('phone'), value('status')];
}

/**
 * Computes the signature of an SMSC.ru callback: lowercase hex `md5` (or `sha1`) of `id:phone:status:<secret>`
 * (`phone:mes:to:<secret>` for an inbound SMS), over the values exactly as posted. Synchronous `node:crypto`: Web
 * Crypto has no MD5.
 * @example
 * const md5 = computeSmscSignature(new URLSearchParams({ id: '4521', phone: '79161234567', status: '1' }), secret);
 * @see https://smsc.ru/api/http/miscellaneous/callback/
 */
export function computeSmscSignature(
  parameters: URLSearchParams,
  secret: string,
  algorithm: SmscSignatureAlgorithm = 'md5',
): string {
  return createHash(algorithm)
    .update([...signedFields(parameters), secret].join(':'), 'utf8')
    .digest('hex');
}

/**
 * Checks the `md5` and/or `sha1` field of an SMSC.ru callback in constant time. Every signature present must match,
 * and at least one must be present: an unsigned callback is refused.
 * @see https://smsc.ru/api/http/miscellaneous/callback/
 */
export function verifySmscSignature(parameters: URLSearchParams, secret: string): boolean {
  let checked = 0;
  for (const algorithm of ['md5', 'sha1'] as const) {
    const posted = parameters.get(algorithm);
    if (posted === null) continue;
    if (!timingSafeEqualStrings(computeSmscSignature(parameters, secret, algorithm), posted.toLowerCase())) return false;
    checked++;
  }
  return checked > 0;
}
