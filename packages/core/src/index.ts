/** @module @omnidealer/core — the model, channel contract, runtime, store and hub every omnidealer package builds on. */
export type {
  Channel,
  ChannelCapabilities,
  ChannelRateLimit,
  InboundEvent,
  OutboundMessage,
  ReachContext,
  ReachFailureReason,
  Reachability,
  SendResult,
  StatusEvent,
  WebhookRequest,
  WebhookResult,
} from './channel.js';
export { createManualClock, systemClock, type Clock, type ManualClock } from './clock.js';
export { AuthError } from './errors/auth-error.js';
export { OmnidealerError, type ErrorCode, type OmnidealerErrorOptions } from './errors/omnidealer-error.js';
export { ProviderError } from './errors/provider-error.js';
export { RateLimitError } from './errors/rate-limit-error.js';
export { UnreachableRecipientError, type UnreachableReason } from './errors/unreachable-recipient-error.js';
export { ValidationError } from './errors/validation-error.js';
export { WebhookError } from './errors/webhook-error.js';
export { WindowClosedError } from './errors/window-closed-error.js';
export type { HubEvents } from './events.js';
export { createOmnidealer, type AssignInput, type Omnidealer, type OmnidealerOptions, type ReachStats, type SendInput } from './hub.js';
export { createId } from './id.js';
export { createRedactingLogger, silentLogger, type Logger } from './logger.js';
export { consentSchema, contactSchema, phoneSchema, type Consent, type Contact, type ContactInput } from './model/contact.js';
export { assignmentSchema, conversationSchema, handlerSchema, type Assignment, type Conversation } from './model/conversation.js';
export {
  contentToPlainText,
  emailContentSchema,
  interactiveContentSchema,
  locationContentSchema,
  mediaContentSchema,
  mediaKindSchema,
  messageContentSchema,
  reactionContentSchema,
  templateContentSchema,
  templateParameterSchema,
  textContentSchema,
  type EmailContent,
  type InteractiveContent,
  type LocationContent,
  type MediaContent,
  type MediaKind,
  type MessageContent,
  type MessageContentInput,
  type ReactionContent,
  type TemplateContent,
  type TemplateParameter,
  type TextContent,
} from './model/message-content.js';
export { canTransition, messageStatusSchema, type MessageStatus } from './model/message-status.js';
export { messageErrorSchema, messageSchema, type Message, type MessageError } from './model/message.js';
export { money, moneySchema, type CostEstimate, type Money } from './model/money.js';
export { isMobilePhone, normalizePhone, phoneCountry } from './model/phone.js';
export { maskEmail, maskPhone, redact, redactValue, registerSecret } from './redact.js';
export {
  createHttpClient,
  defaultErrorClassifier,
  parseRetryAfter,
  type ErrorClassifier,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
} from './runtime/http-client.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './runtime/rate-limiter.js';
export { retryAfterOf, withRetry, type RetryOptions } from './runtime/retry.js';
export { createMemoryStore } from './store/memory-store.js';
export type { ConversationQuery, ScheduledJob, Store } from './store/store.js';
export { createTestChannel, type TestChannel, type TestChannelOptions } from './test-channel.js';
export { parseInput } from './validation.js';
export { createNodeWebhookHandler, toWebRequest, writeWebResponse } from './webhook/node-adapter.js';
