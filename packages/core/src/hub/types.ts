import type { Channel, MarkReadOptions, Reachability } from '../channel.js';
import type { Clock } from '../clock.js';
import type { HubEvents } from '../events.js';
import type { Logger } from '../logger.js';
import type { Branch, BranchInput } from '../model/branch.js';
import type { Consent, Contact, ContactInput } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import type { MessageContentInput } from '../model/message-content.js';
import type { CostEstimate } from '../model/money.js';
import type { RateLimiterFactory } from '../runtime/rate-limiter.js';
import type { RetryOptions } from '../runtime/retry.js';
import type { SlaReport } from '../sla.js';
import type { Store } from '../store/store.js';

/** Options of {@link createOmnidealer}. */
export interface OmnidealerOptions {
  /** The channels this hub sends on, each with a unique `id`. */
  channels: Channel[];
  /**
   * The branches of a dealer group (showrooms, service centres), each with its channels, time zone and working
   * hours; see docs/branches.md. A channel bound to no branch belongs to the whole group. @default none (one dealer)
   * @example
   * branches: [
   *   { id: 'north', name: 'Showroom North', timeZone: 'Europe/Moscow', channels: ['wa-north', 'avito-north'],
   *     workingHours: { mon: [{ from: '09:00', to: '20:00' }], holidays: ['2027-01-01'] } },
   *   { id: 'south', name: 'Service South', timeZone: 'Europe/Samara', channels: ['wa-south'] },
   * ]
   */
  branches?: BranchInput[];
  /** Where state lives. @default an in-memory store */
  store?: Store;
  /** @default the system clock */
  clock?: Clock;
  /** Receives redacted log lines. @default silent */
  logger?: Logger;
  /** Retry policy around every provider call. */
  retry?: RetryOptions;
  /**
   * Makes each channel account's rate limiter, given the channel's `rateLimit` and the id
   * `omnidealer:<kind>:<accountId>`. `createRedisRateLimiter(...)` from `@omnidealer/redis` shares the limits between
   * processes. @default `createRateLimiter` from `@omnidealer/core/provider-utils` (in process)
   */
  rateLimiter?: RateLimiterFactory;
  /** Largest accepted webhook body in bytes (bigger → 413). @default 1 MiB */
  webhookBodyLimitBytes?: number;
  /**
   * How long a status for an unknown provider message id is kept, waiting for the send whose HTTP answer has not
   * arrived yet. Statuses of messages sent outside this hub (the WhatsApp Business app, another tool on the same
   * number) never match: they are dropped after this, so the store does not fill with them. @default 1 hour
   */
  parkedStatusTtlMs?: number;
  /**
   * How long the record of each reply to a waiting customer (what {@link Omnidealer.slaReport} counts) is kept. Every
   * answered wait adds one record, so without a limit the store grows for as long as the dealer works. Ninety days
   * covers the periods response times are usually reviewed over (a week, this month and the last, about a quarter
   * back) and keeps the store to one quarter of replies; set it longer for year-on-year figures. A report with `since`
   * older than this counts only what is left. The hub deletes expired records itself, in the background as replies
   * are recorded, at most once per hundredth of this time, so a record goes at most about 1 % after it expires.
   * `Infinity` keeps them forever. @default 90 days
   */
  slaRetentionMs?: number;
  /**
   * Accept media URLs on loopback or private networks. Off by default: channels download some media (Avito
   * re-uploads images, e-mail attaches files), and such a URL could reach internal services (SSRF). Turn it on for
   * local sandboxes only. @default false
   */
  allowPrivateMediaUrls?: boolean;
  /** Keyword opt-out on inbound text («СТОП», STOP, ОТПИСАТЬСЯ…). See {@link OptOutOptions}. */
  optOut?: OptOutOptions;
  /**
   * Message kinds (see {@link SendInput.kind}) that need the contact's recorded `granted` consent, per channel kind: a
   * send without it is refused (`UnreachableRecipientError`, reason `no_consent`) before any network call. The default
   * follows Russia's advertising law (38-FZ art. 18, 126-FZ art. 44.1): an advertising SMS needs the subscriber's prior
   * consent. Messengers are reply-only, so there the customer started the chat. Set `{}` where no rule applies.
   * @default { marketing: ['sms'] }
   */
  consentRequired?: Record<string, readonly string[]>;
  /**
   * How many messages of a kind one contact may get in a window, counted across `hub.send` and cascades and claimed
   * atomically in the store (two mailings started at once send once). @default { marketing: { max: 1, windowMs: 30 days } }
   */
  frequencyCaps?: Record<string, FrequencyCap>;
}

/** At most `max` messages of a kind to one contact within `windowMs`. */
export interface FrequencyCap {
  max: number;
  windowMs: number;
}

/** Keyword opt-out on inbound text. */
export interface OptOutOptions {
  /**
   * Whole-message keywords per language, replacing the defaults (Russian and English: СТОП, ОТПИСАТЬСЯ, STOP,
   * UNSUBSCRIBE…). `false` turns keyword opt-out off. Case, `ё`, punctuation and spacing are ignored; a keyword inside
   * a longer sentence does not count.
   */
  keywords?: Readonly<Record<string, readonly string[]>> | false;
  /** Opt out of the channel the keyword came on, or of every channel kind in this hub. @default 'channel' */
  scope?: 'channel' | 'all';
  /**
   * A reply confirming the opt-out, sent on the same channel (inside the window the customer just opened), or none.
   * @default none
   */
  confirmation?: string | undefined;
}

/** Who changed a contact's consent: `keyword`, `provider`, `deep_link`, `crm`, `operator`, or your own label. */
export type ConsentSource = string;

/** One audited change of a contact's consent on a channel. */
export interface ConsentChange {
  contactId: string;
  /** Channel kind (or id) the consent is for. */
  channel: string;
  state: Consent;
  previous?: Consent;
  source: ConsentSource;
  at: number;
  note?: string;
}

/** What {@link Omnidealer.send} takes. */
export interface SendInput {
  /** Channel id in this hub. */
  channel: string;
  contact: ContactInput;
  content: MessageContentInput;
  /** The same key never sends twice: a repeat returns the first message. */
  idempotencyKey?: string;
  /** The message to reply to: our message id (one this hub stored, turned into the provider's) or the provider's id. */
  replyTo?: string;
  /** Who sends it (operator id, or `bot`): credited in the response-time SLA. @default the conversation's assignee */
  sentBy?: string;
  metadata?: Record<string, unknown>;
  /**
   * Send into this conversation of the contact on this channel — e.g. one of several Avito chats (one per listing)
   * of the same buyer. @default the contact's newest conversation on the channel
   */
  conversationId?: string;
  /**
   * What the message is for: `marketing` (a mailing), `service` (about the customer's car or visit) or
   * `transactional`. Marketing messages need recorded consent where {@link OmnidealerOptions.consentRequired} says so
   * and count toward {@link OmnidealerOptions.frequencyCaps}. @default 'transactional'
   */
  kind?: string;
  /**
   * The frequency-cap claim this send belongs to, when the caller took it first (a cascade claims once for all its
   * steps): the send then does not count again.
   */
  frequencyClaim?: string;
}

/** Assignment / hand-off of a conversation. The history is appended, never replaced. */
export interface AssignInput {
  assignee?: string;
  department?: string;
  /** `operator` puts the chat in the operators' queue; `bot` hands it back. @default 'operator' when an assignee is given */
  handler?: Conversation['handler'];
  by?: string;
  note?: string;
}

/** What {@link Omnidealer.handOff} takes: the branch to move the conversation to, and who takes it there. */
export interface HandOffInput {
  /** The branch the conversation moves to. */
  branchId: string;
  /** The operator of that branch who takes the chat. @default nobody: it waits in the branch's operators' queue */
  operatorId?: string;
  /** Who handed it off (an operator id), kept in the history. */
  by?: string;
  /** Why, kept in the history (e.g. "wants a test drive in the south showroom"). */
  note?: string;
}

/** Per contact and channel: how often messages got through, used by the cascade to weight expected cost. */
export interface ReachStats {
  /** Messages delivered (a read without a delivery counts as one). */
  delivered: number;
  failed: number;
  /** Messages the provider accepted: the trials the cascade's reach model divides by (absent in older records). */
  sent?: number | undefined;
  /** Messages read (where the channel reports reads). */
  read?: number | undefined;
  /** When the last outcome was counted: the cascade's reach model lets old evidence fade from it. */
  lastAt?: number | undefined;
  /** Last permanent failure reason (`not_on_channel`, `bounced`, `opted_out`…). */
  lastFailure?: string | undefined;
  lastFailureAt?: number | undefined;
}

/** The hub: one object a CRM talks to, whatever the channel. */
export interface Omnidealer {
  readonly store: Store;
  readonly clock: Clock;
  readonly channels: ReadonlyMap<string, Channel>;
  /** The dealer group's branches by id (see {@link OmnidealerOptions.branches}); empty for a single dealer. */
  readonly branches: ReadonlyMap<string, Branch>;
  /** The branch a channel is bound to, or undefined for a channel of the whole group (or an unknown id). */
  branchOf(channelId: string): Branch | undefined;
  on<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): this;
  once<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): this;
  off<E extends keyof HubEvents>(event: E, listener?: HubEvents[E]): this;
  /**
   * Validates, stores (outbox), rate-limits, sends with retries and records the outcome.
   * Resolves with the stored message: `sent` when the provider accepted it, `failed` with `error` when it refused.
   * @throws ValidationError for bad input, WindowClosedError / UnreachableRecipientError when the channel cannot
   * reach the contact — all before any network call and before anything is stored.
   */
  send(input: SendInput): Promise<Message>;
  /** Whether a channel can reach a contact with this content now, and why not. Never calls the network. */
  canReach(channelId: string, contact: ContactInput, content: MessageContentInput): Promise<Reachability>;
  /** The channel's exact price for this content to this contact. */
  estimateCost(channelId: string, contact: ContactInput, content: MessageContentInput): Promise<CostEstimate>;
  /**
   * Handles one provider webhook delivery (web-standard Request → Response). Never throws. `route` is a channel id,
   * or a provider name (`whatsapp`, `avito`, `max`, `telegram`, `vk`) for the route that provider's instances share:
   * the delivery goes to the instance(s) it names (`Channel.claimWebhook`), and one for an account no channel holds
   * is refused and emits `webhook.unrouted`. A channel id wins over a provider name.
   */
  handleWebhook(route: string, request: Request): Promise<Response>;
  /** Assigns or hands off a conversation; the full history is kept. */
  assign(conversationId: string, input: AssignInput): Promise<Conversation>;
  /**
   * Moves a conversation to another branch of the group: the same conversation, its messages untouched, now the
   * branch's (`branchId`), assigned to `operatorId` or waiting in that branch's queue. The move is kept in
   * `handOffs` and the assignment history; `conversation.handed_off` is emitted.
   * @throws ValidationError for an unknown conversation or branch, or the branch it is already in
   * @example
   * await hub.handOff(conversation.id, { branchId: 'south', operatorId: 'oleg', note: 'service booking' });
   */
  handOff(conversationId: string, input: HandOffInput): Promise<Conversation>;
  /** Closes a conversation (a new inbound message reopens it). */
  closeConversation(conversationId: string): Promise<Conversation>;
  /**
   * Marks a conversation's inbound messages read (and tells the provider where supported); `typingIndicator` also
   * shows the contact that a reply is being written, where the channel can (WhatsApp).
   * @example
   * await hub.markRead(conversation.id, { typingIndicator: true }); // then generate and send the reply
   */
  markRead(conversationId: string, options?: MarkReadOptions): Promise<Conversation>;
  /** Saves or updates a contact (the CRM's own contact table may stay the source of truth). */
  upsertContact(contact: ContactInput): Promise<Contact>;
  reachStats(contactId: string, channelId: string): Promise<ReachStats>;
  /**
   * The same counts summed over every contact of a channel: the base's aggregate, the prior of the cascade's
   * per-contact reach model.
   */
  reachTotals(channelId: string): Promise<ReachStats>;
  /**
   * A contact by id: the CRM's id, or an id the hub gave a contact that was merged since (it leads to the contact it
   * was merged into).
   */
  getContact(id: string): Promise<Contact | undefined>;
  /**
   * Sets a contact's consent on a channel kind and keeps an audit record: the only way to lift an opt-out (a consent
   * map passed with a send or an upsert never does).
   * @throws ValidationError for an unknown contact or a missing `source`
   * @example await hub.setConsent('crm-42', 'sms', 'granted', { source: 'signed form #1187', at: Date.parse('2026-03-01') });
   */
  setConsent(
    contactId: string,
    channel: string,
    state: Consent,
    options: { source: ConsentSource; at?: number; note?: string },
  ): Promise<Contact>;
  /** Every recorded consent change of a contact, oldest first. */
  consentHistory(contactId: string): Promise<ConsentChange[]>;
  /**
   * Merges contact `mergeId` into `keepId` (one person, two records): conversations, messages, identities, reach
   * history and consent move to `keepId` — where both had an opt-out or a grant, the most restrictive wins — and
   * `mergeId` afterwards leads to `keepId`. Emits `contact.merged`. Atomic on a store with `mergeContacts`.
   * @throws ValidationError for an unknown id or a contact merged with itself; nothing is changed then
   */
  mergeContacts(keepId: string, mergeId: string): Promise<Contact>;
  /**
   * A deep link to a reply-only messenger's bot (MAX, later Telegram and VK) that links the customer's account there to
   * this contact when they press Start: their account id is attached, consent on that channel is recorded `granted`
   * (source `deep_link`) and `contact.linked` is emitted. Send it by SMS or e-mail — through the cascade, so the invite
   * itself is priced. The payload is an opaque, expiring, single-use token. A reused, unknown or expired one links
   * nothing: the customer still gets a conversation, as an unknown contact.
   * @param options.ttlMs how long the link works @default 30 days
   * @throws ValidationError for an unknown contact or a channel without deep links
   */
  inviteLink(contactId: string, channelId: string, options?: { ttlMs?: number }): Promise<InviteLink>;
  /**
   * Claims a place under a contact's frequency cap, atomically in the store (of two mailings started at once, one gets
   * it). `hub.send` with a capped `kind` claims by itself; a cascade claims once for all its steps and passes the claim
   * id as `frequencyClaim`. Resolves with why it was refused, or undefined when granted (or already held by `claimId`).
   */
  claimFrequency(contactId: string, claim: FrequencyClaim): Promise<string | undefined>;
  /** Gives a frequency claim back (the mailing reached nobody), so a later mailing may go. */
  releaseFrequency(contactId: string, claimId: string): Promise<void>;
  /** The capped messages and cascades a contact got, oldest first. */
  mailingHistory(contactId: string): Promise<MailingRecord[]>;
  /**
   * Response-time SLA: time to reply, late replies and missed chats, overall and per operator.
   * @param options.targetMs answer-within target @default 120000 (2 minutes)
   * @param options.since only replies from this time on @default all recorded
   * @param options.branchId only this branch's conversations @default the whole group, with a row per branch
   * @throws ValidationError for an unknown branch
   */
  slaReport(options?: { targetMs?: number; since?: number; branchId?: string }): Promise<SlaReport>;
  /**
   * Finishes outbound messages a crash left `queued` (the outbox). A message whose provider call never started is
   * sent now. One whose call had started (`Message.dispatchedAt`) may already be with the person; WhatsApp and SMS
   * gateways do not de-duplicate, so on those channels it is recorded `sent` with `metadata.unconfirmed` and
   * `metadata.interrupted` instead of being sent twice (at most once), and a cascade falls back if no delivery
   * status arrives in time. Channels whose `capabilities.interruptedSend` is `resend` (e-mail) send it again.
   * Only messages older than `olderThanMs` are taken, so sends still running in this process are left alone.
   * Several machines may run it at once: each message is claimed in the store first (a record with a lease of
   * `claimMs`, taken atomically with `Store.updateRecord`) and read again, so one machine resumes it and the others
   * leave it; a claim whose process died after finishing its message is dropped once its lease ran out. Resolves with
   * the messages this call finished.
   */
  resumeOutbox(options?: ResumeOutboxOptions): Promise<Message[]>;
  /** Stops rate limiters and timers; the hub cannot send afterwards. */
  shutdown(): Promise<void>;
}

/** Options of {@link Omnidealer.resumeOutbox}. */
export interface ResumeOutboxOptions {
  /** Leave messages younger than this: they may still be in flight in this process. @default 60000 */
  olderThanMs?: number;
  /** At most this many messages per call. @default 1000 */
  limit?: number;
  /**
   * What to do with a message whose provider call had started when the process died, for every channel. `assume-sent`
   * (at most once) records it sent, unconfirmed; `resend` (at least once) calls the provider again. @default each
   * channel's `capabilities.interruptedSend`
   */
  interrupted?: 'assume-sent' | 'resend';
  /**
   * How long this process holds a message it resumes before another may take it over (if this one died meanwhile).
   * Keep it above your slowest send, the rate limiter's wait and retries included. @default 600000 (10 minutes)
   */
  claimMs?: number;
}

/** One message (or cascade) of a kind a contact was sent, as kept for frequency caps. */
export interface MailingRecord {
  at: number;
  kind: string;
  campaign?: string | undefined;
  /** Who claimed it: a cascade id, an idempotency key or a message id. */
  claimId?: string | undefined;
  /** The claim id as cascades of earlier versions wrote it. */
  cascadeId?: string | undefined;
}

/** What a frequency claim takes. */
export interface FrequencyClaim {
  kind: string;
  claimId: string;
  campaign?: string | undefined;
  /** @default the hub's `frequencyCaps` for the kind */
  cap?: FrequencyCap | undefined;
}

/** What {@link Omnidealer.inviteLink} makes: the link to send, its start parameter and until when it works. */
export interface InviteLink {
  /** The deep link, e.g. `https://max.ru/autodealer_bot?start=Q2x…`. */
  url: string;
  /** The opaque start parameter it carries. */
  payload: string;
  expiresAt: number;
}
