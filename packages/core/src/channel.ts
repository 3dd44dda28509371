import type { UnreachableReason } from './errors/unreachable-recipient-error.js';
import type { Contact } from './model/contact.js';
import type { Conversation } from './model/conversation.js';
import type { MediaKind, MessageContent } from './model/message-content.js';
import type { MessageStatus } from './model/message-status.js';
import type { CostEstimate, Money } from './model/money.js';

/** What a channel can carry and how conversations on it may start. */
export interface ChannelCapabilities {
  /** Longest text (in the channel's own counting) one message may carry. */
  maxTextLength: number;
  /** Content types the channel sends natively. Others are refused by the hub before any network call. */
  contentTypes: ReadonlyArray<MessageContent['type']>;
  /** Media kinds the channel sends. */
  mediaKinds: ReadonlyArray<MediaKind>;
  /** Provider-approved templates exist on this channel (WhatsApp). */
  templates: boolean;
  /** False for reply-only channels (Avito): a business cannot open the conversation. */
  canStartConversation: boolean;
  /** Customer-service window after the contact's last inbound message, when the channel has one (WhatsApp 24 h). */
  conversationWindowMs?: number;
  /** Which contact field addresses the recipient. */
  address: 'phone' | 'email' | 'chat';
  /**
   * When the provider bills a message: once it accepted it (SMS gateways charge even if it later expires) or only
   * once it was delivered (WhatsApp's per-message pricing). Reports use it to count real spend. @default 'accepted'
   */
  billedOn?: 'accepted' | 'delivered';
  /**
   * What the outbox does after a crash with a send whose provider call had started. `assume-sent`: the provider may
   * have it and does not de-duplicate (WhatsApp, SMS gateways), so it is recorded sent, unconfirmed — at most once.
   * `resend`: sending again is safe or nearly so — the provider de-duplicates on the message id, or accepts only at
   * the end of the exchange and a repeat carries the same id (SMTP accepts after DATA; the same `Message-ID` lets
   * mail systems drop a repeat). See `Omnidealer.resumeOutbox`. @default 'assume-sent'
   */
  interruptedSend?: 'assume-sent' | 'resend';
}

/** Why a channel cannot reach a contact right now. */
export type ReachFailureReason = UnreachableReason | 'window_closed' | 'template_required' | 'unsupported_content';

/** Result of {@link Channel.canReach}. */
export type Reachability =
  | { reachable: true; address: string }
  | { reachable: false; reason: ReachFailureReason; detail: string };

/** What a channel knows when asked whether it can reach a contact. */
export interface ReachContext {
  contact: Contact;
  content: MessageContent;
  now: number;
  /** The existing conversation on this channel, if any (carries `lastInboundAt` for window rules). */
  conversation?: Conversation | undefined;
}

/** An outbound message handed to {@link Channel.doSend} after the hub validated and stored it. */
export interface OutboundMessage {
  /** Our message id: adapters pass it to providers that accept a client reference (idempotency). */
  id: string;
  /** The resolved address (E.164 phone, e-mail, Avito chat id). */
  to: string;
  contact: Contact;
  content: MessageContent;
  conversation?: Conversation | undefined;
  /** Provider message id this message replies to. */
  replyTo?: string | undefined;
}

/** What a provider answered when it accepted a message. */
export interface SendResult {
  providerMessageId: string;
  /** `sent` for accepted by the provider; some channels know more immediately (`delivered` for SMTP 250 is NOT assumed). */
  status: Extract<MessageStatus, 'sent' | 'queued' | 'delivered'>;
  /** The provider's canonical address for the recipient (WhatsApp `wa_id`), stored as the contact's identity. */
  canonicalAddress?: string | undefined;
  /** Actual cost when the provider reports it at send time. */
  cost?: Money | undefined;
  /** Billable units the provider reported (SMS segments). */
  units?: number | undefined;
  /**
   * Other ids the provider may report this message's statuses under (Amazon SES's own message id, read from the
   * SMTP reply, next to the `Message-ID` header that is `providerMessageId`). The hub remembers them and matches a
   * status by them as well.
   */
  alternateProviderMessageIds?: string[] | undefined;
}

/** A verified webhook request, raw bytes kept for signature checks. */
export interface WebhookRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** The raw body exactly as received: signatures are computed over these bytes. */
  body: Uint8Array;
}

/** An inbound message normalised from a provider webhook. */
export interface InboundEvent {
  type: 'inbound';
  /** Provider message id (dedupe key). */
  providerMessageId: string;
  /** The sender's address on the channel (WhatsApp `wa_id`, phone, e-mail, Avito chat id, MAX user id). */
  from: string;
  /** Phone in E.164 when the channel reveals it. */
  phone?: string | undefined;
  /**
   * The sender's account id, when the provider gives one besides the address: Avito's user id (one chat per listing;
   * the hub keeps one contact per sender across them), WhatsApp's business-scoped user id (`US.1349…`; the only id of
   * a user who hid their number behind a username, who then has `from` set to it and no `phone`).
   */
  senderId?: string | undefined;
  profileName?: string | undefined;
  content: MessageContent;
  /**
   * Distinguishes a tapped button or list row from typed text, so a CRM wakes operators only when it matters.
   * `start`: the contact opened or restarted the conversation with the business's bot (MAX `bot_started`), `payload`
   * carrying the deep-link start parameter when there was one. `stop`: the contact stopped or blocked the bot (MAX
   * `bot_stopped`): an opt-out of that channel.
   */
  kind: 'message' | 'button_reply' | 'list_reply' | 'reaction' | 'unsupported' | 'start' | 'stop';
  /** Button/list id or template quick-reply payload when `kind` is a reply; the deep-link start parameter for `start`. */
  payload?: string | undefined;
  at: number;
  /** Provider thread id (Avito chat id). */
  conversationExternalId?: string | undefined;
  /** What the thread is about (Avito listing). */
  subject?: Record<string, unknown> | undefined;
  replyTo?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/** A delivery status update normalised from a provider webhook. */
export interface StatusEvent {
  type: 'status';
  providerMessageId: string;
  /**
   * Our own message id ({@link OutboundMessage.id}), when the provider echoes it back with the status (WhatsApp
   * `biz_opaque_callback_data`, a query parameter of Twilio's `StatusCallback`, SMSC's client-chosen `id`, the
   * original `Message-ID` of an e-mail). It reconciles a send the hub recorded without the provider's id — the
   * provider's answer was lost, or a crash interrupted the call (`metadata.unconfirmed`): when no message has
   * `providerMessageId`, the hub fills it in on the outbound message of this channel with this id that has no
   * provider id yet, then applies the status. A message whose provider id differs is never matched this way.
   */
  messageId?: string | undefined;
  status: Exclude<MessageStatus, 'queued'>;
  at: number;
  error?:
    | {
        code: string;
        message: string;
        providerCode?: string | number | undefined;
        retryable?: boolean;
        /** Why the recipient is unreachable, when that is the failure (`bounced`, `not_on_channel`, `opted_out`…). */
        reason?: UnreachableReason | undefined;
      }
    | undefined;
  /** Billed cost reported with the status (WhatsApp pricing object, SMS final price). */
  cost?: Money | undefined;
  metadata?: Record<string, unknown> | undefined;
  /**
   * A `read` that also covers every earlier outbound message of the conversation on this channel (VK's `message_read`
   * names only the last message read): the hub marks those read too, from the store, whichever process sent them.
   */
  coversEarlier?: boolean | undefined;
}

/**
 * A sender's identity changed on the channel, from a provider's system message (WhatsApp `user_changed_number`,
 * `user_changed_user_id`): the contact keeps its conversations and history under the new address.
 */
export interface IdentityEvent {
  type: 'identity';
  /** Provider event id (dedupe key). */
  providerMessageId: string;
  /** The sender's address before the change (the old WhatsApp `wa_id`), when the provider gives it. */
  from?: string | undefined;
  /** The sender's account id before the change (the old business-scoped user id), when given. */
  senderId?: string | undefined;
  /** The sender's new address on the channel (the new `wa_id`). */
  newAddress?: string | undefined;
  /** The new phone in E.164, when the change reveals it. */
  newPhone?: string | undefined;
  /** The sender's new account id (a new business-scoped user id). */
  newSenderId?: string | undefined;
  at: number;
}

/** What a channel found in one webhook delivery. */
export interface WebhookResult {
  events: Array<InboundEvent | StatusEvent | IdentityEvent>;
  /** A response the provider expects verbatim (WhatsApp verification challenge, SMS.ru `100`). */
  response?: Response | undefined;
  /** Entries that were understood but deliberately ignored (echoes, system messages, unknown kinds). */
  ignored?: number | undefined;
}

/**
 * How one channel instance reads a delivery sent to its provider's shared route (`/hooks/<provider>`); the answer
 * of {@link Channel.claimWebhook}.
 */
export interface WebhookClaim {
  /**
   * The delivery, or a part of it, is this instance's (its phone number id, account id, community id, or the secret
   * only it holds). The hub then hands it the whole request, which it verifies and parses as on its own route,
   * keeping only its part.
   */
  mine: boolean;
  /**
   * Routing keys the delivery names for accounts other than this instance's (other phone number ids, Avito user ids,
   * VK community ids). A key that every instance lists here belongs to none: the hub refuses that part, logs the key
   * masked and emits `webhook.unrouted`. Channels that route by a secret cannot name the others and leave it out.
   */
  others?: readonly string[] | undefined;
}

/** Limits the core runtime applies around a channel's `doSend`. */
export interface ChannelRateLimit {
  /** Messages per second for the whole account. */
  perSecond?: number | undefined;
  /** Minimum spacing between two messages to the same recipient (WhatsApp pair limit ≈ 6 s). */
  perRecipientIntervalMs?: number | undefined;
  /** Concurrent requests in flight. */
  maxConcurrent?: number | undefined;
}

/** Options of `hub.markRead`, handed to the channel's `doMarkRead`. */
export interface MarkReadOptions {
  /**
   * Also show the contact a typing indicator (WhatsApp: until the reply is sent or for up to 25 s). Channels without
   * one ignore it. @default false
   */
  typingIndicator?: boolean | undefined;
}

/**
 * The contract every channel package implements. Applications do not call `do*` methods: they call the hub,
 * which validates, rate-limits, retries, stores and emits events around them.
 */
export interface Channel {
  /** Unique id inside one hub (`whatsapp`, `whatsapp-service-dept`). */
  readonly id: string;
  /** Channel family (`whatsapp`, `avito`, `sms`, `email`, `test`). */
  readonly kind: string;
  /** The provider account this instance sends from (phone number id, Avito user id, sender name). */
  readonly accountId: string;
  readonly capabilities: ChannelCapabilities;
  readonly rateLimit?: ChannelRateLimit | undefined;
  /** Channel-specific content checks beyond the capabilities (lengths, template parameters). Throws `ValidationError`. */
  validate?(content: MessageContent, contact: Contact): void;
  /** Whether this contact can be reached with this content now, and if not why. Never calls the network. */
  canReach(context: ReachContext): Reachability;
  /** Exact price of sending this content to this contact, in minor units, with billable units. */
  estimateCost(
    content: MessageContent,
    contact: Contact,
    context?: { conversation?: Conversation | undefined; now?: number },
  ): CostEstimate;
  /** Sends one message. Throws typed errors classified as retryable or not; never retries by itself. */
  doSend(message: OutboundMessage, options: { signal?: AbortSignal | undefined }): Promise<SendResult>;
  /** Verifies and parses one webhook delivery. Throws `WebhookError` on a bad signature or body. */
  parseWebhook(request: WebhookRequest): Promise<WebhookResult>;
  /**
   * Names the route this instance shares with the other instances of its provider (`whatsapp`, `avito`, `max`,
   * `telegram`, `vk`): `hub.handleWebhook(provider, request)` and `/hooks/<provider>` hand a delivery to whichever of
   * them {@link Channel.claimWebhook} says it is for. Only channels with `claimWebhook` have it.
   */
  readonly provider?: string | undefined;
  /**
   * Says whether a delivery on the provider's shared route is this instance's, from what it carries (WhatsApp
   * `metadata.phone_number_id`, Avito `user_id`, VK `group_id`, the MAX or Telegram secret header), and which other
   * accounts it names. Reads, never applies; the signature is verified by `parseWebhook` afterwards. Never throws: an
   * unreadable delivery is `{ mine: false }`.
   */
  claimWebhook?(request: WebhookRequest): WebhookClaim;
  /**
   * The deep link that opens a chat with this account and hands `payload` to the first message (`bot_started`,
   * `/start <payload>`): how a reply-only messenger's customer is linked to a contact (see `Omnidealer.inviteLink`).
   * Throws `ValidationError` when the payload does not fit the provider's rules. Only messengers with deep links have it.
   */
  inviteLink?(payload: string): string;
  /** Marks an inbound message read at the provider, where supported. */
  doMarkRead?(providerMessageId: string, conversation?: Conversation, options?: MarkReadOptions): Promise<void>;
  /** Releases connections (SMTP pools, keep-alive sockets); `hub.shutdown()` calls it. */
  close?(): void | Promise<void>;
  /**
   * The secrets this channel holds (tokens, passwords, webhook secrets, including ones obtained later such as a
   * refreshed OAuth token). The hub's logger removes them from every line, so each hub redacts its own channels'
   * credentials; a channel keeps them in a `SecretRegistry` (`@omnidealer/core/provider-utils`).
   */
  secrets?(): readonly string[];
}
