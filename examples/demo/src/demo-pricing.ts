import type { CascadeState } from '@omnidealer/cascade';
import { countSegments } from '@omnidealer/channel-sms';
import type { WhatsAppPricing } from '@omnidealer/channel-whatsapp';
import { springSaleSms } from './spring-sale.js';

/** The WhatsApp price list of the demo: `marketingMinor` kopecks per marketing template. */
export const whatsAppPricingOf = (marketingMinor: number): WhatsAppPricing => ({
  currency: 'RUB',
  rates: { default: { marketing: marketingMinor, utility: 500, authentication: 500, service: 0 } },
});

/** Exact price of the contact's SMS text alone: segments × price per segment. */
export const smsOnlyMinor = (priceSegmentMinor: number) => (state: CascadeState) =>
  state.contact.phone === undefined ? undefined : countSegments(springSaleSms(state.contact)).segments * priceSegmentMinor;
