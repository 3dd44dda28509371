/** Price of one SMS segment, in integer minor units, by recipient country. */
export interface SmsPricing {
  /** ISO 4217 currency of every price here. @default 'RUB' */
  currency?: string | undefined;
  /** Price of one segment when the country has no own price. @default 300 (3 ₽) */
  perSegmentMinor?: number | undefined;
  /** Per-country price of one segment by ISO 3166 code (`{ RU: 300, KZ: 450 }`). */
  countries?: Readonly<Record<string, number>> | undefined;
}

/** Default SMS price in Russia: 3 ₽ per segment (the fact sheet's figure). */
export const DEFAULT_SEGMENT_PRICE_MINOR = 300;

/** The price of one segment to `country` under `pricing`. */
export function segmentPrice(
  pricing: SmsPricing | undefined,
  country: string | undefined,
): { amountMinor: number; currency: string } {
  const perCountry = country === undefined ? undefined : pricing?.countries?.[country];
  return {
    amountMinor: perCountry ?? pricing?.perSegmentMinor ?? DEFAULT_SEGMENT_PRICE_MINOR,
    currency: pricing?.currency ?? 'RUB',
  };
}
