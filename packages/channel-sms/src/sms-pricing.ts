/** Price of one SMS segment, in integer minor units, by recipient country. */
export interface SmsPricing {
  /** ISO 4217 currency of every price here. @default 'RUB' */
  currency?: string | undefined;
  /** Price of one segment when the country has no own price. @default 300 (3 ₽) */
  perSegmentMinor?: number | undefined;
  /** Per-country price of one segment by ISO 3166 code (`{ RU: 300, KZ: 450 }`). */
  countries?: Readonly<Record<string, number>> | undefined;
  /** The day these prices were taken (`YYYY-MM-DD`): prices change, reports should say which ones they used. */
  asOf?: string | undefined;
  /** Where they come from (an aggregator's tariff page, a contract). */
  source?: string | undefined;
}

/** Default SMS price in Russia: 3 ₽ per segment (the fact sheet's figure). */
export const DEFAULT_SEGMENT_PRICE_MINOR = 300;

/**
 * The default price card with its date and source: the demo seed's 3 ₽ a segment. Not a market price — an
 * advertising SMS in Russia cost about 5.3 ₽ a segment with VAT in 2025 (see docs/cost-model.md); pass your
 * aggregator's `pricing` with its own `asOf` and `source`.
 */
export const DEFAULT_SMS_PRICING: Readonly<Required<Omit<SmsPricing, 'countries'>>> = {
  currency: 'RUB',
  perSegmentMinor: DEFAULT_SEGMENT_PRICE_MINOR,
  asOf: '2026-03-02',
  source: 'omnidealer demo seed (3 ₽ a segment; not a market price)',
};

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
