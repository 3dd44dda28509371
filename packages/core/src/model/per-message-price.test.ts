import { describe, expect, it } from 'vitest';
import { perMessageCost, perMessagePriceSchema } from './per-message-price.js';

describe('perMessageCost', () => {
  it('is free with the given reason when no price is configured', () => {
    expect(perMessageCost(undefined, 'bot messages are free')).toEqual({
      money: { amountMinor: 0, currency: 'RUB' },
      units: 1,
      unitName: 'message',
      detail: 'bot messages are free',
    });
  });

  it('charges the configured price in its currency', () => {
    const cost = perMessageCost({ perMessageMinor: 150, currency: 'KZT' }, 'free');
    expect(cost.money).toEqual({ amountMinor: 150, currency: 'KZT' });
    expect(cost.detail).toBe('150 KZT/100 per message (configured)');
  });

  it('rejects negative, fractional and unknown fields', () => {
    expect(perMessagePriceSchema.safeParse({ perMessageMinor: -1 }).success).toBe(false);
    expect(perMessagePriceSchema.safeParse({ perMessageMinor: 1.5 }).success).toBe(false);
    expect(perMessagePriceSchema.safeParse({ perMessageMinor: 1, vat: true }).success).toBe(false);
    expect(perMessagePriceSchema.safeParse({ perMessageMinor: 0, currency: 'RUB' }).success).toBe(true);
  });
});
