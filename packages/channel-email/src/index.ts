/**
 * E-mail over real SMTP (nodemailer) with Amazon SES bounce/complaint webhooks.
 *
 * @module @omnidealer/channel-email
 */
export {
  type ConvertToEmailMessageOptions,
  convertToEmailMessage,
  type EmailAttachment,
  type EmailMessage,
} from './convert-to-email-message.js';
export {
  assertHeaderSafe,
  type EmailAddress,
  type EmailAddressInput,
  emailDomain,
  parseEmailAddress,
  validateEmailAddress,
} from './email-address.js';
export {
  confirmSnsSubscription,
  parseSesWebhook,
  type SesNotification,
  type SesWebhookContext,
  type SesWebhookOptions,
  type SnsSubscriptionConfirmation,
  sesNotificationSchema,
  sesNotificationToEvents,
  snsEnvelopeSchema,
} from './email-bounce-webhook.js';
export {
  createEmailChannel,
  type DkimOptions,
  type EmailChannel,
  type EmailChannelSettings,
  type EmailPricing,
  type EmailSendAttachment,
  type EmailSendInfo,
  type EmailSendOptions,
  type EmailSuppressionList,
  type EmailTransporter,
  type SmtpAuth,
  type SmtpTransportOptions,
  smtpUrlEnvironmentVariable,
} from './email-channel.js';
export { classifyEmailError, type SmtpErrorDetails, smtpErrorDetails } from './email-error.js';
export { createMessageId, normalizeMessageId } from './email-message-id.js';
export {
  type EmailTemplate,
  type EmailTemplates,
  findEmailTemplate,
  type RenderedEmailTemplate,
  renderEmailTemplate,
} from './email-template.js';
export type { SnsCertificateFetcher } from './sns-signature.js';
