import { z } from 'zod';
import type { Channel, MarkReadOptions } from '../channel.js';
import { ValidationError } from '../errors/validation-error.js';
import { createId } from '../id.js';
import type { Assignment, Conversation, HandOff } from '../model/conversation.js';
import { withRetry } from '../runtime/retry.js';
import { parseInput } from '../validation.js';
import { branchOf, channelOf, conversationKey, type HubContext, limiterOf } from './context.js';
import { holding } from './key-locks.js';
import type { AssignInput, HandOffInput } from './types.js';

const assignInputSchema = z
  .object({
    assignee: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    handler: z.enum(['bot', 'operator']).optional(),
    by: z.string().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/**
 * A new open conversation of a contact on a channel, handled by the bot until someone takes it; it belongs to the
 * channel's branch (none for a channel of the whole group).
 */
export function newConversation(
  hub: HubContext,
  channel: Channel,
  contactId: string,
  now: number,
  externalId?: string,
): Conversation {
  const branch = hub.branchOfChannel.get(channel.id);
  return {
    id: createId('conv'),
    contactId,
    channel: channel.id,
    ...(branch ? { branchId: branch.id } : {}),
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

const handOffInputSchema = z
  .object({
    branchId: z.string().min(1),
    operatorId: z.string().min(1).optional(),
    by: z.string().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/**
 * Moves a conversation to another branch: same conversation and messages, the branch's now, assigned to `operatorId`
 * or queued for the branch's operators. The move is appended to `handOffs` and to the assignment history.
 */
export async function handOff(hub: HubContext, conversationId: string, input: HandOffInput): Promise<Conversation> {
  const parsed = parseInput(handOffInputSchema, input, 'handOff');
  const to = branchOf(hub, parsed.branchId, 'handOff.branchId').id;
  const known = await requireConversation(hub, conversationId);
  const now = hub.clock.now();
  let sameBranch = false;
  const { current, updated } = await rewriteConversation(hub, known, (conversation) => {
    if (conversation.branchId === to) {
      sameBranch = true;
      return conversation;
    }
    const move: HandOff = {
      at: now,
      ...(conversation.branchId ? { from: conversation.branchId } : {}),
      to,
      ...(parsed.operatorId ? { operatorId: parsed.operatorId } : {}),
      ...(parsed.by ? { by: parsed.by } : {}),
      ...(parsed.note ? { note: parsed.note } : {}),
    };
    const entry: Assignment = {
      at: now,
      handler: 'operator',
      ...(parsed.operatorId ? { assignee: parsed.operatorId } : {}),
      ...(conversation.department ? { department: conversation.department } : {}),
      ...(parsed.by ? { by: parsed.by } : {}),
      note: parsed.note ? `handed off to branch ${to}: ${parsed.note}` : `handed off to branch ${to}`,
    };
    const { assignee: _assignee, ...rest } = conversation;
    return {
      ...rest,
      branchId: to,
      ...(parsed.operatorId ? { assignee: parsed.operatorId } : {}),
      handler: 'operator',
      assignments: [...conversation.assignments, entry],
      handOffs: [...(conversation.handOffs ?? []), move],
      updatedAt: now,
    };
  });
  if (sameBranch)
    throw new ValidationError({
      field: 'handOff.branchId',
      message: `conversation "${conversationId}" is already in branch "${to}"`,
    });
  hub.events.emit('conversation.handed_off', {
    conversation: updated,
    from: current.branchId,
    to,
    ...(parsed.operatorId ? { operatorId: parsed.operatorId } : {}),
  });
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
