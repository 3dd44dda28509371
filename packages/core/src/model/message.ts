import { z } from 'zod';
import { messageContentSchema } from './message-content.js';
import { messageStatusSchema } from './message-status.js';
import { moneySchema } from './money.js';

/** An error recorded on a failed message. */
export const messageErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  providerCode: z.union([z.string(), z.number()]).optional(),
  retryable: z.boolean().optional(),
  /** Why the recipient is unreachable, when that is the failure (`bounced`, `not_on_channel`, `opted_out`…). */
  reason: z.string().optional(),
});

/** One message in a conversation, in either direction, with its delivery status and cost. */
export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  contactId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  channel: z.string(),
  content: messageContentSchema,
  status: messageStatusSchema,
  providerMessageId: z.string().optional(),
  idempotencyKey: z.string().optional(),
  cost: moneySchema.optional(),
  error: messageErrorSchema.optional(),
  /** Provider message id this message replies to, and the inbound kind (e.g. `button_reply`). */
  replyTo: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  statusTimes: z.partialRecord(messageStatusSchema, z.number()).optional(),
  /**
   * When the hub first called the provider for this message. A durable store records it before the call, so after a
   * crash the outbox knows the provider may already have the message (see `Omnidealer.resumeOutbox`).
   */
  dispatchedAt: z.number().optional(),
});
export type Message = z.infer<typeof messageSchema>;
export type MessageError = z.infer<typeof messageErrorSchema>;
