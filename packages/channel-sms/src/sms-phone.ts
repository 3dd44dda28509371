import { ValidationError } from '@omnidealer/core';
import { maskPhone } from '@omnidealer/core/provider-utils';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const e164Pattern = /^\+[1-9]\d{7,14}$/;

/** What {@link classifyPhone} found about a number. */
export type PhoneCheck = 'mobile' | 'not_e164' | 'invalid' | 'not_mobile';

/**
 * Classifies a number with libphonenumber's full metadata (the default build cannot tell mobile from fixed line):
 * `mobile` for mobile and fixed-line-or-mobile numbers (US/CA), otherwise why not.
 * @example
 * classifyPhone('+79161234567'); // 'mobile'
 * classifyPhone('+74951234567'); // 'not_mobile' (Moscow fixed line)
 */
export function classifyPhone(phone: string): PhoneCheck {
  if (!e164Pattern.test(phone)) return 'not_e164';
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.isValid() || parsed.number !== phone) return 'invalid';
  const type = parsed.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? 'mobile' : 'not_mobile';
}

/** ISO 3166 country of an E.164 number (`KZ` for `+7701…`), for per-country prices. */
export function phoneCountryOf(phone: string): string | undefined {
  return parsePhoneNumberFromString(phone)?.country;
}

/**
 * Checks that `phone` is a valid E.164 mobile number before any network call.
 * @throws ValidationError (`field` names the input) when it is not E.164, not valid, or not a mobile number.
 */
export function assertMobilePhone(phone: string, field = 'to'): void {
  const check = classifyPhone(phone);
  if (check === 'mobile') return;
  const why =
    check === 'not_mobile' ? 'is not a mobile number' : check === 'not_e164' ? 'is not in E.164 format' : 'is not a valid number';
  throw new ValidationError({ channel: 'sms', field, message: `${field}: ${maskPhone(phone)} ${why}` });
}
