import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
// Number types (mobile vs fixed line) need the full metadata; parsing and validation are fine with the default.
import { parsePhoneNumberFromString as parseWithTypes } from 'libphonenumber-js/max';

/**
 * Normalises a phone number to E.164 (`+79161234567`), or returns `undefined` when it is not a valid number.
 * A Russian number written `8 916 123-45-67` is understood with the default country `RU`.
 */
export function normalizePhone(input: string, defaultCountry: CountryCode = 'RU'): string | undefined {
  let memo = normalised.get(defaultCountry);
  if (!memo) normalised.set(defaultCountry, (memo = new Map()));
  const known = memo.get(input);
  if (known !== undefined || memo.has(input)) return known;
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  const e164 = parsed?.isValid() ? parsed.number : undefined;
  // An input already in E.164 parses exactly as phoneCountry would parse it (the default country only applies to
  // national numbers): keep its country too, so pricing the send does not parse the number a second time.
  if (e164 === input && parsed && !countries.has(input)) remember(countries, input, parsed.country);
  return remember(memo, input, e164);
}

// Parsing with libphonenumber costs tens of µs and the same numbers come back (statuses sent → delivered → read,
// replies): small bounded memos keep webhook ingest and sends off that cost. One memo per default country, keyed by
// the input itself (no key string to build per call).
const memoLimit = 10_000;
const normalised = new Map<string, Map<string, string | undefined>>();
const countries = new Map<string, string | undefined>();
function remember<T>(memo: Map<string, T>, key: string, value: T): T {
  if (memo.size >= memoLimit) memo.clear();
  memo.set(key, value);
  return value;
}

/** ISO country of an E.164 number (`RU` for `+7916…`), used for per-country pricing. */
export function phoneCountry(e164: string): string | undefined {
  const known = countries.get(e164);
  if (known !== undefined || countries.has(e164)) return known;
  return remember(countries, e164, parsePhoneNumberFromString(e164)?.country);
}

/** True when libphonenumber classifies the number as mobile (or cannot tell mobile from fixed line). */
export function isMobilePhone(e164: string): boolean {
  const type = parseWithTypes(e164)?.getType();
  return type === undefined || type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}
