import type { OmnidealerError } from './errors/omnidealer-error.js';
import type { Contact } from './model/contact.js';
import type { Conversation } from './model/conversation.js';
import type { Message } from './model/message.js';

/** Typed events the hub emits (eventemitter3). Names read as noun.verb. */
export interface HubEvents {
  /** An inbound message was stored. */
  'message.received': (event: { message: Message; conversation: Conversation }) => void;
  /** A contact tapped a reply button or list row; `payload` is its id. Distinct so a CRM can wake operators only when it matters. */
  'message.button': (event: { message: Message; conversation: Conversation; payload: string }) => void;
  /** An outbound message was accepted by the provider (status `sent`). */
  'message.sent': (event: { message: Message }) => void;
  /** An outbound message changed status (forward only). */
  'message.status': (event: { message: Message; previous: Message['status'] }) => void;
  /** An outbound message failed, at send time or later by a status webhook. */
  'message.failed': (event: { message: Message; error: OmnidealerError | undefined }) => void;
  /**
   * A send recorded without the provider's id (`metadata.unconfirmed`: its answer was lost, or a crash cut the call
   * short) was matched by a status that named our message id (`StatusEvent.messageId`): `providerMessageId` is now
   * stored, `metadata.unconfirmed` removed and `metadata.reconciled` set. Emitted once the message is stored, before
   * the `message.status` of the status that matched it (a first `sent` status changes no status and emits only this).
   */
  'message.reconciled': (event: { message: Message; providerMessageId: string }) => void;
  /** A status arrived for a provider message id we do not know (sent outside the hub, or before a crash). */
  'message.status.unmatched': (event: { channel: string; providerMessageId: string; status: string }) => void;
  'conversation.opened': (event: { conversation: Conversation }) => void;
  'conversation.assigned': (event: {
    conversation: Conversation;
    previous: Pick<Conversation, 'assignee' | 'department' | 'handler'>;
  }) => void;
  /**
   * A conversation moved to another branch (`hub.handOff`); `from` is absent when it belonged to the whole group.
   * Emitted once the move is stored.
   */
  'conversation.handed_off': (event: {
    conversation: Conversation;
    from: string | undefined;
    to: string;
    operatorId?: string | undefined;
  }) => void;
  'conversation.closed': (event: { conversation: Conversation }) => void;
  /** An operator read the conversation (`hub.markRead`): unread count is now 0. */
  'conversation.read': (event: { conversation: Conversation }) => void;
  /**
   * A contact opted out on these channel kinds: by a keyword («СТОП»), a provider's error or status (Twilio 21610,
   * WhatsApp 131050, a complaint), a stopped bot, or `hub.setConsent`. Stored before it is emitted.
   */
  'contact.opted_out': (event: { contact: Contact; channels: string[]; source: string; at: number }) => void;
  /**
   * A contact's address changed on a channel (WhatsApp: the customer moved to a new number or got a new user id); the
   * contact, its conversations and history stay. `previous` holds what changed.
   */
  'contact.identity_changed': (event: {
    contact: Contact;
    channel: string;
    previous: { phone?: string | undefined; address?: string | undefined; senderId?: string | undefined };
  }) => void;
  /**
   * A customer opened a reply-only messenger's chat through an invite link (`hub.inviteLink`): their account on
   * `channel` is now the contact's, and consent there is recorded `granted` (source `deep_link`).
   */
  'contact.linked': (event: { contact: Contact; channel: string }) => void;
  /** Two contacts were found to be one person and merged; `mergedId` now leads to `contact`. */
  'contact.merged': (event: { contact: Contact; mergedId: string }) => void;
  /** A webhook delivery was rejected (bad signature or body). */
  'webhook.rejected': (event: { channel: string; status: number; reason: string }) => void;
  /**
   * A delivery on a provider's shared route (`/hooks/<provider>`), or a part of one, named an account no channel of
   * this hub holds: that part was not applied. `accounts` are the routing keys masked to their last 4 characters
   * (empty when the provider routes by a secret); `status` is what the provider was answered: 404 when nothing of the
   * delivery was applied, 200 when other parts were.
   */
  'webhook.unrouted': (event: { provider: string; accounts: string[]; status: number }) => void;
  /** A webhook delivery repeated an event already processed. */
  'webhook.duplicate': (event: { channel: string; key: string }) => void;
  /**
   * Something failed after the hub had committed what it describes, and changed nothing: a listener threw or
   * rejected (`during` is `listener of <event>`), or bookkeeping after a provider accepted a message failed. Also
   * logged. A sent message stays sent; a webhook delivery is still answered 200.
   */
  error: (event: { during: string; error: unknown }) => void;
}
