import { z } from 'zod';

/** An amount of money in integer minor units (kopecks for RUB, cents for USD) and an ISO 4217 currency. */
export const moneySchema = z.object({ amountMinor: z.number().int().nonnegative(), currency: z.string().length(3) }).strict();
export type Money = z.infer<typeof moneySchema>;

/** A cost estimate: the money and the billable units behind it (`3 segments`, `1 message`). */
export interface CostEstimate {
  money: Money;
  units: number;
  unitName: string;
  /** How it was computed, for reports (`3 UCS-2 segments × 300 RUB/100`). */
  detail?: string;
}

/** Builds a {@link Money}. */
export function money(amountMinor: number, currency = 'RUB'): Money {
  return { amountMinor, currency };
}
