import { describe, expect, it } from 'vitest';
import { fillReply, replyVariables } from './canned-replies.js';

describe('fillReply', () => {
  it('fills {model}, {price} and {name} from the listing and the contact', () => {
    const variables = replyVariables(
      { subject: { itemId: 1, title: 'Kia Rio, 2020', price: '1\u00a0320\u00a0000\u00a0₽' } },
      { name: 'Мария' },
    );
    const filled = fillReply({ id: 'a', title: 'A', text: '{name}, {model} стоит {price}.' }, variables);
    expect(filled).toEqual({ id: 'a', title: 'A', text: 'Мария, Kia Rio, 2020 стоит 1\u00a0320\u00a0000\u00a0₽.', missing: [] });
  });

  it('keeps unknown or empty variables and reports each once', () => {
    const variables = replyVariables({ subject: { title: '  ' } }, { name: 'Иван' });
    const filled = fillReply({ id: 'b', title: 'B', text: '{model} — {model}, {price}, {name}, {unknown}' }, variables);
    expect(filled.text).toBe('{model} — {model}, {price}, Иван, {unknown}');
    expect(filled.missing).toEqual(['model', 'price', 'unknown']);
  });

  it('takes a numeric price as written', () => {
    expect(replyVariables({ subject: { price: 990000 } }, undefined)).toEqual({
      model: undefined,
      price: '990000',
      name: undefined,
    });
  });
});
