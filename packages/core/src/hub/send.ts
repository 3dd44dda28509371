import { z } from 'zod';
import type { Channel, Reachability } from '../channel.js';
import { FrequencyCapError } from '../errors/frequency-cap-error.js';
import { type UnreachableReason, UnreachableRecipientError } from '../errors/unreachable-recipient-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { WindowClosedError } from '../errors/window-closed-error.js';
import { createId } from '../id.js';
import { type Contact, contactSchema } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import { type MessageContent, messageContentSchema } from '../model/message-content.js';
import type { CostEstimate } from '../model/money.js';
import { isPrivateUrl } from '../model/public-url.js';
import { sameData } from '../store/same-data.js';
import { parseInput } from '../validation.js';
import { consentRefusal } from './consent.js';
import { rewriteContact, waitForStored } from './contacts.js';
import { branchOf, channelOf, conversationKey, type HubContext } from './context.js';
import { newConversation } from './conversations.js';
import { dispatch } from './dispatch.js';
import { claimFrequency, frequencyCapOf } from './frequency-cap.js';
import { resolveNewContactId } from './identity.js';
import { holding } from './key-locks.js';
import { mergeContact } from './merge-contact-input.js';
import { storeNamespaces } from './store-namespaces.js';
import type { SendInput } from './types.js';

const sendInputSchema = z.object({
  channel: z.string().min(1),
  contact: contactSchema,
  content: messageContentSchema,
  idempotencyKey: z.string().min(1).max(256).optional(),
  replyTo: z.string().min(1).optional(),
  sentBy: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  conversationId: z.string().min(1).optional(),
  kind: z.string().min(1).max(50).optional(),
  frequencyClaim: z.string().min(1).max(256).optional(),
});
type ParsedSend = z.output<typeof sendInputSchema>;

/**
 * Validates (before any network call or write), stores the message in the outbox, then dispatches it. Sends with the
 * same idempotency key running in this process share one run; across processes the store's key claim decides.
 */
export async function send(hub: HubContext, input: SendInput, internal: InternalSend = {}): Promise<Message> {
  const parsed = parseInput(sendInputSchema, input, '');
  const channel = channelOf(hub, parsed.channel);
  validateForChannel(hub, channel, parsed.content, parsed.contact);
  if (parsed.contact.branchId !== undefined) branchOf(hub, parsed.contact.branchId, 'contact.branchId');
  const key = parsed.idempotencyKey;
  if (key) {
    const running = hub.inFlightByKey.get(key);
    if (running) return running;
  }
  const run = queueAndDispatch(hub, channel, parsed, internal);
  if (key) {
    hub.inFlightByKey.set(key, run);
    void run.finally(() => hub.inFlightByKey.delete(key)).catch(() => undefined);
  }
  return run;
}

/** Sends the hub makes itself. */
interface InternalSend {
  /** The reply confirming an opt-out the contact just made: the only message that may follow it. */
  confirmingOptOut?: boolean;
}

async function queueAndDispatch(hub: HubContext, channel: Channel, parsed: ParsedSend, internal: InternalSend): Promise<Message> {
  const now = hub.clock.now();
  // Sends to one contact on one channel find or open its conversation one at a time: sends that start together to a
  // new contact share one conversation instead of each opening its own. The provider calls still overlap.
  const opened = await holding(hub.locks.conversations, conversationKey(channel.id, parsed.contact.id), () =>
    openSend(hub, parsed, channel, now, internal),
  );
  if ('existing' in opened) return opened.existing;
  const { merged, conversation, reach, content, replyTo, messageId, frequencyClaim } = opened;
  const estimate = safeEstimate(hub, channel, content, merged, conversation, now);
  const message: Message = {
    id: messageId,
    conversationId: conversation.id,
    contactId: merged.id,
    direction: 'outbound',
    channel: channel.id,
    content,
    status: 'queued',
  } as Message;
  // Optional fields assigned, not spread in (`...(x ? { x } : {})` costs a copy each); keys in the same order as ever.
  if (parsed.idempotencyKey) message.idempotencyKey = parsed.idempotencyKey;
  if (estimate) message.cost = estimate.money;
  if (replyTo) message.replyTo = replyTo;
  if (parsed.metadata || parsed.sentBy || parsed.kind) message.metadata = sendMetadata(parsed, frequencyClaim);
  message.createdAt = now;
  message.updatedAt = now;
  message.statusTimes = { queued: now };
  // Outbox: the message is committed before the provider is called, so a crash leaves it `queued`, not lost. The
  // write is made by `dispatch`, with the dispatch mark in the same commit when the call can start at once.
  return trackInFlight(hub, message.id, dispatch(hub, channel, message, merged, conversation, reach.address, true));
}

/** What a send keeps in its message's metadata besides the caller's: who sent it, its kind and frequency claim. */
function sendMetadata(parsed: ParsedSend, frequencyClaim: string | undefined): Record<string, unknown> {
  const metadata: Record<string, unknown> = Object.assign({}, parsed.metadata);
  if (parsed.sentBy) metadata.sentBy = parsed.sentBy;
  if (parsed.kind) metadata.kind = parsed.kind;
  if (frequencyClaim) metadata.frequencyClaim = frequencyClaim;
  return metadata;
}

/** Marks a message as being dispatched by this process until `running` settles (the outbox resume skips it). */
export function trackInFlight(hub: HubContext, id: string, running: Promise<Message>): Promise<Message> {
  hub.inFlightIds.add(id);
  return running.finally(() => hub.inFlightIds.delete(id));
}

/** What a send needs once its contact is saved and its conversation found or opened (or the message a key already holds). */
type OpenedSend =
  | { existing: Message }
  | {
      merged: Contact;
      conversation: Conversation;
      reach: Extract<Reachability, { reachable: true }>;
      content: MessageContent;
      replyTo: string | undefined;
      messageId: string;
      /** The frequency-cap claim the send holds, when its kind is capped. */
      frequencyClaim: string | undefined;
    };

/** The part of a send that must not overlap another send to the same contact on the same channel (see `send`). */
async function openSend(
  hub: HubContext,
  parsed: ParsedSend,
  channel: Channel,
  now: number,
  internal: InternalSend,
): Promise<OpenedSend> {
  const { store } = hub;
  // The contact, the alias its id may have become and its conversation are independent reads: asked at once, so a
  // store that groups the reads of one event-loop turn answers them in one round trip. The conversation is read
  // again below in the rare case the id resolves to another contact or a merge.
  const requestedId = parsed.contact.id;
  const findConversation = (contactId: string) =>
    parsed.conversationId ? store.getConversation(parsed.conversationId) : store.findConversation(contactId, channel.id);
  const conversationRead = findConversation(requestedId);
  const aliasRead = store.getRecord<string>(storeNamespaces.contactAlias, requestedId);
  // Settled here, so a read that is not needed (the alias of a stored contact) never goes unhandled.
  const [contactRead, alias, conversationFound] = await Promise.allSettled([
    store.getContact(requestedId),
    aliasRead,
    conversationRead,
  ]);
  let stored = settledValue(contactRead);
  // Whether the conversation read above still holds: not when the id resolved to another contact, or a merge moved
  // another contact's conversations to it.
  let conversationStale = false;
  if (!stored) {
    // A contact the CRM names for the first time may be a customer who wrote first, or an id merged since.
    const resolved = await resolveNewContactId(hub, parsed.contact, { alias: settledValue(alias) });
    if (resolved.id !== parsed.contact.id) parsed.contact = { ...parsed.contact, id: resolved.id };
    // Read again only when there is something to read (an alias, a merge); the write below reads it under its lock.
    if (resolved.stored) stored = await store.getContact(resolved.id);
    conversationStale = resolved.stored || resolved.id !== requestedId;
  }
  let merged = mergeContact(stored, parsed.contact);
  let conversation = conversationStale ? await findConversation(merged.id) : settledValue(conversationFound);
  if (parsed.conversationId && (conversation?.contactId !== merged.id || conversation.channel !== channel.id)) {
    throw new ValidationError({
      channel: channel.kind,
      field: 'conversationId',
      message: `conversation "${parsed.conversationId}" is not this contact's on ${channel.id}`,
    });
  }
  const refused = internal.confirmingOptOut ? undefined : consentRefusal(hub, channel, merged, parsed.kind);
  if (refused) throwUnreachable(channel, { reachable: false, ...refused });
  const reachable = internal.confirmingOptOut ? withoutOptOut(merged, channel) : merged;
  const reach = channel.canReach({ contact: reachable, content: parsed.content, now, conversation });
  if (!reach.reachable) throwUnreachable(channel, reach);
  const content: MessageContent =
    parsed.content.type === 'reaction'
      ? { ...parsed.content, messageId: await providerIdOf(hub, channel, parsed.content.messageId, 'content.messageId') }
      : parsed.content;
  const replyTo = parsed.replyTo === undefined ? undefined : await providerIdOf(hub, channel, parsed.replyTo, 'replyTo');
  let messageId = createId('msg');
  let frequencyClaim: string | undefined;
  if (parsed.kind && frequencyCapOf(hub, parsed.kind)) {
    frequencyClaim = parsed.frequencyClaim ?? parsed.idempotencyKey ?? messageId;
    // Claimed before the idempotency key: a repeat of this send holds the same claim and is let through to find its
    // message; a concurrent mailing to the same contact is refused here.
    const refusal = await claimFrequency(hub, merged.id, {
      kind: parsed.kind,
      claimId: frequencyClaim,
    });
    if (refusal) throw new FrequencyCapError({ channel: channel.kind, kind: parsed.kind, message: `${channel.id}: ${refusal}` });
  }
  if (parsed.idempotencyKey) {
    const existingId = await store.claimIdempotencyKey(parsed.idempotencyKey, messageId);
    if (existingId !== undefined) {
      const existing = await waitForStored(() => store.getMessage(existingId));
      if (existing) return { existing };
      // The process that claimed the key died before storing its message (the claim and the outbox write are two
      // steps): take the claim over under the same message id, so the key still maps to one message.
      hub.logger.warn({ messageId: existingId }, 'idempotency key held by a message that was never stored; taking it over');
      messageId = existingId;
    }
  }
  // A repeat send to a known contact changes nothing about it: skip the write (on a durable store, a commit).
  // Otherwise merge again into a fresh read as it is written: an opt-out may have come in since the read above.
  // The contact's write and the opening of its conversation touch different keys: they run at once, so a durable
  // store that batches them commits them together.
  const contactId = merged.id;
  const rewriting =
    !stored || !sameData(stored, merged)
      ? rewriteContact(hub, contactId, (current) => mergeContact(current, parsed.contact))
      : undefined;
  const found = conversation;
  const opening = found
    ? undefined
    : newConversation(hub, channel, contactId, now, channel.capabilities.address === 'chat' ? reach.address : undefined);
  // Another process sharing the store may have opened one since the read above: then that one is used.
  const opened = opening && hub.atomic.openConversation(contactId, channel.id, undefined, (newest) => newest ?? opening);
  const [rewritten, openedConversation] = await Promise.allSettled([rewriting, opened]);
  if (openedConversation.status === 'rejected') throw openedConversation.reason;
  conversation = found ?? openedConversation.value ?? (opening as Conversation);
  // Opened, even when the contact's write failed: a later send finds it.
  if (conversation.id === opening?.id) hub.events.emit('conversation.opened', { conversation });
  if (rewritten.status === 'rejected') throw rewritten.reason;
  merged = rewritten.value ?? merged;
  return { merged, conversation, reach, content, replyTo, messageId, frequencyClaim };
}

/** The value of a settled read, or its error thrown. */
function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** The contact as the channel should see it to confirm an opt-out (channels refuse opted-out contacts themselves). */
function withoutOptOut(contact: Contact, channel: Channel): Contact {
  const { [channel.kind]: _kind, [channel.id]: _id, ...consent } = contact.consent ?? {};
  return { ...contact, consent };
}

/** Capability checks shared by every channel, then the channel's own. */
export function validateForChannel(hub: HubContext, channel: Channel, content: MessageContent, contact: Contact): void {
  const capabilities = channel.capabilities;
  if (!capabilities.contentTypes.includes(content.type)) {
    throw new ValidationError({
      channel: channel.kind,
      field: 'content.type',
      message: `content.type "${content.type}" is not supported by ${channel.id} (supports ${capabilities.contentTypes.join(', ')})`,
    });
  }
  // A string has at least as many UTF-16 units as characters: only a text over the limit in units is counted.
  if (
    content.type === 'text' &&
    content.text.length > capabilities.maxTextLength &&
    [...content.text].length > capabilities.maxTextLength
  ) {
    throw new ValidationError({
      channel: channel.kind,
      field: 'content.text',
      message: `content.text is ${[...content.text].length} characters; ${channel.id} allows ${capabilities.maxTextLength}`,
    });
  }
  if (content.type === 'media' && content.url && !hub.options.allowPrivateMediaUrls && isPrivateUrl(content.url)) {
    throw new ValidationError({
      channel: channel.kind,
      field: 'content.url',
      message: 'content.url points at a loopback or private address; media must come from a public host',
    });
  }
  if (content.type === 'media' && !capabilities.mediaKinds.includes(content.kind)) {
    throw new ValidationError({
      channel: channel.kind,
      field: 'content.kind',
      message: `${channel.id} cannot send ${content.kind} media`,
    });
  }
  channel.validate?.(content, contact);
}

/** The typed error for a contact the channel cannot reach now. */
function throwUnreachable(channel: Channel, reach: Exclude<Reachability, { reachable: true }>): never {
  if (reach.reason === 'window_closed' || reach.reason === 'template_required') {
    throw new WindowClosedError({ channel: channel.kind, message: `${channel.id}: ${reach.detail}` });
  }
  if (reach.reason === 'unsupported_content') {
    throw new ValidationError({ channel: channel.kind, field: 'content', message: `${channel.id}: ${reach.detail}` });
  }
  throw new UnreachableRecipientError({
    channel: channel.kind,
    reason: reach.reason as UnreachableReason,
    message: `${channel.id}: ${reach.detail}`,
  });
}

/**
 * The provider's id of a message referred to by a reaction or a reply: our message id (one this hub stored) becomes
 * the provider's id on this channel; any other id is taken as the provider's own. Checked before anything is stored
 * or sent.
 */
async function providerIdOf(hub: HubContext, channel: Channel, id: string, field: string): Promise<string> {
  const message = await hub.store.getMessage(id);
  if (!message) return id;
  if (message.channel !== channel.id) {
    throw new ValidationError({
      channel: channel.kind,
      field,
      message: `${field}: message "${id}" is on ${message.channel}, not ${channel.id}`,
    });
  }
  if (!message.providerMessageId) {
    throw new ValidationError({
      channel: channel.kind,
      field,
      message: `${field}: message "${id}" has no provider id yet (not sent, or sent unconfirmed)`,
    });
  }
  return message.providerMessageId;
}

/** The channel's price estimate, or none when the channel cannot price it (a send never fails on pricing). */
function safeEstimate(
  hub: HubContext,
  channel: Channel,
  content: MessageContent,
  contact: Contact,
  conversation: Conversation | undefined,
  now: number,
): CostEstimate | undefined {
  try {
    return channel.estimateCost(content, contact, { conversation, now });
  } catch (error) {
    hub.logger.warn({ error: String(error) }, `${channel.id}: cost estimate failed`);
    return undefined;
  }
}
