import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
// Number types (mobile vs fixed line) need the full metadata; parsing and validation are fine with the default.
import { parsePhoneNumberFromString as parseWithTypes } from 'libphonenumber-js/max';

/**
 * Normalises a phone number to E.164 (`+79161234567`), or returns `undefined` when it is not a valid number.
 * A Russian number written `8 916 123-45-67` is understood with the default country `RU`.
 */
export function normalizePhone(input: string, defaultCountry: CountryCode = 'RU'): string | undefined {
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** ISO country of an E.164 number (`RU` for `+7916…`), used for per-country pricing. */
export function phoneCountry(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

/** True when libphonenumber classifies the number as mobile (or cannot tell mobile from fixed line). */
export function isMobilePhone(e164: string): boolean {
  const type = parseWithTypes(e164)?.getType();
  return type === undefined || type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}
