/**
 * The model, channel contract, runtime, store and hub every omnidealer package builds on.
 *
 * @module @omnidealer/core
 */
export type {
  Channel,
  ChannelCapabilities,
  ChannelRateLimit,
  IdentityEvent,
  InboundEvent,
  OutboundMessage,
  Reachability,
  ReachContext,
  ReachFailureReason,
  SendResult,
  StatusEvent,
  WebhookRequest,
  WebhookResult,
} from './channel.js';
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock.js';
export { AuthError } from './errors/auth-error.js';
export { FrequencyCapError } from './errors/frequency-cap-error.js';
export { type ErrorCode, OmnidealerError, type OmnidealerErrorOptions } from './errors/omnidealer-error.js';
export { ProviderError } from './errors/provider-error.js';
export { RateLimitError } from './errors/rate-limit-error.js';
export { type UnreachableReason, UnreachableRecipientError } from './errors/unreachable-recipient-error.js';
export { ValidationError } from './errors/validation-error.js';
export { WebhookError } from './errors/webhook-error.js';
export { WindowClosedError } from './errors/window-closed-error.js';
export type { HubEvents } from './events.js';
export {
  type AssignInput,
  type ConsentChange,
  type ConsentSource,
  createOmnidealer,
  type FrequencyCap,
  type FrequencyClaim,
  type InviteLink,
  type MailingRecord,
  type Omnidealer,
  type OmnidealerOptions,
  type OptOutOptions,
  type ReachStats,
  type ResumeOutboxOptions,
  type SendInput,
} from './hub.js';
export { createId } from './id.js';
export {
  createRedactingLogger,
  type LogFields,
  type Logger,
  type RedactingLogger,
  type RedactingLogMethod,
  silentLogger,
} from './logger.js';
export { type Consent, type Contact, type ContactInput, consentSchema, contactSchema, phoneSchema } from './model/contact.js';
export { type Assignment, assignmentSchema, type Conversation, conversationSchema, handlerSchema } from './model/conversation.js';
export { type Message, type MessageError, messageErrorSchema, messageSchema } from './model/message.js';
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
  type MessageContent,
  type MessageContentInput,
  mediaContentSchema,
  mediaKindSchema,
  messageContentSchema,
  type ReactionContent,
  reactionContentSchema,
  type TemplateContent,
  type TemplateParameter,
  type TextContent,
  templateContentSchema,
  templateParameterSchema,
  textContentSchema,
} from './model/message-content.js';
export { canTransition, type MessageStatus, messageStatusSchema } from './model/message-status.js';
export { type CostEstimate, type Money, money, moneySchema } from './model/money.js';
export { isMobilePhone, normalizePhone, phoneCountry } from './model/phone.js';
export { isPrivateAddress, isPrivateUrl } from './model/public-url.js';
export { maskEmail, maskPhone, redact, redactValue, registerSecret } from './redact.js';
export {
  createHttpClient,
  defaultErrorClassifier,
  type ErrorClassifier,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  parseRetryAfter,
} from './runtime/http-client.js';
export { type DownloadedMedia, downloadMedia, type MediaDownloadOptions } from './runtime/media-download.js';
export {
  createRateLimiter,
  type InProcessRateLimiterOptions,
  type RateLimiter,
  type RateLimiterFactory,
  type RateLimiterOptions,
} from './runtime/rate-limiter.js';
export { type RetryOptions, retryAfterOf, withRetry } from './runtime/retry.js';
export {
  computeSlaReport,
  type ResponseFigures,
  type ResponseRecord,
  type ResponseTimer,
  responderOf,
  responseTimer,
  type SlaReport,
} from './sla.js';
export { createMemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { ConversationQuery, ScheduledJob, Store } from './store/store.js';
export { createTestChannel, type TestChannel, type TestChannelOptions } from './test-channel.js';
export { parseInput } from './validation.js';
export { createNodeWebhookHandler, toWebRequest, writeWebResponse } from './webhook/node-adapter.js';
export { timingSafeEqualStrings } from './webhook/timing-safe-equal-strings.js';
export {
  createNodeWebhookRouter,
  type NodeRequestHandler,
  startWebhookServer,
  type WebhookServer,
  type WebhookServerOptions,
} from './webhook/webhook-server.js';
