/** @module @omnidealer/core — the model, channel contract, runtime, store and hub every omnidealer package builds on. */
export { AuthError } from './errors/auth-error.js';
export { OmnidealerError, type ErrorCode, type OmnidealerErrorOptions } from './errors/omnidealer-error.js';
export { ProviderError } from './errors/provider-error.js';
export { RateLimitError } from './errors/rate-limit-error.js';
export { UnreachableRecipientError, type UnreachableReason } from './errors/unreachable-recipient-error.js';
export { ValidationError } from './errors/validation-error.js';
export { WebhookError } from './errors/webhook-error.js';
export { WindowClosedError } from './errors/window-closed-error.js';
export { canTransition, messageStatusSchema, type MessageStatus } from './model/message-status.js';
