import { describe, expect, it } from 'vitest';
import { timingSafeEqualStrings } from './timing-safe-equal-strings.js';

describe('timingSafeEqualStrings', () => {
  it('is true for equal strings, including empty ones', () => {
    expect(timingSafeEqualStrings('s3cret-token', 's3cret-token')).toBe(true);
    expect(timingSafeEqualStrings('', '')).toBe(true);
  });

  it('is false for strings of the same length that differ anywhere', () => {
    expect(timingSafeEqualStrings('abcdef', 'abcdeg')).toBe(false);
    expect(timingSafeEqualStrings('abcdef', 'xbcdef')).toBe(false);
  });

  it('is false for strings of different lengths, also when one is a prefix of the other', () => {
    expect(timingSafeEqualStrings('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualStrings('abcd', 'abc')).toBe(false);
    expect(timingSafeEqualStrings('', 'a')).toBe(false);
    // The first string's code unit count equals the second's byte count in UTF-8: still different.
    expect(timingSafeEqualStrings('ab', 'я')).toBe(false);
  });

  it('compares non-ASCII text exactly, code unit by code unit', () => {
    expect(timingSafeEqualStrings('ключ-доступа-🔑', 'ключ-доступа-🔑')).toBe(true);
    expect(timingSafeEqualStrings('ключ', 'клюх')).toBe(false);
    // Canonically equivalent but different strings are different, as with ===.
    expect(timingSafeEqualStrings('caf\u00e9', 'cafe\u0301')).toBe(false);
    // Lone surrogates are not folded into U+FFFD (as a UTF-8 encoding would do): they stay distinct.
    expect(timingSafeEqualStrings('a\ud800', 'a\udc00')).toBe(false);
    expect(timingSafeEqualStrings('a\ud800', 'a\ufffd')).toBe(false);
  });
});
