/**
 * The VK (ВКонтакте) community messages channel: reply-only dialogs with a community, the Callback API and Bots Long Poll.
 *
 * @module @omnidealer/channel-vk
 */
export { convertToVkMessage, VK_TEXT_LIMIT, type VkButtonType, type VkSendParams } from './convert-to-vk-message.js';
export type { VkApiErrorWire } from './vk-api.js';
export {
  createVkChannel,
  VK_DEFAULT_RATE_LIMIT,
  type VkChannel,
  type VkChannelSettings,
  type VkIgnoredEvents,
  vkRandomId,
  vkUserIdOf,
} from './vk-channel.js';
export {
  createVkClient,
  VK_API_VERSION,
  VK_BASE_URL,
  type VkClient,
  type VkClientOptions,
  type VkLongPollServer,
  type VkUploadFile,
} from './vk-client.js';
export { VK_REF_LIMIT, vkDeepLink } from './vk-deep-link.js';
export { classifyVkError } from './vk-error.js';
export { createVkPoller, type VkPoller, type VkPollerOptions } from './vk-poller.js';
export { type ParseVkWebhookOptions, parseVkWebhook, type VkIgnoredReason } from './vk-webhook.js';
