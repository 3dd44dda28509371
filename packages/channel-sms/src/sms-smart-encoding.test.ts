import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsm7 } from './sms-gsm-alphabet.js';
import { countSegments } from './sms-segments.js';
import { smartEncode } from './sms-smart-encoding.js';

describe('smartEncode', () => {
  it('replaces typographic punctuation and reports every change with its offset', () => {
    const result = smartEncode('“Camry” — 2\u00a0499\u00a0000 ₽… it’s №1');
    expect(result.text).toBe('"Camry" - 2 499 000 RUB... it\'s No.1');
    expect(result.replacements).toEqual([
      { index: 0, from: '“', to: '"' },
      { index: 6, from: '”', to: '"' },
      { index: 8, from: '—', to: '-' },
      { index: 11, from: '\u00a0', to: ' ' },
      { index: 15, from: '\u00a0', to: ' ' },
      { index: 20, from: '₽', to: 'RUB' },
      { index: 21, from: '…', to: '...' },
      { index: 25, from: '’', to: "'" },
      { index: 28, from: '№', to: 'No.' },
    ]);
    expect(isGsm7(result.text)).toBe(true);
  });

  it('drops zero-width characters, folds full-width forms and diacritics GSM-7 lacks', () => {
    expect(smartEncode('Ｏｋ\u200b Łódź façade').text).toBe('Ok Lodz facade');
  });

  it('never touches GSM-7 characters (é, ñ, Ø, €, {}) or characters without a look-alike', () => {
    const untouched = 'Café Ñandù Ø € {x} Привет 🚗';
    expect(smartEncode(untouched)).toEqual({ text: untouched, replacements: [] });
  });

  it('turns a UCS-2 message into GSM-7 and says why', () => {
    const message = 'Your car is ready – see you at 5 o’clock!';
    expect(countSegments(message).encoding).toBe('UCS-2');
    const counted = countSegments(message, { smartEncoding: true });
    expect(counted).toMatchObject({ encoding: 'GSM-7', segments: 1, original: { encoding: 'UCS-2', segments: 1 } });
    expect(counted.replacements?.map((replacement) => replacement.from)).toEqual(['–', '’']);
  });

  it('replaces only characters outside GSM-7 and reports offsets that point at them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const result = smartEncode(text);
        for (const replacement of result.replacements) {
          expect(text[replacement.index]).toBe(replacement.from);
          expect(isGsm7(replacement.from)).toBe(false);
          expect(isGsm7(replacement.to)).toBe(true);
        }
        // Applying the replacements to the original gives the output.
        let rebuilt = '';
        let last = 0;
        for (const replacement of result.replacements) {
          rebuilt += text.slice(last, replacement.index) + replacement.to;
          last = replacement.index + 1;
        }
        expect(rebuilt + text.slice(last)).toBe(result.text);
      }),
    );
  });
});
