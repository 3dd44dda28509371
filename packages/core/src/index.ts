/**
 * The hub, the channel contract, the model, errors and the store interface, for applications. Channel and store
 * authors also import `@omnidealer/core/provider-utils`; tests import `@omnidealer/core/test`.
 *
 * @module @omnidealer/core
 */
export type {
  Channel,
  ChannelCapabilities,
  ChannelRateLimit,
  InboundEvent,
  Reachability,
  StatusEvent,
  WebhookResult,
} from './channel.js';
export { type Clock, createManualClock, type ManualClock } from './clock.js';
export { AuthError } from './errors/auth-error.js';
export { ChannelApiError } from './errors/channel-api-error.js';
export { FrequencyCapError } from './errors/frequency-cap-error.js';
export { type ErrorCode, OmnidealerError } from './errors/omnidealer-error.js';
export { RateLimitError } from './errors/rate-limit-error.js';
export { type UnreachableReason, UnreachableRecipientError } from './errors/unreachable-recipient-error.js';
export { ValidationError } from './errors/validation-error.js';
export { WebhookError } from './errors/webhook-error.js';
export { WindowClosedError } from './errors/window-closed-error.js';
export type { HubEvents } from './events.js';
export {
  type AssignInput,
  type ConsentChange,
  createOmnidealer,
  type FrequencyCap,
  type InviteLink,
  type Omnidealer,
  type OmnidealerOptions,
  type OptOutOptions,
  type ReachStats,
  type ResumeOutboxOptions,
  type SendInput,
} from './hub.js';
export type { Logger } from './logger.js';
export type { Branch, BranchInput, WorkingHours } from './model/branch.js';
export { type Contact, type ContactInput, contactSchema } from './model/contact.js';
export type { Conversation } from './model/conversation.js';
export type { Message } from './model/message.js';
export { type MessageContent, type MessageContentInput, messageContentSchema } from './model/message-content.js';
export type { MessageStatus } from './model/message-status.js';
export type { CostEstimate, Money } from './model/money.js';
export { type ResponseTimer, responseTimer, type SlaReport } from './sla.js';
export { createMemoryStore } from './store/memory-store.js';
export type { ScheduledJob, Store } from './store/store.js';
export { createNodeWebhookHandler } from './webhook/node-adapter.js';
export {
  createNodeWebhookRouter,
  type NodeRequestHandler,
  startWebhookServer,
  type WebhookServer,
  type WebhookServerOptions,
} from './webhook/webhook-server.js';
