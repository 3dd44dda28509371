/**
 * The GSM 03.38 (3GPP TS 23.038) default alphabet as lookup tables on UTF-16 char codes.
 * @see https://en.wikipedia.org/wiki/GSM_03.38
 */

/** Every character of the basic set: one septet each (127 characters; position 0x1B is the escape). */
export const GSM_BASIC_CHARACTERS =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table reached through the escape: two septets each (form feed `^ { } \ [ ~ ] | €`). */
export const GSM_EXTENSION_CHARACTERS = '\f^{}\\[~]|€';

/** Char codes below this bound are looked up in the septet table; above it only `€` (U+20AC) is GSM. */
export const GSM_TABLE_SIZE = 0x3aa;
/** The euro sign, the only GSM character above {@link GSM_TABLE_SIZE}. */
export const EURO_CODE = 0x20ac;

/** Septets per char code below {@link GSM_TABLE_SIZE}: 0 = not GSM-7, 1 = basic set, 2 = extension table. */
export const gsmSeptets: Uint8Array = (() => {
  const table = new Uint8Array(GSM_TABLE_SIZE);
  for (let index = 0; index < GSM_BASIC_CHARACTERS.length; index++) table[GSM_BASIC_CHARACTERS.charCodeAt(index)] = 1;
  for (let index = 0; index < GSM_EXTENSION_CHARACTERS.length; index++) {
    const code = GSM_EXTENSION_CHARACTERS.charCodeAt(index);
    if (code < GSM_TABLE_SIZE) table[code] = 2;
  }
  return table;
})();

/**
 * Septets one UTF-16 code unit takes in GSM-7: 1 (basic set), 2 (extension table) or 0 when it is not GSM-7.
 * @example
 * septetsOf('A'.charCodeAt(0)); // 1
 * septetsOf('€'.charCodeAt(0)); // 2
 * septetsOf('Ж'.charCodeAt(0)); // 0
 */
export function septetsOf(code: number): 0 | 1 | 2 {
  if (code < GSM_TABLE_SIZE) return gsmSeptets[code] as 0 | 1 | 2;
  return code === EURO_CODE ? 2 : 0;
}

/** True when every character of `text` is in the GSM-7 basic set or extension table. */
export function isGsm7(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < GSM_TABLE_SIZE ? gsmSeptets[code] === 0 : code !== EURO_CODE) return false;
  }
  return true;
}
