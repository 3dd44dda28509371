import type { CostEstimate, MessageContent } from '@omnidealer/core';
import { money } from '@omnidealer/core/provider-utils';
import type { WhatsAppTemplateCategory } from './whatsapp-template.js';

/** Prices of one market in minor units per delivered message. */
export interface WhatsAppRate {
  marketing: number;
  utility: number;
  authentication: number;
  /** Free-form (service) messages; charged only where the card's rules charge them (from 1 Oct 2026). @default 0 */
  service?: number;
}

/**
 * A price table: per market, with `default` for every other recipient. A market key is an ISO 3166 country (`RU`,
 * what a phone number or a business-scoped user id resolves to) or a country calling code with its plus (`+7`,
 * `+998`; the longest matching prefix of the recipient's number wins, so `+77` can price Kazakhstan apart from `+7`).
 */
export interface WhatsAppPricing {
  /** ISO 4217 currency of every amount in the table. */
  currency: string;
  rates: Record<string, WhatsAppRate> & { default?: WhatsAppRate };
}

/** What a message is billed as: a template category or `service` (free-form). */
export type WhatsAppBillingCategory = WhatsAppTemplateCategory | 'service';

/** Categories that can be free inside an open customer-service window. */
export type WhatsAppWindowFreeCategory = 'service' | 'utility';

/**
 * A dated price table: the prices that apply to messages delivered from `validFrom` (UTC day) until the next card.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export interface WhatsAppRateCard extends WhatsAppPricing {
  /** First UTC day the card applies, `YYYY-MM-DD`. */
  validFrom: string;
  /** Where the prices come from: a URL (Meta's rate card, the BSP's price list) or a note such as `EXAMPLE`. */
  source: string;
  /**
   * What is free inside an open customer-service window. Unset: Meta's rules on the message's date —
   * `['service', 'utility']` before 1 Oct 2026, nothing from then on (see {@link whatsAppWindowFreeCategories}).
   */
  freeInsideWindow?: WhatsAppWindowFreeCategory[] | undefined;
}

/** A market's prices overriding the selected card's (in that card's currency); unset categories keep the card's. */
export type WhatsAppRateOverride = Partial<WhatsAppRate>;

/** The `pricing` setting in full: dated cards and per-market overrides. */
export interface WhatsAppPricingSettings {
  /** Dated cards; the one with the latest `validFrom` not after the message's date applies. @default {@link WHATSAPP_RATE_CARDS} */
  cards?: WhatsAppRateCard[] | undefined;
  /** Per market (ISO country, `+<calling code>` or `default`): prices that replace the selected card's. */
  markets?: Record<string, WhatsAppRateOverride> | undefined;
}

/** Where the pricing changes below were announced. */
const pricingSource = 'https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing';

/**
 * The day Meta starts charging service messages and utility templates sent inside the customer-service window.
 * Announced with the Meta Business Agent platform (July 2026) and relayed by BSPs, e.g.
 * https://chakrahq.com/article/whatsapp-api-pricing-update-service-messages-october-2026/ and
 * https://www.ycloud.com/blog/whatsapp-service-messages-24-hour-window-pricing; Meta's pricing page:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export const WHATSAPP_WINDOW_CHARGED_FROM = '2026-10-01';

/**
 * EXAMPLE rate cards in kopecks, not Meta's prices: 12 ₽ per marketing message in Russia (the figure a dealer paid a
 * BSP in 2024), utility and authentication at 5 ₽ (about Meta's marketing:utility ratio of 2:1 for Russia). The
 * first card starts per-message pricing (1 Jul 2025: delivered templates billed, service messages and utility
 * templates free inside the window); the second adds service messages at the utility price, charged from 1 Oct 2026
 * like utility templates inside the window (BSPs' published 2026-10 cards price service at the utility rate).
 * Replace them with your BSP's or Meta's current cards via the `pricing` setting.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export const WHATSAPP_RATE_CARDS: readonly WhatsAppRateCard[] = [
  {
    validFrom: '2025-07-01',
    source: `EXAMPLE prices; rules: ${pricingSource}`,
    currency: 'RUB',
    rates: {
      RU: { marketing: 1200, utility: 500, authentication: 500, service: 0 },
      default: { marketing: 1200, utility: 500, authentication: 500, service: 0 },
    },
  },
  {
    validFrom: WHATSAPP_WINDOW_CHARGED_FROM,
    source: `EXAMPLE prices; rules: ${pricingSource}`,
    currency: 'RUB',
    rates: {
      RU: { marketing: 1200, utility: 500, authentication: 500, service: 500 },
      default: { marketing: 1200, utility: 500, authentication: 500, service: 500 },
    },
  },
];

/**
 * The 2025 EXAMPLE table (the first of {@link WHATSAPP_RATE_CARDS}) as a plain table.
 * @deprecated Use {@link WHATSAPP_RATE_CARDS}: prices and window rules change with the date.
 */
export const WHATSAPP_DEFAULT_PRICING: WhatsAppPricing = {
  currency: 'RUB',
  rates: (WHATSAPP_RATE_CARDS[0] as WhatsAppRateCard).rates,
};

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * What Meta leaves free inside an open customer-service window on a date: service messages and utility templates
 * before {@link WHATSAPP_WINDOW_CHARGED_FROM}, nothing from then on.
 */
export function whatsAppWindowFreeCategories(at: number): WhatsAppWindowFreeCategory[] {
  return day(at) < WHATSAPP_WINDOW_CHARGED_FROM ? ['service', 'utility'] : [];
}

/** Dated cards and overrides, resolved once per channel. */
export interface WhatsAppPriceList {
  /** The card in force at `at` (ms): the latest `validFrom` not after that UTC day, else the earliest card. */
  cardAt(at: number): WhatsAppRateCard;
  /** Overrides by market, applied on top of any card. */
  readonly markets: Record<string, WhatsAppRateOverride>;
}

/**
 * Builds the price list of a channel from its `pricing` setting: a plain table (one card in force from the start,
 * window rules following Meta's dates), `{ cards, markets }`, or nothing ({@link WHATSAPP_RATE_CARDS}).
 * @example
 * const prices = createWhatsAppPriceList({ markets: { '+7': { marketing: 900 } } });
 * prices.cardAt(Date.parse('2026-12-01')).validFrom; // '2026-10-01'
 */
export function createWhatsAppPriceList(setting: WhatsAppPricing | WhatsAppPricingSettings | undefined): WhatsAppPriceList {
  const plain = setting !== undefined && 'rates' in setting;
  const cards: WhatsAppRateCard[] = plain
    ? [{ ...(setting as WhatsAppPricing), validFrom: '1970-01-01', source: 'settings.pricing' }]
    : [...((setting as WhatsAppPricingSettings | undefined)?.cards ?? WHATSAPP_RATE_CARDS)];
  cards.sort((a, b) => (a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : 0));
  const markets = plain ? {} : ((setting as WhatsAppPricingSettings | undefined)?.markets ?? {});
  return {
    markets,
    cardAt(at) {
      const today = day(at);
      let chosen = cards[0] as WhatsAppRateCard;
      for (const card of cards) if (card.validFrom <= today) chosen = card;
      return chosen;
    },
  };
}

/** Who a message goes to, as far as pricing is concerned. */
export interface WhatsAppPricedRecipient {
  /** ISO 3166 alpha-2 country (from the phone number or the business-scoped user id). */
  country?: string | undefined;
  /** The number in E.164 (`+79161234567`) or as a `wa_id`, for calling-code market keys. */
  phone?: string | undefined;
}

/** The key of `table` that prices `recipient`: its country, else the longest calling-code prefix, else `default`. */
function marketKey(table: Record<string, unknown>, recipient: WhatsAppPricedRecipient): string | undefined {
  if (recipient.country && recipient.country in table) return recipient.country;
  const digits = recipient.phone?.replace(/\D/g, '');
  if (digits) {
    for (let length = Math.min(digits.length, 6); length >= 1; length -= 1) {
      const key = `+${digits.slice(0, length)}`;
      if (key in table) return key;
    }
  }
  return 'default' in table ? 'default' : undefined;
}

/** The price of one message of `category` to `recipient` under `card` and `markets` overrides, in minor units. */
function priceOf(
  card: WhatsAppPricing,
  markets: Record<string, WhatsAppRateOverride>,
  recipient: WhatsAppPricedRecipient,
  category: WhatsAppBillingCategory,
): number {
  const pick = (rate: WhatsAppRateOverride | undefined) => (category === 'service' ? rate?.service : rate?.[category]);
  const overrideKey = marketKey(markets, recipient);
  const override = overrideKey ? pick(markets[overrideKey]) : undefined;
  if (override !== undefined) return override;
  const key = marketKey(card.rates, recipient);
  return (key ? pick(card.rates[key]) : undefined) ?? 0;
}

/**
 * Price of one delivered message of `category` to a recipient in minor units (the `default` row for unlisted
 * markets). `recipient` may be a bare ISO country.
 * @example
 * whatsAppPrice(WHATSAPP_DEFAULT_PRICING, 'RU', 'marketing'); // 1200
 */
export function whatsAppPrice(
  pricing: WhatsAppPricing,
  recipient: string | WhatsAppPricedRecipient | undefined,
  category: WhatsAppBillingCategory,
  markets: Record<string, WhatsAppRateOverride> = {},
): number {
  return priceOf(pricing, markets, typeof recipient === 'string' ? { country: recipient } : (recipient ?? {}), category);
}

/** Inputs of {@link estimateWhatsAppCost}. */
export interface WhatsAppCostInput {
  content: MessageContent;
  /** Recipient country (ISO 3166 alpha-2), from the phone number. */
  country: string | undefined;
  /** Recipient number, for calling-code market keys. */
  phone?: string | undefined;
  /** Category of the template when `content` is one; unknown templates are priced as marketing (the dearest). */
  templateCategory?: WhatsAppTemplateCategory | undefined;
  /** Whether the customer-service window is open now. */
  windowOpen: boolean;
  /** A plain table, or a dated card (its `freeInsideWindow` then applies). */
  pricing: WhatsAppPricing | WhatsAppRateCard;
  /** Per-market overrides of the table's prices. */
  markets?: Record<string, WhatsAppRateOverride> | undefined;
  /** When the message goes out (ms): picks Meta's window rules. @default 1 Jul 2025 rules (service and utility free in the window) */
  at?: number | undefined;
}

/**
 * Per-message price. Marketing and authentication templates are charged by category and market everywhere. Inside
 * an open window, service (free-form) messages and utility templates are free until 30 Sep 2026 and charged from
 * 1 Oct 2026 (or as the card's `freeInsideWindow` says). Free-form outside the window cannot be sent at all.
 * @example
 * estimateWhatsAppCost({ content: { type: 'template', name: 'promo', language: 'ru' }, country: 'RU',
 *   templateCategory: 'marketing', windowOpen: false, pricing: WHATSAPP_RATE_CARDS[1] }).money; // { amountMinor: 1200, currency: 'RUB' }
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export function estimateWhatsAppCost(input: WhatsAppCostInput): CostEstimate {
  const { content, country, pricing, windowOpen } = input;
  const recipient = { country, phone: input.phone };
  const markets = input.markets ?? {};
  const where = country ?? 'unknown country';
  const free = (pricing as WhatsAppRateCard).freeInsideWindow ?? whatsAppWindowFreeCategories(input.at ?? Date.UTC(2025, 6, 1));
  const estimate = (amount: number, detail: string): CostEstimate => ({
    money: money(amount, pricing.currency),
    units: 1,
    unitName: 'message',
    detail,
  });
  if (content.type !== 'template') {
    if (!windowOpen) return estimate(0, 'free-form outside the window is refused');
    if (free.includes('service')) return estimate(0, 'service message inside the customer-service window is free');
    const amount = priceOf(pricing, markets, recipient, 'service');
    return estimate(amount, `1 service message to ${where} × ${amount} ${pricing.currency}/100`);
  }
  const category = input.templateCategory ?? 'marketing';
  const assumed = input.templateCategory ? '' : ' (unknown template, priced as marketing)';
  if (category === 'utility' && windowOpen && free.includes('utility'))
    return estimate(0, 'utility template inside an open window is free');
  const amount = priceOf(pricing, markets, recipient, category);
  return estimate(amount, `1 ${category} template to ${where} × ${amount} ${pricing.currency}/100${assumed}`);
}
