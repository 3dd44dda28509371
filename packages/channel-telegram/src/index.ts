/**
 * The Telegram Bot API channel: reply-only dialogs with a bot, inline keyboards, webhooks and long polling.
 *
 * @module @omnidealer/channel-telegram
 */
export {
  type ConvertToTelegramMessageOptions,
  convertToTelegramMessage,
  TELEGRAM_CALLBACK_DATA_LIMIT,
  TELEGRAM_CAPTION_LIMIT,
  TELEGRAM_TEXT_LIMIT,
  type TelegramMessagePlan,
  type TelegramParseMode,
} from './convert-to-telegram-message.js';
export { TELEGRAM_HANDLED_UPDATE_TYPES } from './telegram-api.js';
export {
  createTelegramChannel,
  TELEGRAM_DEFAULT_RATE_LIMIT,
  type TelegramChannel,
  type TelegramChannelSettings,
  type TelegramIgnoredUpdates,
  telegramChatIdOf,
} from './telegram-channel.js';
export {
  createTelegramClient,
  TELEGRAM_BASE_URL,
  type TelegramClient,
  type TelegramClientOptions,
  type TelegramRequestOptions,
} from './telegram-client.js';
export { TELEGRAM_START_PAYLOAD_LIMIT, telegramDeepLink } from './telegram-deep-link.js';
export { classifyTelegramError, type TelegramErrorResponse } from './telegram-error.js';
export { createTelegramPoller, type TelegramPoller, type TelegramPollerOptions } from './telegram-poller.js';
export {
  type ParseTelegramWebhookOptions,
  parseTelegramWebhook,
  TELEGRAM_SECRET_HEADER,
  type TelegramIgnoredReason,
} from './telegram-webhook.js';
