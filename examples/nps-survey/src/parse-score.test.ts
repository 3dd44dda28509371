import { describe, expect, it } from 'vitest';
import { netPromoterScore, parseScore } from './parse-score.js';

describe('parseScore', () => {
  it('reads button payloads, digits and words, with or without the scale', () => {
    const cases: Array<[string, number]> = [
      ['nps:9', 9],
      ['nps:0', 0],
      ['9', 9],
      [' 10!', 10],
      ['9/10', 9],
      ['на 9 из 10', 9],
      ['Девять', 9],
      ['девять из десяти', 9],
      ['Твёрдая десятка', 10],
      ['Ставлю восемь, спасибо', 8],
      ['ноль', 0],
      ['nine out of ten', 9],
      ['7 out of 10', 7],
    ];
    for (const [reply, score] of cases) expect(parseScore(reply), reply).toBe(score);
  });

  it('gives no score for replies without one, with two, or out of range', () => {
    for (const reply of ['Спасибо, всё отлично', 'от 7 до 8', 'семь или восемь', '11', '8.5', 'nps:12', '', '100 из 10'])
      expect(parseScore(reply), reply).toBeUndefined();
  });
});

describe('netPromoterScore', () => {
  it('is promoters minus detractors in percent', () => {
    expect(netPromoterScore([10, 9, 9, 8, 7, 6, 3, 10, 10, 0])).toBe(20);
    expect(netPromoterScore([10, 10])).toBe(100);
    expect(netPromoterScore([])).toBeUndefined();
  });
});
