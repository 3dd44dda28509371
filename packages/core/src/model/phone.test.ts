import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { normalizePhone, phoneCountry } from './phone.js';

describe('normalizePhone and phoneCountry', () => {
  it('normalises to E.164 and gives the country libphonenumber gives for it', () => {
    expect(normalizePhone('8 (916) 123-45-67')).toBe('+79161234567');
    expect(phoneCountry('+79161234567')).toBe('RU');
    expect(normalizePhone('+7 123')).toBeUndefined();
  });

  it('knows the country of a number normalised from E.164 exactly as a fresh parse does', () => {
    // Shared calling codes are where a shortcut could go wrong: +7 (RU/KZ), +1 (US/CA), +44 (GB/GG…).
    const numbers = ['+77012345678', '+79261234567', '+12025550123', '+14165550123', '+447911123456', '+441481256789'];
    for (const number of numbers) {
      expect(normalizePhone(number)).toBe(number);
      expect(phoneCountry(number)).toBe(parsePhoneNumberFromString(number)?.country);
    }
    expect(phoneCountry('+77012345678')).toBe('KZ');
    expect(phoneCountry('+14165550123')).toBe('CA');
  });
});
