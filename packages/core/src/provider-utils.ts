/**
 * What channel and store authors need: the HTTP client, input parsing,
 * settings (`loadSetting`, the rate-limit schema), secret registries and redaction, media download, retries, the
 * long-polling loop, and the model's building blocks. Applications import `@omnidealer/core`.
 *
 * @module @omnidealer/core/provider-utils
 */
export type {
  IdentityEvent,
  MarkReadOptions,
  OutboundMessage,
  ReachContext,
  ReachFailureReason,
  SendResult,
  WebhookClaim,
  WebhookRequest,
} from './channel.js';
export { systemClock } from './clock.js';
export type { ChannelApiErrorOptions } from './errors/channel-api-error.js';
export type { OmnidealerErrorOptions } from './errors/omnidealer-error.js';
export type { ConsentSource, FrequencyClaim, HandOffInput, MailingRecord } from './hub.js';
export { createId } from './id.js';
export {
  createRedactingLogger,
  type LogFields,
  type RedactingLogger,
  type RedactingLogMethod,
  silentLogger,
} from './logger.js';
export { type Consent, consentSchema, phoneSchema } from './model/contact.js';
export { addressLookupKeys, chatIdentityOf, contactAddresses } from './model/contact-addresses.js';
export {
  type Assignment,
  assignmentSchema,
  conversationSchema,
  type HandOff,
  handlerSchema,
  handOffSchema,
} from './model/conversation.js';
export { type MessageError, messageErrorSchema, messageSchema } from './model/message.js';
export {
  contentToPlainText,
  type EmailContent,
  emailContentSchema,
  type InteractiveContent,
  interactiveContentSchema,
  type LocationContent,
  locationContentSchema,
  type MediaContent,
  type MediaKind,
  mediaContentSchema,
  mediaKindSchema,
  type ReactionContent,
  reactionContentSchema,
  type TemplateContent,
  type TemplateParameter,
  type TextContent,
  templateContentSchema,
  templateParameterSchema,
  textContentSchema,
} from './model/message-content.js';
export { canTransition, messageStatusSchema } from './model/message-status.js';
export { money, moneySchema } from './model/money.js';
export { type PerMessagePrice, perMessageCost, perMessagePriceSchema } from './model/per-message-price.js';
export { isMobilePhone, normalizePhone, phoneCountry } from './model/phone.js';
export { isPrivateAddress, isPrivateUrl } from './model/public-url.js';
export { createSecretRegistry, maskEmail, maskPhone, redact, redactValue, type SecretRegistry } from './redact.js';
export {
  createHttpClient,
  defaultErrorClassifier,
  type ErrorClassifier,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  parseRetryAfter,
} from './runtime/http-client.js';
export {
  type ChannelPollerOptions,
  createLongPoller,
  type LongPollBackoff,
  type LongPollBatch,
  type LongPoller,
  type LongPollerOptions,
  type LongPollFetchContext,
  type PollingLoop,
} from './runtime/long-poller.js';
export { type DownloadedMedia, downloadMedia, type MediaDownloadOptions } from './runtime/media-download.js';
export {
  createRateLimiter,
  type InProcessRateLimiterOptions,
  type RateLimiter,
  type RateLimiterFactory,
  type RateLimiterOptions,
} from './runtime/rate-limiter.js';
export { type RetryOptions, retryAfterOf, withRetry } from './runtime/retry.js';
export { type LoadSettingOptions, loadSetting } from './settings/load-setting.js';
export { rateLimitSettingsSchema } from './settings/rate-limit-settings-schema.js';
export { computeSlaReport, type ResponseFigures, type ResponseRecord, responderOf } from './sla.js';
export {
  type JsonColumns,
  jobPayloadSchema,
  jobStatusSchema,
  jsonColumns,
  jsonValueSchema,
} from './store/json-column.js';
export type { MemoryStoreOptions } from './store/memory-store.js';
export type { ConversationQuery } from './store/store.js';
export { timeZoneOffsetMs } from './time-zone-offset.js';
export { parseInput } from './validation.js';
export {
  createIgnoredUpdatesCounter,
  type IgnoredUpdates,
  type IgnoredUpdatesCounter,
} from './webhook/ignored-updates.js';
export { toWebRequest, writeWebResponse } from './webhook/node-adapter.js';
export { timingSafeEqualStrings } from './webhook/timing-safe-equal-strings.js';
export { workingTimeMs } from './working-time.js';
