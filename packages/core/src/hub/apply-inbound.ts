import type { Channel, InboundEvent } from '../channel.js';
import { createId } from '../id.js';
import type { Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import { optOutScope, recordConsent, recordOptOut } from './consent.js';
import { conversationKey, type HubContext } from './context.js';
import { newConversation } from './conversations.js';
import { contactForInbound, linkSender } from './inbound-contact.js';
import { redeemInvite } from './invite-links.js';
import { holding } from './key-locks.js';
import { send } from './send.js';

/**
 * Stores an inbound message: its sender's contact, the conversation (opened, or reopened with the unread count and the
 * reply timer updated) and the message; then emits. A provider message id already stored is skipped.
 */
export async function applyInbound(hub: HubContext, channel: Channel, event: InboundEvent): Promise<void> {
  if (await hub.store.findMessageByProviderId(channel.id, event.providerMessageId)) return;
  const metadata: Record<string, unknown> = { ...event.metadata, inboundKind: event.kind };
  if (event.payload) metadata.payload = event.payload;
  let contact: Contact | undefined;
  if (event.kind === 'start' && event.payload) {
    // Pressed Start through an invite link: the account joins the contact the link was made for.
    const redeemed = await redeemInvite(hub, channel, event);
    if ('contact' in redeemed) contact = await linkSender(hub, channel, event, redeemed.contact);
    else metadata.invite = redeemed.refused;
  }
  const linked = contact !== undefined;
  contact ??= await contactForInbound(hub, channel, event);
  if (linked) await recordConsent(hub, contact.id, [channel.kind], 'deep_link');
  if (event.kind === 'stop') await recordOptOut(hub, contact.id, [channel.kind], 'bot_stopped');
  const now = hub.clock.now();
  const { found, conversation } = await holding(hub.locks.conversations, conversationKey(channel.id, contact.id), async () => {
    let found: Conversation | undefined;
    const conversation = await hub.atomic.openConversation(contact.id, channel.id, event.conversationExternalId, (newest) => {
      found = newest;
      // A found conversation is the store's copy, ours to update.
      const conversation = newest ?? newConversation(hub, channel, contact.id, now, event.conversationExternalId);
      conversation.status = 'open';
      conversation.unreadCount += 1;
      conversation.lastInboundAt = Math.max(conversation.lastInboundAt ?? 0, event.at);
      conversation.firstInboundAt ??= event.at;
      conversation.awaitingReplySince = Math.min(conversation.awaitingReplySince ?? event.at, event.at);
      if (event.subject) conversation.subject = { ...conversation.subject, ...event.subject };
      conversation.updatedAt = now;
      return conversation;
    });
    return { found, conversation: conversation as Conversation };
  });
  const message: Message = {
    id: createId('msg'),
    conversationId: conversation.id,
    contactId: contact.id,
    direction: 'inbound',
    channel: channel.id,
    content: event.content,
    status: 'delivered',
    providerMessageId: event.providerMessageId,
    metadata,
    createdAt: event.at,
    updatedAt: now,
    statusTimes: { delivered: event.at },
  };
  if (event.replyTo) message.replyTo = event.replyTo;
  await hub.store.saveMessage(message);
  const optedOut = hub.isOptOutKeyword?.(event) === true;
  if (optedOut)
    await recordOptOut(
      hub,
      contact.id,
      optOutScope(hub, channel),
      'keyword',
      `"${event.content.type === 'text' ? event.content.text.slice(0, 40) : ''}" on ${channel.id}`,
    );
  // Emitted once the message is stored; a listener that throws cannot fail the delivery (see HubEmitter).
  if (linked)
    hub.events.emit('contact.linked', { contact: (await hub.store.getContact(contact.id)) ?? contact, channel: channel.id });
  if (!found) hub.events.emit('conversation.opened', { conversation });
  hub.events.emit('message.received', { message, conversation });
  if ((event.kind === 'button_reply' || event.kind === 'list_reply') && event.payload) {
    hub.events.emit('message.button', { message, conversation, payload: event.payload });
  }
  const confirmation = hub.options.optOut?.confirmation;
  if (optedOut && confirmation) {
    // In the background: the provider's webhook is answered without waiting for our reply's provider call.
    void send(
      hub,
      { channel: channel.id, contact: { id: contact.id }, content: { type: 'text', text: confirmation } },
      {
        confirmingOptOut: true,
      },
    ).catch((error: unknown) => hub.events.report(`${channel.id}: sending the opt-out confirmation`, error));
  }
}
