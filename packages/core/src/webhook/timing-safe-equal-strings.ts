import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a string's UTF-16 code units: distinct strings (even with lone surrogates) give distinct input bytes. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf16le').digest();
}

/**
 * Compares two strings (webhook secrets, tokens, signatures) in constant time: both are hashed to equal-length
 * SHA-256 digests first, so the time depends neither on where they differ nor on either one's length. Exact, like
 * `===`: strings that differ only in Unicode normalisation (`é` and `e` + U+0301) are different.
 *
 * Synchronous `node:crypto`, like the other signature checks: Web Crypto's `digest` would cost a round trip through
 * the thread pool per comparison, and core needs `node:crypto` anyway.
 * @example
 * const token = request.url.searchParams.get('token') ?? '';
 * if (!timingSafeEqualStrings(token, settings.webhookToken)) throw new WebhookError({ channel, kind: 'signature', message: 'bad token' });
 */
export function timingSafeEqualStrings(left: string, right: string): boolean {
  return timingSafeEqual(digest(left), digest(right));
}
