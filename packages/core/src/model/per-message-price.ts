import { z } from 'zod';
import { type CostEstimate, money } from './money.js';

/**
 * A flat price per message, for channels the provider does not bill by size or category (MAX, Avito, Telegram, VK:
 * free by default; a dealer may still price them, e.g. for an operator's time or a paid tariff).
 */
export interface PerMessagePrice {
  /** Price of one message in minor units (kopecks for RUB). */
  perMessageMinor: number;
  /** ISO 4217 currency code. @default 'RUB' */
  currency?: string | undefined;
}

/** Validates a {@link PerMessagePrice} in channel options. */
export const perMessagePriceSchema = z
  .object({ perMessageMinor: z.number().int().nonnegative(), currency: z.string().length(3).optional() })
  .strict();

/**
 * The cost of one message at a flat price; with no price configured the message is free and `freeDetail` says why.
 */
export function perMessageCost(price: PerMessagePrice | undefined, freeDetail: string): CostEstimate {
  const amount = price?.perMessageMinor ?? 0;
  const currency = price?.currency ?? 'RUB';
  return {
    money: money(amount, currency),
    units: 1,
    unitName: 'message',
    detail: price ? `${amount} ${currency}/100 per message (configured)` : freeDetail,
  };
}
