import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsm7 } from './sms-gsm-alphabet.js';
import { transliterate } from './sms-transliteration.js';

describe('transliterate', () => {
  it('follows ICAO Doc 9303 by default', () => {
    expect(transliterate('Щукин Юрий Жданович, Объезд Ёлки').text).toBe('Shchukin Iurii Zhdanovich, Obieezd Elki');
    expect(transliterate('съешь же ещё этих мягких французских булок').text).toBe(
      'sieesh zhe eshche etikh miagkikh frantsuzskikh bulok',
    );
  });

  it('offers the spelling people type (`simple`)', () => {
    expect(transliterate('Юля, ждём вас в понедельник!', 'simple').text).toBe('Yulya, zhdyom vas v ponedelnik!');
    expect(transliterate('Май', 'simple').text).toBe('May');
  });

  it('writes multi-letter capitals to match their neighbours', () => {
    expect(transliterate('ЩИ').text).toBe('SHCHI');
    expect(transliterate('Щи').text).toBe('Shchi');
    expect(transliterate('ЖК «ЮГ»').text).toBe('ZHK «IUG»');
    expect(transliterate('Ж').text).toBe('Zh');
  });

  it('counts replaced letters and leaves other text alone', () => {
    expect(transliterate('Toyota Camry 2024 — 10%')).toEqual({ text: 'Toyota Camry 2024 — 10%', replaced: 0 });
    expect(transliterate('Kia Рио').replaced).toBe(3);
  });

  it('turns any Russian text into GSM-7 letters', () => {
    const russian = fc
      .array(
        fc.constantFrom(...Array.from('абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ .,!?0123456789')),
        { maxLength: 300 },
      )
      .map((characters) => characters.join(''));
    fc.assert(
      fc.property(russian, fc.constantFrom('icao' as const, 'simple' as const), (text, scheme) => {
        expect(isGsm7(transliterate(text, scheme).text)).toBe(true);
      }),
    );
  });
});
