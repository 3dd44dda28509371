/**
 * The WhatsApp Business Cloud API channel: sending, 24 h window, templates, webhooks, pricing.
 *
 * @module @omnidealer/channel-whatsapp
 */
export {
  convertToWhatsAppMessage,
  validateWhatsAppContent,
  type WhatsAppMessageBody,
  whatsAppLimits,
} from './convert-to-whatsapp-message.js';
export {
  type WhatsAppError,
  type WhatsAppInboundMessage,
  type WhatsAppSendResponse,
  type WhatsAppStatus,
  type WhatsAppTemplateList,
  type WhatsAppWebhook,
  whatsAppChangeValueSchema,
  whatsAppErrorEnvelopeSchema,
  whatsAppErrorSchema,
  whatsAppInboundMessageSchema,
  whatsAppPricingSchema,
  whatsAppSendResponseSchema,
  whatsAppStatusSchema,
  whatsAppSuccessResponseSchema,
  whatsAppTemplateListSchema,
  whatsAppTemplateSchema,
  whatsAppTemplateStatusUpdateSchema,
  whatsAppWebhookSchema,
} from './whatsapp-api.js';
export {
  createWhatsAppChannel,
  defaultWhatsAppRateLimit,
  type LoadWhatsAppTemplatesOptions,
  type WhatsAppChannel,
  type WhatsAppChannelSettings,
} from './whatsapp-channel.js';
export {
  classifyWhatsAppError,
  classifyWhatsAppFailure,
  failureFromWhatsAppError,
  type WhatsAppFailure,
  whatsAppErrorCodes,
} from './whatsapp-error.js';
export {
  type WhatsAppMediaUpload,
  whatsAppMediaForm,
  whatsAppMediaKind,
  whatsAppMediaTypes,
  whatsAppMediaUploadResponseSchema,
} from './whatsapp-media.js';
export {
  defaultWhatsAppPricing,
  estimateWhatsAppCost,
  type WhatsAppBillingCategory,
  type WhatsAppCostInput,
  type WhatsAppPricing,
  type WhatsAppRate,
  whatsAppPrice,
} from './whatsapp-pricing.js';
export {
  createWhatsAppTemplateRegistry,
  templatesFromWhatsAppList,
  toWhatsAppTemplate,
  validateWhatsAppTemplate,
  type WhatsAppTemplateCategory,
  type WhatsAppTemplateComponent,
  type WhatsAppTemplateDefinition,
  type WhatsAppTemplateParameter,
  type WhatsAppTemplatePayload,
  type WhatsAppTemplateRegistry,
  type WhatsAppTemplateStatus,
  whatsAppTemplateDefinitionSchema,
} from './whatsapp-template.js';
export {
  answerWhatsAppVerification,
  parseWhatsAppWebhook,
  signWhatsAppWebhook,
  verifyWhatsAppSignature,
  type WhatsAppTemplateStatusUpdate,
  type WhatsAppWebhookOptions,
} from './whatsapp-webhook.js';
export { canReachOnWhatsApp, type WhatsAppWindowState, whatsAppWindow, whatsAppWindowMs } from './whatsapp-window.js';
