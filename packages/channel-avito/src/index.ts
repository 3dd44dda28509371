/**
 * The Avito Messenger channel (reply-only chats about listings) and a typed Avito API client.
 *
 * @module @omnidealer/channel-avito
 */
export {
  type AvitoChatWire,
  type AvitoMessageWire,
  type AvitoWebhookMessageWire,
  avitoChatSchema,
  avitoMessageSchema,
  avitoWebhookEventSchema,
  avitoWebhookMessageSchema,
} from './avito-api.js';
export { AVITO_DEFAULT_RATE_LIMIT, type AvitoChannel, type AvitoChannelSettings, createAvitoChannel } from './avito-channel.js';
export {
  AVITO_BASE_URL,
  AVITO_MAX_TEXT_LENGTH,
  type AvitoChat,
  type AvitoChatUser,
  type AvitoClient,
  type AvitoClientOptions,
  type AvitoImageUpload,
  type AvitoListing,
  type AvitoMessage,
  type AvitoSentMessage,
  type AvitoUploadedImage,
  type AvitoWebhookSubscription,
  createAvitoClient,
  type ListChatsOptions,
  type ListMessagesOptions,
  type RequestOptions,
} from './avito-client.js';
export { type AvitoErrorResponse, type AvitoRequestScope, classifyAvitoError } from './avito-error.js';
export { type AvitoTokenProvider, type AvitoTokenProviderOptions, createAvitoTokenProvider } from './avito-token.js';
export {
  type AvitoIgnoredReason,
  hasAvitoWebhookSecret,
  type ParseAvitoWebhookOptions,
  parseAvitoWebhook,
} from './avito-webhook.js';
