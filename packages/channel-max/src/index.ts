/**
 * The MAX messenger (VK) Bot API channel: reply-only dialogs with a bot, webhooks and long polling.
 *
 * @module @omnidealer/channel-max
 */
export {
  convertToMaxMessage,
  MAX_BUTTON_PAYLOAD_LIMIT,
  MAX_TEXT_LIMIT,
  type MaxAttachmentRequest,
  type MaxMessagePlan,
  type MaxNewMessageBody,
} from './convert-to-max-message.js';
export {
  createMaxChannel,
  MAX_DEFAULT_RATE_LIMIT,
  type MaxChannel,
  type MaxChannelSettings,
  type MaxIgnoredUpdates,
  maxUserIdOf,
} from './max-channel.js';
export { createMaxClient, MAX_BASE_URL, MAX_HANDLED_UPDATE_TYPES, type MaxClient, type MaxClientOptions } from './max-client.js';
export { MAX_START_PAYLOAD_LIMIT, maxDeepLink } from './max-deep-link.js';
export { classifyMaxError, type MaxErrorResponse } from './max-error.js';
export { createMaxPoller, type MaxPoller, type MaxPollerOptions } from './max-poller.js';
export { MAX_SECRET_HEADER, type MaxIgnoredReason, type ParseMaxWebhookOptions, parseMaxWebhook } from './max-webhook.js';
