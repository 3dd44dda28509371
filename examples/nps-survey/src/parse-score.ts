/**
 * Reads a 0–10 score from what a customer answered to "how likely are you to recommend us?": a button press
 * (`nps:9`) or a text reply — digits ("9", "9/10", "на 9 из 10") or Russian and English words ("девять",
 * "девять из десяти", "десятка", "nine"). Undefined when the reply holds no score or more than one ("от 7 до 8").
 */
export function parseScore(reply: string): number | undefined {
  const button = /^nps:(\d{1,2})$/.exec(reply.trim());
  if (button) return inRange(Number(button[1]));
  const text = reply
    .toLowerCase()
    .replace(/ё/g, 'е')
    // "9 из 10", "9/10", "девять из десяти": the scale is not a second score.
    .replace(/(?:\/|(?<!\p{L})из|(?<!\p{L})out of)\s*(?:10|десяти|ten)(?!\p{L}|\d)/gu, ' ');
  const scores = new Set<number>();
  for (const match of text.matchAll(/\d+(?:[.,]\d+)?/g)) {
    const value = Number(match[0].replace(',', '.'));
    if (!Number.isInteger(value)) return undefined;
    scores.add(value);
  }
  for (const word of text.split(/[^\p{L}]+/u)) {
    const value = wordScores.get(word);
    if (value !== undefined) scores.add(value);
  }
  if (scores.size !== 1) return undefined;
  return inRange([...scores][0] as number);
}

function inRange(value: number): number | undefined {
  return value >= 0 && value <= 10 ? value : undefined;
}

const wordScores = new Map<string, number>([
  ...(
    [
      ['ноль', 0],
      ['один', 1],
      ['одна', 1],
      ['единица', 1],
      ['два', 2],
      ['двойка', 2],
      ['три', 3],
      ['тройка', 3],
      ['четыре', 4],
      ['четверка', 4],
      ['пять', 5],
      ['пятерка', 5],
      ['шесть', 6],
      ['семь', 7],
      ['восемь', 8],
      ['девять', 9],
      ['десять', 10],
      ['десятка', 10],
      ['zero', 0],
      ['one', 1],
      ['two', 2],
      ['three', 3],
      ['four', 4],
      ['five', 5],
      ['six', 6],
      ['seven', 7],
      ['eight', 8],
      ['nine', 9],
      ['ten', 10],
    ] as const
  ).map(([word, value]) => [word, value] as [string, number]),
]);

/** Net Promoter Score: % promoters (9–10) minus % detractors (0–6), from −100 to 100; undefined with no answers. */
export function netPromoterScore(scores: readonly number[]): number | undefined {
  if (scores.length === 0) return undefined;
  const promoters = scores.filter((score) => score >= 9).length;
  const detractors = scores.filter((score) => score <= 6).length;
  return Math.round(((promoters - detractors) / scores.length) * 100);
}
