/** Transliteration schemes for Cyrillic → Latin. */
export type TransliterationScheme = 'icao' | 'simple';

/**
 * ICAO Doc 9303 (used in Russian passports since 2013): `ж zh, х kh, ц ts, щ shch, ъ ie, ю iu, я ia`, `й i`,
 * `ь` dropped. Only GSM-7 letters in the output.
 */
const icao: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'i',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: 'ie',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'iu',
  я: 'ia',
  // Ukrainian and Belarusian letters (ICAO).
  і: 'i',
  ї: 'i',
  є: 'ie',
  ґ: 'g',
  ў: 'u',
};

/** The spelling most people type in Latin SMS: `й y, ё yo, ю yu, я ya, щ shch, ъ ь` dropped. */
const simple: Record<string, string> = { ...icao, й: 'y', ё: 'yo', ъ: '', ю: 'yu', я: 'ya', є: 'ye', ї: 'yi' };

const schemes: Record<TransliterationScheme, Map<number, string>> = { icao: toTable(icao), simple: toTable(simple) };

function toTable(lower: Record<string, string>): Map<number, string> {
  const table = new Map<number, string>();
  for (const [letter, latin] of Object.entries(lower)) {
    table.set(letter.charCodeAt(0), latin);
    // Upper case marked by a leading '\0' so the caller can choose between `Shch` and `SHCH`.
    table.set(letter.toUpperCase().charCodeAt(0), `\0${latin}`);
  }
  return table;
}

function isUpperCyrillic(code: number): boolean {
  return (code >= 0x0400 && code <= 0x042f) || code === 0x0490;
}

/** Result of {@link transliterate}. */
export interface TransliterationResult {
  /** The Latin text (the input itself when it had no Cyrillic). */
  text: string;
  /** How many Cyrillic letters were replaced. */
  replaced: number;
}

/**
 * Transliterates Cyrillic letters to Latin so a Russian message can travel as GSM-7 (160/153 characters per part
 * instead of 70/67): a 300-character Cyrillic text drops from 5 UCS-2 parts to 2 GSM-7 parts. Capitals follow
 * their neighbours: `Щи` → `Shchi`, `ЩИ` → `SHCHI`. Always opt-in: the reader sees Latin letters.
 * @param scheme `icao` (ICAO Doc 9303, Russian passports) or `simple` (`й y, ю yu, я ya`). @default 'icao'
 * @example
 * transliterate('Ждём вас в субботу').text; // 'Zhdem vas v subbotu'
 * transliterate('Юля', 'simple').text; // 'Yulya'
 */
export function transliterate(text: string, scheme: TransliterationScheme = 'icao'): TransliterationResult {
  const table = schemes[scheme];
  let output = '';
  let copiedUpTo = 0;
  let replaced = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x0400 || code > 0x04ff) continue;
    const latin = table.get(code);
    if (latin === undefined) continue;
    let piece = latin;
    if (latin.charCodeAt(0) === 0) {
      piece = latin.slice(1);
      if (piece.length > 1) {
        const neighbourUpper =
          (index + 1 < text.length && isUpperCyrillic(text.charCodeAt(index + 1))) ||
          (index > 0 &&
            isUpperCyrillic(text.charCodeAt(index - 1)) &&
            !(index + 1 < text.length && text.charCodeAt(index + 1) >= 0x0430));
        piece = neighbourUpper ? piece.toUpperCase() : piece.charAt(0).toUpperCase() + piece.slice(1);
      } else piece = piece.toUpperCase();
    }
    output += text.slice(copiedUpTo, index) + piece;
    copiedUpTo = index + 1;
    replaced++;
  }
  if (replaced === 0) return { text, replaced };
  return { text: output + text.slice(copiedUpTo), replaced };
}
