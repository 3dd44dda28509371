/**
 * The Avito Messenger channel (reply-only chats about listings) and a typed Avito API client.
 *
 * @module @omnidealer/channel-avito
 */
export type { AvitoChatWire, AvitoMessageWire } from './avito-api.js';
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
export type { AvitoTokenProvider } from './avito-token.js';
