/**
 * The WhatsApp Business Cloud API channel: sending, 24 h window, templates, webhooks, pricing.
 *
 * @module @omnidealer/channel-whatsapp
 */
export {
  createWhatsAppChannel,
  type LoadWhatsAppTemplatesOptions,
  WHATSAPP_DEFAULT_RATE_LIMIT,
  type WhatsAppChannel,
  type WhatsAppChannelSettings,
} from './whatsapp-channel.js';
export { WHATSAPP_ERROR_CODES } from './whatsapp-error.js';
export { WHATSAPP_MEDIA_TYPES, type WhatsAppMediaUpload } from './whatsapp-media.js';
export {
  WHATSAPP_DEFAULT_PRICING,
  WHATSAPP_RATE_CARDS,
  WHATSAPP_WINDOW_CHARGED_FROM,
  type WhatsAppBillingCategory,
  type WhatsAppPricing,
  type WhatsAppPricingSettings,
  type WhatsAppRate,
  type WhatsAppRateCard,
  type WhatsAppRateOverride,
  type WhatsAppWindowFreeCategory,
  whatsAppWindowFreeCategories,
} from './whatsapp-pricing.js';
export type {
  WhatsAppTemplateCategory,
  WhatsAppTemplateDefinition,
  WhatsAppTemplateRegistry,
  WhatsAppTemplateStatus,
} from './whatsapp-template.js';
export { signWhatsAppWebhook, verifyWhatsAppSignature } from './whatsapp-webhook-signature.js';
export { WHATSAPP_WINDOW_MS, type WhatsAppWindowState, whatsAppWindow } from './whatsapp-window.js';
