import { EURO_CODE, GSM_TABLE_SIZE, gsmSeptets } from './sms-gsm-alphabet.js';
import { type SmartEncodingReplacement, smartEncode } from './sms-smart-encoding.js';
import { type TransliterationScheme, transliterate } from './sms-transliteration.js';

/** The two SMS alphabets: GSM-7 (7-bit septets) and UCS-2 (UTF-16 code units). */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** Options of {@link countSegments}. */
export interface CountSegmentsOptions {
  /** Also return the text of every part in `parts` (allocates; counting alone does not). @default false */
  split?: boolean;
  /** Replace look-alike characters (typographic quotes, dashes, nbsp, `…`) with GSM-7 ones first. @default false */
  smartEncoding?: boolean;
  /** Transliterate Cyrillic to Latin first (`true` = `icao`). Always opt-in. @default false */
  transliterate?: boolean | TransliterationScheme;
  /**
   * Concatenation header size: `8bit` reference (6-byte UDH → 153 septets / 67 units per part, what gateways
   * normally use) or `16bit` (7-byte UDH → 152 / 66). @default '8bit'
   */
  concatenationReference?: '8bit' | '16bit';
  /**
   * Keep a UTF-16 surrogate pair (most emoji) in one part, as the standard requires. A few gateways split them;
   * set `false` to mirror such a gateway's count. @default true
   */
  keepSurrogatePairs?: boolean;
}

/** What {@link countSegments} found. */
export interface SegmentCount {
  /** GSM-7 when every character is in the GSM 03.38 tables, otherwise UCS-2. */
  encoding: SmsEncoding;
  /** Billable parts. `0` for an empty text (nothing is sent). */
  segments: number;
  /** Total size: septets in GSM-7 (an extension character counts 2), UTF-16 code units in UCS-2. */
  units: number;
  /** Units in the last segment. */
  unitsUsed: number;
  /** Units still free in the last segment before another segment is needed. */
  unitsRemaining: number;
  /** Capacity of one segment at this length: 160/153 (GSM-7) or 70/67 (UCS-2). */
  unitsPerSegment: number;
  /**
   * Unicode code points (what a reader counts as characters, roughly). Computed on first read for UCS-2 texts,
   * so counting segments alone never scans the whole text twice.
   */
  readonly characters: number;
  /** The text that was counted: the input, or the result of smart encoding / transliteration. */
  text: string;
  /** The text of each segment (only with `split: true`); joined they give `text` back exactly. */
  parts?: string[];
  /** Characters smart encoding replaced (only with `smartEncoding: true`). */
  replacements?: SmartEncodingReplacement[];
  /** Cyrillic letters transliterated (only with `transliterate`). */
  transliterated?: number;
  /** Encoding and segments of the input before smart encoding / transliteration changed it. */
  original?: { encoding: SmsEncoding; segments: number; units: number };
}

/** Septets in one GSM-7 message / in one part of a concatenated message (8-bit reference). */
export const GSM7_SINGLE_LIMIT = 160;
/** Septets per part of a concatenated GSM-7 message with an 8-bit reference (6-byte UDH). */
export const GSM7_PART_LIMIT = 153;
/** UTF-16 code units in one UCS-2 message. */
export const UCS2_SINGLE_LIMIT = 70;
/** UTF-16 code units per part of a concatenated UCS-2 message with an 8-bit reference. */
export const UCS2_PART_LIMIT = 67;

interface Measured {
  encoding: SmsEncoding;
  segments: number;
  units: number;
  unitsUsed: number;
  unitsRemaining: number;
  unitsPerSegment: number;
  characters: number;
  starts: number[] | undefined;
}

function measure(text: string, gsmPart: number, ucsPart: number, keepPairs: boolean, split: boolean): Measured {
  const length = text.length;
  const starts = split ? [0] : undefined;
  let total = 0;
  let partUsed = 0;
  let partCount = 1;
  let index = 0;
  // One pass while the text is GSM-7: total septets and the greedy multipart packing at the same time, so an
  // escape pair (2 septets) that does not fit the current part moves whole to the next one.
  for (; index < length; index++) {
    const code = text.charCodeAt(index);
    const septets = code < GSM_TABLE_SIZE ? (gsmSeptets[code] as number) : code === EURO_CODE ? 2 : 0;
    if (septets === 0) break;
    total += septets;
    if (partUsed + septets > gsmPart) {
      partCount++;
      partUsed = septets;
      starts?.push(index);
    } else partUsed += septets;
  }
  if (index === length) {
    if (total <= GSM7_SINGLE_LIMIT) {
      if (starts) starts.length = length === 0 ? 0 : 1;
      return {
        encoding: 'GSM-7',
        segments: length === 0 ? 0 : 1,
        units: total,
        unitsUsed: total,
        unitsRemaining: GSM7_SINGLE_LIMIT - total,
        unitsPerSegment: GSM7_SINGLE_LIMIT,
        characters: length,
        starts,
      };
    }
    return {
      encoding: 'GSM-7',
      segments: partCount,
      units: total,
      unitsUsed: partUsed,
      unitsRemaining: gsmPart - partUsed,
      unitsPerSegment: gsmPart,
      characters: length,
      starts,
    };
  }

  // UCS-2: every UTF-16 code unit is one unit. Code points are counted lazily (see SegmentCountResult).
  if (length <= UCS2_SINGLE_LIMIT) {
    if (starts) starts.length = 1;
    return {
      encoding: 'UCS-2',
      segments: 1,
      units: length,
      unitsUsed: length,
      unitsRemaining: UCS2_SINGLE_LIMIT - length,
      unitsPerSegment: UCS2_SINGLE_LIMIT,
      characters: -1,
      starts,
    };
  }
  // Part boundaries only need a look at the two code units around each cut: O(parts), not O(length).
  let start = 0;
  let segments = 1;
  if (starts) starts.length = 1;
  while (length - start > ucsPart) {
    let end = start + ucsPart;
    if (keepPairs) {
      const before = text.charCodeAt(end - 1);
      if (before >= 0xd800 && before <= 0xdbff) {
        const after = text.charCodeAt(end);
        if (after >= 0xdc00 && after <= 0xdfff) end--;
      }
    }
    starts?.push(end);
    start = end;
    segments++;
  }
  const used = length - start;
  return {
    encoding: 'UCS-2',
    segments,
    units: length,
    unitsUsed: used,
    unitsRemaining: ucsPart - used,
    unitsPerSegment: ucsPart,
    characters: -1,
    starts,
  };
}

function toParts(text: string, starts: number[]): string[] {
  const parts: string[] = new Array(starts.length);
  for (let index = 0; index < starts.length; index++) parts[index] = text.slice(starts[index], starts[index + 1]);
  return parts;
}

/**
 * Counts the SMS segments (billable parts) of a text exactly as the network does: GSM-7 when every character is
 * in the GSM 03.38 basic set or extension table (an extension character such as `€ [ ] { } ^ ~ | \` takes two
 * septets and is never split across parts), otherwise UCS-2 counted in UTF-16 code units (a surrogate pair, most
 * emoji, is never split). One message holds 160 septets / 70 units; each part of a longer one 153 / 67.
 *
 * Zero dependencies and no allocation unless `split` is asked for: safe to call per contact in a cascade.
 * @example
 * countSegments('Hello').segments; // 1
 * countSegments('Здравствуйте! Ваш автомобиль готов, ждём вас до 20:00.').encoding; // 'UCS-2'
 * const { parts } = countSegments(longText, { split: true });
 * countSegments('«Скидка» — 10%', { smartEncoding: true, transliterate: true }).encoding; // 'GSM-7'
 * @see https://en.wikipedia.org/wiki/GSM_03.38
 */
export function countSegments(text: string, options?: CountSegmentsOptions): SegmentCount {
  const gsmPart = options?.concatenationReference === '16bit' ? GSM7_PART_LIMIT - 1 : GSM7_PART_LIMIT;
  const ucsPart = options?.concatenationReference === '16bit' ? UCS2_PART_LIMIT - 1 : UCS2_PART_LIMIT;
  const keepPairs = options?.keepSurrogatePairs ?? true;
  const split = options?.split ?? false;
  if (!options?.smartEncoding && !options?.transliterate) {
    const measured = measure(text, gsmPart, ucsPart, keepPairs, split);
    return result(text, measured);
  }

  let counted = text;
  let transliterated: number | undefined;
  let replacements: SmartEncodingReplacement[] | undefined;
  if (options.transliterate) {
    const scheme = options.transliterate === true ? 'icao' : options.transliterate;
    const output = transliterate(counted, scheme);
    counted = output.text;
    transliterated = output.replaced;
  }
  if (options.smartEncoding) {
    const output = smartEncode(counted);
    counted = output.text;
    replacements = output.replacements;
  }
  const measured = measure(counted, gsmPart, ucsPart, keepPairs, split);
  const counts = result(counted, measured);
  if (replacements) counts.replacements = replacements;
  if (transliterated !== undefined) counts.transliterated = transliterated;
  if (counted !== text) {
    const before = measure(text, gsmPart, ucsPart, keepPairs, false);
    counts.original = { encoding: before.encoding, segments: before.segments, units: before.units };
  }
  return counts;
}

function countCodePoints(text: string): number {
  let pairs = 0;
  const last = text.length - 1;
  for (let position = 0; position < last; position++) {
    const code = text.charCodeAt(position);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(position + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        position++;
      }
    }
  }
  return text.length - pairs;
}

/** The object {@link countSegments} returns: plain fields plus a lazily computed `characters`. */
class SegmentCountResult implements SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  units: number;
  unitsUsed: number;
  unitsRemaining: number;
  unitsPerSegment: number;
  text: string;
  declare parts?: string[];
  declare replacements?: SmartEncodingReplacement[];
  declare transliterated?: number;
  declare original?: { encoding: SmsEncoding; segments: number; units: number };
  #characters: number;

  constructor(text: string, measured: Measured) {
    this.encoding = measured.encoding;
    this.segments = measured.segments;
    this.units = measured.units;
    this.unitsUsed = measured.unitsUsed;
    this.unitsRemaining = measured.unitsRemaining;
    this.unitsPerSegment = measured.unitsPerSegment;
    this.text = text;
    this.#characters = measured.characters;
    if (measured.starts) this.parts = toParts(text, measured.starts);
  }

  get characters(): number {
    if (this.#characters < 0) this.#characters = countCodePoints(this.text);
    return this.#characters;
  }

  toJSON(): Omit<SegmentCount, 'characters'> & { characters: number } {
    return { ...this, characters: this.characters };
  }
}

function result(text: string, measured: Measured): SegmentCount {
  return new SegmentCountResult(text, measured);
}
