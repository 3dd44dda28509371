import { z } from 'zod';
import type { Channel, MarkReadOptions } from '../channel.js';
import { ValidationError } from '../errors/validation-error.js';
import { createId } from '../id.js';
import type { Assignment, Conversation } from '../model/conversation.js';
import { withRetry } from '../runtime/retry.js';
import { parseInput } from '../validation.js';
import { channelOf, conversationKey, type HubContext, limiterOf } from './context.js';
import { holding } from './key-locks.js';
import type { AssignInput } from './types.js';

const assignInputSchema = z
  .object({
    assignee: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    handler: z.enum(['bot', 'operator']).optional(),
    by: z.string().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** A new open conversation of a contact on a channel, handled by the bot until someone takes it. */
export function newConversation(channel: Channel, contactId: string, now: number, externalId?: string): Conversation {
  return {
    id: createId('conv'),
    contactId,
    channel: channel.id,
    ...(externalId ? { externalId } : {}),
    status: 'open',
    handler: 'bot',
    assignments: [],
    unreadCount: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Reads a conversation again, changes it and saves it under its contact-and-channel lock, so the update after a send,
 * an operator's action and an inbound message never overwrite each other's change. `known` is a copy read earlier,
 * which gives the lock's key (and stands in if the store has lost the record).
 */
export async function rewriteConversation(
  hub: HubContext,
  known: Conversation,
  change: (current: Conversation) => Conversation,
): Promise<{ current: Conversation; updated: Conversation }> {
  return holding(hub.locks.conversations, conversationKey(known.channel, known.contactId), async () => {
    let current = known;
    const updated = await hub.atomic.updateConversation(known.id, (stored = known) => {
      current = stored;
      return change(stored);
    });
    return { current, updated: updated as Conversation };
  });
}

async function requireConversation(hub: HubContext, id: string): Promise<Conversation> {
  const conversation = await hub.store.getConversation(id);
  if (!conversation) throw new ValidationError({ field: 'conversationId', message: `unknown conversation "${id}"` });
  return conversation;
}

/** Assigns or hands off a conversation; the history of assignments is appended, never replaced. */
export async function assign(hub: HubContext, conversationId: string, input: AssignInput): Promise<Conversation> {
  const parsed = parseInput(assignInputSchema, input, 'assign');
  const now = hub.clock.now();
  const { current: conversation, updated } = await rewriteConversation(
    hub,
    await requireConversation(hub, conversationId),
    (conversation) => {
      const handler = parsed.handler ?? (parsed.assignee || parsed.department ? 'operator' : conversation.handler);
      const entry: Assignment = {
        at: now,
        handler,
        ...(parsed.assignee ? { assignee: parsed.assignee } : {}),
        ...(parsed.department ? { department: parsed.department } : {}),
        ...(parsed.by ? { by: parsed.by } : {}),
        ...(parsed.note ? { note: parsed.note } : {}),
      };
      const { assignee: _a, department: _d, ...rest } = conversation;
      // A hand-off to another operator keeps the department unless a new one is named.
      const department = parsed.department ?? conversation.department;
      return {
        ...rest,
        ...(parsed.assignee ? { assignee: parsed.assignee } : {}),
        ...(department ? { department } : {}),
        handler,
        assignments: [...conversation.assignments, entry],
        updatedAt: now,
      };
    },
  );
  const previous: Pick<Conversation, 'assignee' | 'department' | 'handler'> = { handler: conversation.handler };
  if (conversation.assignee !== undefined) previous.assignee = conversation.assignee;
  if (conversation.department !== undefined) previous.department = conversation.department;
  hub.events.emit('conversation.assigned', { conversation: updated, previous });
  return updated;
}

/** Marks a conversation's inbound messages read, and tells the provider where the channel supports it. */
export async function markRead(hub: HubContext, conversationId: string, options?: MarkReadOptions): Promise<Conversation> {
  const known = await requireConversation(hub, conversationId);
  const channel = channelOf(hub, known.channel); // an unknown channel fails before anything is saved
  const { updated } = await rewriteConversation(hub, known, (conversation) => ({
    ...conversation,
    unreadCount: 0,
    updatedAt: hub.clock.now(),
  }));
  hub.events.emit('conversation.read', { conversation: updated });
  const doMarkRead = channel.doMarkRead?.bind(channel);
  if (doMarkRead) {
    const messages = await hub.store.listMessages(conversationId, { limit: 50 });
    const lastInbound = messages.filter((message) => message.direction === 'inbound').at(-1);
    const providerMessageId = lastInbound?.providerMessageId;
    if (lastInbound && providerMessageId) {
      // The provider's read receipt is a courtesy: its failure is logged, the conversation stays read.
      await withRetry(
        () => limiterOf(hub, channel).schedule(lastInbound.contactId, () => doMarkRead(providerMessageId, updated, options)),
        hub.options.retry,
      ).catch((error: unknown) => hub.logger.warn({ error: String(error) }, `${channel.id}: mark read failed`));
    }
  }
  return updated;
}

/** Closes a conversation (a new inbound message reopens it). */
export async function closeConversation(hub: HubContext, conversationId: string): Promise<Conversation> {
  const { updated } = await rewriteConversation(hub, await requireConversation(hub, conversationId), (conversation) => ({
    ...conversation,
    status: 'closed',
    updatedAt: hub.clock.now(),
  }));
  hub.events.emit('conversation.closed', { conversation: updated });
  return updated;
}
