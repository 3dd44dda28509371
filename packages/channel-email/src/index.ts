/**
 * E-mail over real SMTP (nodemailer) with Amazon SES bounce/complaint webhooks.
 *
 * @module @omnidealer/channel-email
 */
export type { EmailAddress, EmailAddressInput } from './email-address.js';
export {
  confirmSnsSubscription,
  type SesNotification,
  type SesWebhookContext,
  type SesWebhookOptions,
  type SnsSubscriptionConfirmation,
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
  SMTP_URL_ENVIRONMENT_VARIABLE,
  type SmtpAuth,
  type SmtpTransportOptions,
} from './email-channel.js';
export type { SmtpErrorDetails } from './email-error.js';
export type { EmailTemplate, EmailTemplates } from './email-template.js';
export type { SnsCertificateFetcher } from './sns-signature.js';
