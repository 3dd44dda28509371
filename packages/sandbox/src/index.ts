/**
 * Local WhatsApp, Avito, MAX, Telegram, VK, SMS.ru, SMSC.ru, Twilio and SMTP providers that speak the real wire formats, for tests
 * and demos.
 *
 * @module @omnidealer/sandbox
 */
export { type AcceleratedClock, createAcceleratedClock } from './accelerated-clock.js';
export type { AvitoItem } from './avito-catalog.js';
export type {
  AvitoChatInput,
  AvitoInboundInput,
  AvitoInboundResult,
  AvitoSandbox,
  AvitoSandboxChat,
  AvitoSandboxMessage,
} from './avito-sandbox.js';
export type { MaxSandbox, MaxSandboxUser, MaxSentMessage, MaxUpdateResult, MaxUserInput } from './max-sandbox.js';
export { createSeededRandom, hashString, mulberry32, type SeededRandom } from './random.js';
export {
  type Sandbox,
  type SandboxUrls,
  type SandboxWebhookTargets,
  type StartSandboxOptions,
  startSandbox,
} from './sandbox.js';
export {
  type AvitoBehaviour,
  type FaultRule,
  faultRuleSchema,
  type ResolvedFaultRule,
  type ResolvedSandboxBehaviour,
  type SandboxBehaviour,
  type SandboxProvider,
  type SmsBehaviour,
  type SmsOutcome,
  type SmtpBehaviour,
  sandboxBehaviourSchema,
  type WhatsAppBehaviour,
  type WhatsAppOutcome,
  type WhatsAppTemplateInput,
} from './sandbox-behaviour.js';
export type {
  AvitoSandboxCredentials,
  MaxSandboxCredentials,
  SandboxCredentials,
  SandboxCredentialsInput,
  SmscSandboxCredentials,
  SmsRuSandboxCredentials,
  SmtpSandboxCredentials,
  TwilioSandboxCredentials,
  VkSandboxCredentials,
  WhatsAppSandboxCredentials,
} from './sandbox-credentials.js';
export type {
  InboundSentEvent,
  MailBouncedEvent,
  MailReceivedEvent,
  MessageAcceptedEvent,
  MessageStatusEvent,
  RequestEvent,
  SandboxEventName,
  SandboxEvents,
  WebhookDeliveryEvent,
} from './sandbox-events.js';
export type { SandboxTimers } from './sandbox-scheduler.js';
export type {
  AvitoSandboxStats,
  MaxSandboxStats,
  ProviderTrafficStats,
  SandboxStats,
  SmsSandboxStats,
  SmtpSandboxStats,
  VkSandboxStats,
  WhatsAppSandboxStats,
} from './sandbox-stats.js';
export { type SeedContactsOptions, seedContacts } from './seed-contacts.js';
export { type SmsRuSandbox, type SmsRuSentMessage, smsRuStatusTexts } from './sms-ru-sandbox.js';
export type { SmscSandbox, SmscSentMessage } from './smsc-sandbox.js';
export type { ReceivedMail, SmtpSandbox } from './smtp-sandbox.js';
export type {
  TelegramSandbox,
  TelegramSandboxUser,
  TelegramSentMessage,
  TelegramUpdateResult,
  TelegramUserInput,
} from './telegram-sandbox.js';
export type { TelegramSandboxCredentials, TelegramSandboxStats } from './telegram-sandbox-credentials.js';
export {
  signTwilioRequest,
  type TwilioInboundInput,
  type TwilioInboundResult,
  type TwilioSandbox,
  type TwilioSentMessage,
} from './twilio-sandbox.js';
export type { VkEventResult, VkSandbox, VkSandboxUpload, VkSandboxUser, VkSentMessage } from './vk-sandbox.js';
export { signWhatsAppPayload } from './whatsapp-payloads.js';
export type {
  WebhookVerification,
  WhatsAppInboundInput,
  WhatsAppInboundResult,
  WhatsAppSandbox,
  WhatsAppSentMessage,
} from './whatsapp-sandbox.js';
