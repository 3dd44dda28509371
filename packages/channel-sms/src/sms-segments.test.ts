import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { split as splitSms } from 'split-sms';
import { describe, expect, it } from 'vitest';
import { GSM_BASIC_CHARACTERS, GSM_EXTENSION_CHARACTERS, isGsm7, septetsOf } from './sms-gsm-alphabet.js';
import { countSegments } from './sms-segments.js';

// An independent, deliberately naive reference: code points, a Set per table, greedy packing of whole characters.
const basicSet = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
const extensionSet = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);
function referenceSegments(text: string): { encoding: string; segments: number; partSizes: number[] } {
  const characters = Array.from(text);
  if (characters.length === 0) return { encoding: 'GSM-7', segments: 0, partSizes: [] };
  const gsm = characters.every((character) => basicSet.has(character) || extensionSet.has(character));
  const sizeOf = (character: string) => (gsm ? (extensionSet.has(character) ? 2 : 1) : character.length);
  const total = characters.reduce((sum, character) => sum + sizeOf(character), 0);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  if (total <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: 1, partSizes: [total] };
  const partSizes: number[] = [0];
  for (const character of characters) {
    const size = sizeOf(character);
    if ((partSizes[partSizes.length - 1] as number) + size > part) partSizes.push(size);
    else partSizes[partSizes.length - 1] = (partSizes[partSizes.length - 1] as number) + size;
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: partSizes.length, partSizes };
}

function unitsOf(part: string, encoding: string): number {
  if (encoding === 'UCS-2') return part.length;
  let septets = 0;
  for (const character of part) septets += extensionSet.has(character) ? 2 : 1;
  return septets;
}

const gsmCharacter = fc.constantFrom(...Array.from(GSM_BASIC_CHARACTERS + GSM_EXTENSION_CHARACTERS));
const cyrillic = fc.constantFrom(...Array.from('абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ'));
const emoji = fc.constantFrom('😀', '🚗', '👍', '🔥', '📞', '✅', '€', '🏁');
const mixedText = fc
  .array(fc.oneof({ arbitrary: gsmCharacter, weight: 6 }, { arbitrary: cyrillic, weight: 2 }, { arbitrary: emoji, weight: 1 }), {
    maxLength: 700,
  })
  .map((characters) => characters.join(''));
const gsmText = fc.array(gsmCharacter, { maxLength: 800 }).map((characters) => characters.join(''));
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  mixedText,
  gsmText,
);

describe('GSM 03.38 tables', () => {
  it('has 127 basic characters and 10 extension characters, matching the peer calculator', () => {
    expect(GSM_BASIC_CHARACTERS).toHaveLength(127);
    expect(new Set(GSM_BASIC_CHARACTERS).size).toBe(127);
    expect(Array.from(GSM_EXTENSION_CHARACTERS)).toHaveLength(10);
    for (const character of GSM_BASIC_CHARACTERS) expect(septetsOf(character.charCodeAt(0))).toBe(1);
    for (const character of GSM_EXTENSION_CHARACTERS) expect(septetsOf(character.charCodeAt(0))).toBe(2);
    // The peer keys its table by UTF-16 code: both tables must be the same 137 characters.
    for (const character of GSM_BASIC_CHARACTERS + GSM_EXTENSION_CHARACTERS)
      expect(new SegmentedMessage(character).encodingName).toBe('GSM-7');
  });

  it('classifies look-alikes and Cyrillic as not GSM-7', () => {
    for (const character of ['ç', 'á', '`', '\t', 'Ж', '«', '—', '\u00a0', '₽', 'ё']) {
      expect(isGsm7(character)).toBe(false);
      expect(septetsOf(character.charCodeAt(0))).toBe(0);
    }
  });
});

describe('countSegments: boundaries', () => {
  it.each([
    ['exactly 160 GSM characters', 'a'.repeat(160), 'GSM-7', 1, 160, 0],
    ['161 GSM characters', 'a'.repeat(161), 'GSM-7', 2, 8, 145],
    ['306 GSM characters', 'a'.repeat(306), 'GSM-7', 2, 153, 0],
    ['307 GSM characters', 'a'.repeat(307), 'GSM-7', 3, 1, 152],
    ['exactly 70 UCS-2 units', 'ж'.repeat(70), 'UCS-2', 1, 70, 0],
    ['71 UCS-2 units', 'ж'.repeat(71), 'UCS-2', 2, 4, 63],
    ['80 extension characters = 160 septets', '€'.repeat(80), 'GSM-7', 1, 160, 0],
    ['81 extension characters', '€'.repeat(81), 'GSM-7', 2, 10, 143],
    ['35 emoji = 70 units', '😀'.repeat(35), 'UCS-2', 1, 70, 0],
  ])('%s', (_name, text, encoding, segments, unitsUsed, unitsRemaining) => {
    const counts = countSegments(text);
    expect(counts).toMatchObject({ encoding, segments, unitsUsed, unitsRemaining });
  });

  it('computes characters (code points) on first read and includes them in JSON', () => {
    const counts = countSegments('Привет 🚗👍');
    expect(counts.characters).toBe(9);
    expect(counts.units).toBe(11);
    expect(JSON.parse(JSON.stringify(counts))).toMatchObject({ characters: 9, encoding: 'UCS-2', segments: 1 });
    expect(countSegments('\ud83d').characters).toBe(1); // a lone surrogate is one unit and one character
  });

  it('counts an empty text as zero segments', () => {
    expect(countSegments('')).toMatchObject({ encoding: 'GSM-7', segments: 0, units: 0, unitsRemaining: 160, characters: 0 });
    expect(countSegments('', { split: true }).parts).toEqual([]);
  });

  it('never splits an escape pair: an extension character at position 153 moves to the next part', () => {
    const text = `${'a'.repeat(152)}€${'b'.repeat(10)}`;
    const counts = countSegments(text, { split: true });
    expect(counts.segments).toBe(2);
    expect(counts.units).toBe(164);
    expect(counts.parts).toEqual(['a'.repeat(152), `€${'b'.repeat(10)}`]);
    expect(counts.unitsUsed).toBe(12);
  });

  it('keeps 154–160 septets with extension characters in one message', () => {
    const text = `${'a'.repeat(150)}${'{'.repeat(5)}`; // 160 septets
    expect(countSegments(text, { split: true })).toMatchObject({ segments: 1, units: 160, parts: [text] });
  });

  it('fills a part with an extension character that fits exactly', () => {
    const text = `${'a'.repeat(151)}[${'b'.repeat(10)}`;
    expect(countSegments(text, { split: true }).parts).toEqual([`${'a'.repeat(151)}[`, 'b'.repeat(10)]);
  });

  it('never splits a surrogate pair: an emoji at unit 67 moves to the next part (66-unit part)', () => {
    const text = `${'ж'.repeat(66)}🚗${'ж'.repeat(10)}`;
    const counts = countSegments(text, { split: true });
    expect(counts.parts).toEqual(['ж'.repeat(66), `🚗${'ж'.repeat(10)}`]);
    expect(counts).toMatchObject({ encoding: 'UCS-2', segments: 2, units: 78, unitsUsed: 12, characters: 77 });
  });

  it('lets a gateway that splits surrogate pairs override the rule', () => {
    const text = `${'ж'.repeat(66)}🚗${'ж'.repeat(1)}`; // 69 units: one message either way
    expect(countSegments(text).segments).toBe(1);
    const longer = `${'ж'.repeat(66)}🚗${'ж'.repeat(67)}`; // 135 units
    expect(countSegments(longer).segments).toBe(3);
    expect(countSegments(longer, { keepSurrogatePairs: false }).segments).toBe(3);
    const exact = `${'ж'.repeat(66)}🚗${'ж'.repeat(66)}`; // 134 units = 2 × 67 when the pair may be split
    expect(countSegments(exact).segments).toBe(3);
    expect(countSegments(exact, { keepSurrogatePairs: false }).segments).toBe(2);
  });

  it('uses 152 / 66 per part with a 16-bit concatenation reference', () => {
    expect(countSegments('a'.repeat(305), { concatenationReference: '16bit' }).segments).toBe(3);
    expect(countSegments('a'.repeat(304), { concatenationReference: '16bit' }).segments).toBe(2);
    expect(countSegments('ж'.repeat(133), { concatenationReference: '16bit' }).segments).toBe(3);
  });

  it('switches a whole message to UCS-2 for one character outside GSM-7, counting GSM characters as 1 unit', () => {
    const text = `${'{'.repeat(60)}Ж`;
    expect(countSegments(text)).toMatchObject({ encoding: 'UCS-2', units: 61, segments: 1 });
  });

  it("prices the fact sheet's typical Cyrillic dealer mailing at 4–5 parts and the transliterated one at 2", () => {
    const mailing =
      'Иван Петрович, добрый день! Дилерский центр «Тойота Центр Север» приглашает вас на плановое ТО вашего Camry. ' +
      'Только до 31 марта — скидка 15% на работы и оригинальные запчасти, бесплатная мойка и диагностика ходовой. ' +
      'Запишитесь по телефону +7 495 123-45-67 или ответьте на это сообщение. Ждём вас!';
    expect(mailing.length).toBeGreaterThan(268);
    const counts = countSegments(mailing);
    expect(counts.encoding).toBe('UCS-2');
    expect(counts.segments).toBeGreaterThanOrEqual(4);
    expect(counts.segments).toBeLessThanOrEqual(5);
    const latin = countSegments(mailing, { transliterate: true, smartEncoding: true });
    expect(latin.encoding).toBe('GSM-7');
    expect(latin.segments).toBe(2);
    expect(latin.original).toEqual({ encoding: 'UCS-2', segments: counts.segments, units: mailing.length });
    expect(latin.replacements?.map((replacement) => replacement.from)).toEqual(['«', '»', '—']);
  });

  it("the fact sheet's 300-character Cyrillic text: 5 UCS-2 parts, 2 GSM-7 parts transliterated", () => {
    const text = 'Привет'.repeat(50);
    expect(countSegments(text).segments).toBe(5);
    expect(countSegments(text, { transliterate: 'icao' })).toMatchObject({ encoding: 'GSM-7', segments: 2, transliterated: 300 });
  });
});

describe('countSegments: properties', () => {
  it('reassembling the parts gives the text back, and no part exceeds its limit', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const counts = countSegments(text, { split: true });
        const parts = counts.parts ?? [];
        expect(parts.join('')).toBe(text);
        expect(parts).toHaveLength(counts.segments);
        const limit = counts.segments > 1 ? (counts.encoding === 'GSM-7' ? 153 : 67) : counts.encoding === 'GSM-7' ? 160 : 70;
        let offset = 0;
        for (const part of parts) {
          expect(unitsOf(part, counts.encoding)).toBeLessThanOrEqual(limit);
          // No part starts with the low half of a pair whose high half ended the previous part.
          const first = part.charCodeAt(0);
          const previous = offset > 0 ? text.charCodeAt(offset - 1) : 0;
          if (first >= 0xdc00 && first <= 0xdfff) expect(previous >= 0xd800 && previous <= 0xdbff).toBe(false);
          offset += part.length;
        }
        if (parts.length > 0) expect(unitsOf(parts[parts.length - 1] as string, counts.encoding)).toBe(counts.unitsUsed);
        expect(counts.unitsUsed + counts.unitsRemaining).toBe(counts.unitsPerSegment);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with the naive reference implementation on segments, encoding and part sizes', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const counts = countSegments(text, { split: true });
        const reference = referenceSegments(text);
        expect(counts.encoding).toBe(reference.encoding);
        expect(counts.segments).toBe(reference.segments);
        expect((counts.parts ?? []).map((part) => unitsOf(part, counts.encoding))).toEqual(reference.partSizes);
        expect(counts.characters).toBe(Array.from(text).length);
      }),
      { numRuns: 500 },
    );
  });

  it('counts the same with and without split', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        const { parts: _parts, ...withSplit } = countSegments(text, { split: true });
        expect(countSegments(text)).toEqual(withSplit);
      }),
    );
  });
});

describe('countSegments: agreement with peers', () => {
  // Texts the peers can segment the same way: no grapheme clusters of several code points (the Twilio calculator
  // keeps a whole cluster such as 👍🏽 or a flag in one part), no CR LF pairs (Twilio counts them as separate LF, CR
  // graphemes, which is the same count) and not empty (both peers report 1 part for an empty text, we report 0).
  const peerText = fc
    .array(
      fc.oneof({ arbitrary: gsmCharacter, weight: 8 }, { arbitrary: cyrillic, weight: 1 }, { arbitrary: emoji, weight: 1 }),
      {
        minLength: 1,
        maxLength: 600,
      },
    )
    .map((characters) => characters.join(''));

  it('matches sms-segments-calculator (Twilio) on segments and encoding', () => {
    fc.assert(
      fc.property(peerText, (text) => {
        const peer = new SegmentedMessage(text);
        const counts = countSegments(text);
        expect(counts.encoding).toBe(peer.encodingName);
        expect(counts.segments).toBe(peer.segmentsCount);
      }),
      { numRuns: 300 },
    );
  });

  it('matches split-sms on segments and encoding', () => {
    fc.assert(
      fc.property(peerText, (text) => {
        const peer = splitSms(text);
        const counts = countSegments(text);
        expect(counts.encoding).toBe(peer.characterSet === 'GSM' ? 'GSM-7' : 'UCS-2');
        expect(counts.segments).toBe(peer.parts.length);
      }),
      { numRuns: 300 },
    );
  });

  it('documents where the Twilio calculator differs: a grapheme cluster is never split there', () => {
    const family = '👨‍👩‍👧'; // 8 code units (3 surrogate pairs + 2 joiners), one grapheme
    const text = `${'ж'.repeat(62)}${family}${'ж'.repeat(64)}`; // 134 units = 2 × 67
    const counts = countSegments(text, { split: true });
    expect(counts.segments).toBe(2);
    expect(counts.parts?.[0]).toHaveLength(67); // the cut falls between two whole surrogate pairs of the cluster
    expect(new SegmentedMessage(text).segmentsCount).toBe(3); // the peer moves the whole cluster to part 2
    expect(countSegments('').segments).toBe(0);
    expect(new SegmentedMessage('').segmentsCount).toBe(1);
    expect(splitSms('').parts).toHaveLength(1);
  });
});
