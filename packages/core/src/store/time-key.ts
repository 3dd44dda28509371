/** Digits of a time key: enough for any millisecond time until the year 33658. */
const timeKeyDigits = 15;

/** A record key's time part: the time in ms, zero-padded, so keys that start with it sort by time. */
export function timeKey(at: number): string {
  return String(Math.max(0, Math.floor(at))).padStart(timeKeyDigits, '0');
}

/**
 * The fewest key prefixes that together cover exactly the time keys from `from` (inclusive) to `to` (exclusive), so
 * `Store.listRecords(namespace, prefix)` over them reads that time range and nothing else. Each prefix covers an
 * aligned block of 10^k ms, at most 9 blocks per digit on each side; times that are multiples of 10^k need no block
 * smaller than 10^k ms, so callers that round their bounds keep the list short.
 */
export function timeKeyPrefixes(from: number, to: number): string[] {
  const prefixes: string[] = [];
  let at = Math.max(0, Math.floor(from));
  const end = Math.floor(to);
  while (at < end) {
    // The largest aligned block of 10^digits ms that starts here and ends by `end`.
    let size = 1;
    let digits = 0;
    while (digits < timeKeyDigits && at % (size * 10) === 0 && at + size * 10 <= end) {
      size *= 10;
      digits++;
    }
    prefixes.push(timeKey(at).slice(0, timeKeyDigits - digits));
    at += size;
  }
  return prefixes;
}
