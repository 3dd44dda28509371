import { describe, expect, it } from 'vitest';
import type { InboundEvent } from '../channel.js';
import { createOptOutMatcher, normaliseKeyword } from './opt-out-keywords.js';

const inbound = (text: string, kind: InboundEvent['kind'] = 'message'): InboundEvent => ({
  type: 'inbound',
  providerMessageId: 'm1',
  from: '+79161234567',
  content: { type: 'text', text },
  kind,
  at: 0,
});

describe('keyword opt-out', () => {
  const matches = createOptOutMatcher();

  it('matches a whole message, whatever its case, punctuation and spacing', () => {
    for (const text of ['СТОП', 'стоп!', ' Стоп. ', 'STOP', 'Unsubscribe', 'ОТПИСАТЬСЯ!!!', 'отписаться', '«Стоп»', 'Не пишите!'])
      expect(matches(inbound(text)), text).toBe(true);
  });

  it('does not match a keyword inside a longer sentence, a button reply or another word', () => {
    for (const text of ['Стоп, а сколько стоит ТО?', 'не могу остановиться', 'stop by tomorrow', 'стопка', 'STOPS'])
      expect(matches(inbound(text)), text).toBe(false);
    expect(matches(inbound('STOP', 'button_reply'))).toBe(false);
  });

  it('takes a configured list per language instead of the defaults', () => {
    const custom = createOptOutMatcher({ kk: ['тоқта'] });
    expect(custom(inbound('Тоқта!'))).toBe(true);
    expect(custom(inbound('стоп'))).toBe(false);
  });

  it('normalises ё and punctuation', () => {
    expect(normaliseKeyword('  Всё!  хватит… ')).toBe('все хватит');
  });
});
