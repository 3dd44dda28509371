import { isMobilePhone, maskPhone, normalizePhone, ValidationError } from '@omnidealer/core';

const e164Pattern = /^\+[1-9]\d{7,14}$/;

/**
 * Checks that `phone` is an E.164 mobile number before any network call.
 * @throws ValidationError (`field` = `to`) when it is not E.164 or libphonenumber says it is not a mobile number.
 */
export function assertMobilePhone(phone: string, field = 'to'): void {
  if (!e164Pattern.test(phone) || normalizePhone(phone) !== phone)
    throw new ValidationError({ channel: 'sms', field, message: `${field}: ${maskPhone(phone)} is not an E.164 phone number` });
  if (!isMobilePhone(phone))
    throw new ValidationError({ channel: 'sms', field, message: `${field}: ${maskPhone(phone)} is not a mobile number` });
}
