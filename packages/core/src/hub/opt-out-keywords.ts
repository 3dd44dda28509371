import type { InboundEvent } from '../channel.js';

/**
 * Words that opt a contact out when they are the whole message (after normalising case, punctuation and spacing), per
 * language. Russian ones cover what operators and dealers' bots accept; English ones are the carriers' standard set
 * (CTIA: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT).
 */
export const defaultOptOutKeywords: Readonly<Record<string, readonly string[]>> = {
  ru: ['стоп', 'отписаться', 'отписка', 'отпишите', 'отпишите меня', 'не писать', 'не пишите', 'хватит'],
  en: ['stop', 'stopall', 'stop all', 'unsubscribe', 'cancel', 'end', 'quit', 'opt out', 'optout'],
};

/** Lowercase, `ё` as `е`, punctuation and symbols dropped, runs of spaces as one: «  СТОП!!! » → `стоп`. */
export function normaliseKeyword(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A matcher for a keyword list: true when a whole message is one of the words (not a word inside a sentence). */
export function createOptOutMatcher(
  keywords: Readonly<Record<string, readonly string[]>> = defaultOptOutKeywords,
): (event: InboundEvent) => boolean {
  const words = new Set<string>();
  for (const list of Object.values(keywords)) for (const word of list) words.add(normaliseKeyword(word));
  const longest = Math.max(0, ...[...words].map((word) => word.length));
  return (event) => {
    if (event.content.type !== 'text' || event.kind !== 'message') return false;
    const text = event.content.text;
    // A long message is a sentence, not a keyword: skip the normalising work.
    if (text.length > longest * 3 + 10) return false;
    return words.has(normaliseKeyword(text));
  };
}
