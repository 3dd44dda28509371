import type { CostEstimate, MessageContent } from '@omnidealer/core';
import { money } from '@omnidealer/core/provider-utils';
import type { WhatsAppTemplateCategory } from './whatsapp-template.js';

/** Prices of one country in minor units per delivered message. */
export interface WhatsAppRate {
  marketing: number;
  utility: number;
  authentication: number;
  /** Free-form (service) messages. @default 0 — they are free inside the window */
  service?: number;
}

/** The price table: per ISO 3166 country (`RU`), with `default` for every other country. */
export interface WhatsAppPricing {
  /** ISO 4217 currency of every amount in the table. */
  currency: string;
  rates: Record<string, WhatsAppRate> & { default?: WhatsAppRate };
}

/**
 * An EXAMPLE price table in kopecks, not Meta's rate card: 12 ₽ per marketing message in Russia (the figure a
 * dealer paid a BSP in 2024), utility and authentication at 5 ₽ (about Meta's marketing:utility ratio of 2:1 for
 * Russia). Replace it with your BSP's or Meta's current prices via the `pricing` setting.
 * @see https://developers.facebook.com/docs/whatsapp/pricing
 */
export const WHATSAPP_DEFAULT_PRICING: WhatsAppPricing = {
  currency: 'RUB',
  rates: {
    RU: { marketing: 1200, utility: 500, authentication: 500, service: 0 },
    default: { marketing: 1200, utility: 500, authentication: 500, service: 0 },
  },
};

/** What a message is billed as: a template category or `service` (free-form). */
export type WhatsAppBillingCategory = WhatsAppTemplateCategory | 'service';

/** Price of one delivered message of `category` to `country` in minor units (the `default` row for unlisted countries). */
export function whatsAppPrice(pricing: WhatsAppPricing, country: string | undefined, category: WhatsAppBillingCategory): number {
  const rate = (country ? pricing.rates[country] : undefined) ?? pricing.rates.default;
  if (!rate) return 0;
  return category === 'service' ? (rate.service ?? 0) : rate[category];
}

/** Inputs of {@link estimateWhatsAppCost}. */
export interface WhatsAppCostInput {
  content: MessageContent;
  /** Recipient country (ISO 3166 alpha-2), from the phone number. */
  country: string | undefined;
  /** Category of the template when `content` is one; unknown templates are priced as marketing (the dearest). */
  templateCategory?: WhatsAppTemplateCategory | undefined;
  /** Whether the customer-service window is open now. */
  windowOpen: boolean;
  pricing: WhatsAppPricing;
}

/**
 * Per-message price: free-form (service) messages inside the window are free; utility templates inside an open
 * window are free; marketing and authentication templates are charged by category and country everywhere.
 * @example
 * estimateWhatsAppCost({ content: { type: 'template', name: 'promo', language: 'ru' }, country: 'RU',
 *   templateCategory: 'marketing', windowOpen: false, pricing: WHATSAPP_DEFAULT_PRICING }).money; // { amountMinor: 1200, currency: 'RUB' }
 * @see https://developers.facebook.com/docs/whatsapp/pricing
 */
export function estimateWhatsAppCost(input: WhatsAppCostInput): CostEstimate {
  const { content, country, pricing, windowOpen } = input;
  const where = country ?? 'unknown country';
  if (content.type !== 'template') {
    const amount = windowOpen ? whatsAppPrice(pricing, country, 'service') : 0;
    return {
      money: money(amount, pricing.currency),
      units: 1,
      unitName: 'message',
      detail: windowOpen ? 'service message inside the customer-service window' : 'free-form outside the window is refused',
    };
  }
  const category = input.templateCategory ?? 'marketing';
  const assumed = input.templateCategory ? '' : ' (unknown template, priced as marketing)';
  if (category === 'utility' && windowOpen) {
    return {
      money: money(0, pricing.currency),
      units: 1,
      unitName: 'message',
      detail: 'utility template inside an open window is free',
    };
  }
  const amount = whatsAppPrice(pricing, country, category);
  return {
    money: money(amount, pricing.currency),
    units: 1,
    unitName: 'message',
    detail: `1 ${category} template to ${where} × ${amount} ${pricing.currency}/100${assumed}`,
  };
}
