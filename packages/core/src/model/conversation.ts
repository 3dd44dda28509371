import { z } from 'zod';

/** Who handles a conversation right now. */
export const handlerSchema = z.enum(['bot', 'operator']);

/** One entry of a conversation's assignment history: kept forever, so a hand-off never loses context. */
export const assignmentSchema = z.object({
  at: z.number(),
  assignee: z.string().optional(),
  department: z.string().optional(),
  handler: handlerSchema,
  by: z.string().optional(),
  note: z.string().optional(),
});

/**
 * One move of a conversation to another branch (`hub.handOff`): kept forever beside the assignments.
 * `from` is absent when the conversation belonged to the whole group.
 */
export const handOffSchema = z.object({
  at: z.number(),
  from: z.string().optional(),
  to: z.string(),
  operatorId: z.string().optional(),
  by: z.string().optional(),
  note: z.string().optional(),
});

/**
 * A thread with one contact on one channel. `lastInboundAt` drives the WhatsApp 24 h window; `firstResponseMs`
 * is the time from the first inbound message to our first reply.
 */
export const conversationSchema = z.object({
  id: z.string(),
  contactId: z.string(),
  channel: z.string(),
  /**
   * The branch the conversation belongs to: its channel's branch when it opened, another after a hand-off. Absent
   * for a conversation of the whole group (a channel bound to no branch).
   */
  branchId: z.string().optional(),
  /** Where the conversation was handed off between branches, oldest first. */
  handOffs: z.array(handOffSchema).optional(),
  /** Provider thread id where one exists (Avito chat id). */
  externalId: z.string().optional(),
  status: z.enum(['open', 'closed']),
  assignee: z.string().optional(),
  department: z.string().optional(),
  handler: handlerSchema,
  assignments: z.array(assignmentSchema),
  unreadCount: z.number().int().nonnegative(),
  lastInboundAt: z.number().optional(),
  lastOutboundAt: z.number().optional(),
  firstInboundAt: z.number().optional(),
  firstResponseMs: z.number().optional(),
  /** When the oldest inbound message still without a reply arrived; cleared by our next reply (live SLA timer). */
  awaitingReplySince: z.number().optional(),
  /** What the conversation is about, e.g. the Avito listing `{ itemId, title, price, url }`. */
  subject: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Conversation = z.infer<typeof conversationSchema>;
export type Assignment = z.infer<typeof assignmentSchema>;
/** One move of a conversation between branches, as kept in `Conversation.handOffs`. */
export type HandOff = z.infer<typeof handOffSchema>;
