import { EURO_CODE, GSM_TABLE_SIZE, gsmSeptets } from './sms-gsm-alphabet.js';

/** One character smart encoding replaced. */
export interface SmartEncodingReplacement {
  /** UTF-16 offset of the character in the original text. */
  index: number;
  /** The original character (`“`). */
  from: string;
  /** What replaced it (`"`); an empty string when it was removed (zero-width characters). */
  to: string;
}

/** Result of {@link smartEncode}. */
export interface SmartEncodingResult {
  /** The text with look-alikes replaced (the input itself when nothing changed). */
  text: string;
  /** Every replacement, in text order. */
  replacements: SmartEncodingReplacement[];
}

/**
 * Look-alike characters and their GSM-7 replacements. Only characters outside GSM-7 are ever replaced, so the
 * map never changes a message that already fits GSM-7.
 */
const replacementTable: ReadonlyArray<readonly [string, string]> = [
  // Double quotes and guillemets.
  ['“”„‟«»″〝〞❝❞ʺˮ', '"'],
  // Single quotes, apostrophes, primes, accents used as apostrophes.
  ['‘’‚‛′´`ʹʻʼʽˈˊˋ❛❜', "'"],
  // Hyphens, dashes, minus sign, bullets.
  ['‐‑‒–—―−⁃•·', '-'],
  // Spaces: no-break, en/em/thin/hair, narrow no-break, medium math, ideographic; tab.
  ['\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t', ' '],
  ['‹', '<'],
  ['›', '>'],
  ['⁄∕', '/'],
  ['×', 'x'],
  ['÷', '/'],
  ['‗', '_'],
  ['ˆ', '^'],
  ['˜∼', '~'],
  ['¦', '|'],
];

const multiCharacterReplacements: ReadonlyArray<readonly [string, string]> = [
  ['…', '...'],
  ['‼', '!!'],
  ['¼', '1/4'],
  ['½', '1/2'],
  ['¾', '3/4'],
  ['№', 'No.'],
  ['₽', 'RUB'],
  ['™', 'TM'],
  ['©', '(c)'],
  ['®', '(R)'],
  // Zero-width and invisible characters are dropped.
  ['\u200b', ''],
  ['\u200c', ''],
  ['\u200d', ''],
  ['\u2060', ''],
  ['\ufeff', ''],
  ['\u00ad', ''],
];

const replacements = new Map<number, string>();
for (const [characters, to] of replacementTable)
  for (const character of characters) replacements.set(character.charCodeAt(0), to);
for (const [character, to] of multiCharacterReplacements) replacements.set(character.charCodeAt(0), to);

function isGsmCode(code: number): boolean {
  return code < GSM_TABLE_SIZE ? gsmSeptets[code] !== 0 : code === EURO_CODE;
}

/** The GSM-7 replacement of one non-GSM BMP character, or undefined when there is none. */
function replacementFor(code: number): string | undefined {
  const mapped = replacements.get(code);
  if (mapped !== undefined) return mapped;
  // Full-width ASCII (U+FF01–U+FF5E) maps onto ASCII.
  if (code >= 0xff01 && code <= 0xff5e) {
    const ascii = code - 0xfee0;
    return isGsmCode(ascii) ? String.fromCharCode(ascii) : undefined;
  }
  // Latin letters with a diacritic GSM-7 lacks (á, ç, ł…) fall back to their base letter.
  if (code >= 0xc0 && code < 0x250) {
    const base = String.fromCharCode(code).normalize('NFD').charCodeAt(0);
    if (base < 0x80 && isGsmCode(base)) return String.fromCharCode(base);
    if (code === 0x0141) return 'L';
    if (code === 0x0142) return 'l';
    if (code === 0x0110) return 'D';
    if (code === 0x0111) return 'd';
  }
  return undefined;
}

/**
 * Replaces look-alike characters outside GSM-7 (typographic quotes, dashes, non-breaking spaces, ellipsis, `№`,
 * `₽`, full-width forms, Latin letters with diacritics GSM-7 lacks) with GSM-7 equivalents, so a message that
 * only "looks" Latin stays GSM-7 (160 characters instead of 70). Characters already in GSM-7 are never touched;
 * characters without a look-alike (Cyrillic, emoji) stay as they are. Every change is reported.
 * This is what Twilio calls Smart Encoding.
 * @example
 * smartEncode('Ждём вас — «Авто» …').replacements.map((r) => r.from); // ['—', '«', '»', '…']
 * smartEncode('Price: 10 000 ₽ — today “only”').text; // 'Price: 10 000 RUB - today "only"'
 * @see https://www.twilio.com/docs/messaging/services#smart-encoding
 */
export function smartEncode(text: string): SmartEncodingResult {
  const found: SmartEncodingReplacement[] = [];
  let output = '';
  let copiedUpTo = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isGsmCode(code)) continue;
    if (code >= 0xd800 && code <= 0xdbff) {
      index++; // A surrogate pair (emoji) has no GSM look-alike.
      continue;
    }
    const to = replacementFor(code);
    if (to === undefined) continue;
    output += text.slice(copiedUpTo, index) + to;
    copiedUpTo = index + 1;
    found.push({ index, from: text[index] as string, to });
  }
  if (found.length === 0) return { text, replacements: found };
  return { text: output + text.slice(copiedUpTo), replacements: found };
}
