import EventEmitter from 'eventemitter3';
import { z } from 'zod';
import type { Channel, InboundEvent, OutboundMessage, Reachability, StatusEvent, WebhookRequest } from './channel.js';
import { type Clock, systemClock } from './clock.js';
import { OmnidealerError } from './errors/omnidealer-error.js';
import { type UnreachableReason, UnreachableRecipientError } from './errors/unreachable-recipient-error.js';
import { ValidationError } from './errors/validation-error.js';
import { WebhookError } from './errors/webhook-error.js';
import { WindowClosedError } from './errors/window-closed-error.js';
import type { HubEvents } from './events.js';
import { createId } from './id.js';
import { createRedactingLogger, type Logger, silentLogger } from './logger.js';
import { type Contact, type ContactInput, contactSchema } from './model/contact.js';
import type { Assignment, Conversation } from './model/conversation.js';
import type { Message } from './model/message.js';
import { type MessageContent, type MessageContentInput, messageContentSchema } from './model/message-content.js';
import { canTransition } from './model/message-status.js';
import type { CostEstimate } from './model/money.js';
import { normalizePhone } from './model/phone.js';
import { isPrivateUrl } from './model/public-url.js';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './runtime/rate-limiter.js';
import { type RetryOptions, withRetry } from './runtime/retry.js';
import { computeSlaReport, type ResponseRecord, responderOf, type SlaReport } from './sla.js';
import { createMemoryStore } from './store/memory-store.js';
import { sameData } from './store/same-data.js';
import type { Store } from './store/store.js';
import { timeKey, timeKeyPrefixes } from './store/time-key.js';
import { parseInput } from './validation.js';

/** Options of {@link createOmnidealer}. */
export interface OmnidealerOptions {
  /** The channels this hub sends on, each with a unique `id`. */
  channels: Channel[];
  /** Where state lives. @default an in-memory store */
  store?: Store;
  /** @default the system clock */
  clock?: Clock;
  /** Receives redacted log lines. @default silent */
  logger?: Logger;
  /** Retry policy around every provider call. */
  retry?: RetryOptions;
  /** A Bottleneck Redis/IORedis connection: share channel rate limits across processes. */
  rateLimitConnection?: RateLimiterOptions['connection'];
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

/** Per contact and channel: how often messages got through, used by the cascade to weight expected cost. */
export interface ReachStats {
  delivered: number;
  failed: number;
  /** Last permanent failure reason (`not_on_channel`, `bounced`, `opted_out`…). */
  lastFailure?: string | undefined;
  lastFailureAt?: number | undefined;
}

/** The hub: one object a CRM talks to, whatever the channel. */
export interface Omnidealer {
  readonly store: Store;
  readonly clock: Clock;
  readonly channels: ReadonlyMap<string, Channel>;
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
  /** Handles one provider webhook delivery (web-standard Request → Response). Never throws. */
  handleWebhook(channelId: string, request: Request): Promise<Response>;
  /** Assigns or hands off a conversation; the full history is kept. */
  assign(conversationId: string, input: AssignInput): Promise<Conversation>;
  /** Closes a conversation (a new inbound message reopens it). */
  closeConversation(conversationId: string): Promise<Conversation>;
  /** Marks a conversation's inbound messages read (and tells the provider where supported). */
  markRead(conversationId: string): Promise<Conversation>;
  /** Saves or updates a contact (the CRM's own contact table may stay the source of truth). */
  upsertContact(contact: ContactInput): Promise<Contact>;
  reachStats(contactId: string, channelId: string): Promise<ReachStats>;
  /**
   * Response-time SLA: time to reply, late replies and missed chats, overall and per operator.
   * @param options.targetMs answer-within target @default 120000 (2 minutes)
   * @param options.since only replies from this time on @default all recorded
   */
  slaReport(options?: { targetMs?: number; since?: number }): Promise<SlaReport>;
  /**
   * Finishes outbound messages a crash left `queued` (the outbox). A message whose provider call never started is
   * sent now. One whose call had started (`Message.dispatchedAt`) may already be with the person; WhatsApp and SMS
   * gateways do not de-duplicate, so on those channels it is recorded `sent` with `metadata.unconfirmed` and
   * `metadata.interrupted` instead of being sent twice (at most once), and a cascade falls back if no delivery
   * status arrives in time. Channels whose `capabilities.interruptedSend` is `resend` (e-mail) send it again.
   * Only messages older than `olderThanMs` are taken, so sends still running in this process are left alone.
   */
  resumeOutbox(options?: ResumeOutboxOptions): Promise<Message[]>;
  /** Stops rate limiters and timers; the hub cannot send afterwards. */
  shutdown(): Promise<void>;
}

const sendInputSchema = z.object({
  channel: z.string().min(1),
  contact: contactSchema,
  content: messageContentSchema,
  idempotencyKey: z.string().min(1).max(256).optional(),
  replyTo: z.string().min(1).optional(),
  sentBy: z.string().min(1).max(200).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  conversationId: z.string().min(1).optional(),
});

const assignInputSchema = z
  .object({
    assignee: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    handler: z.enum(['bot', 'operator']).optional(),
    by: z.string().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** A status waiting for its message (see applyStatus), with when it was parked. */
type ParkedStatus = StatusEvent & { parkedAt: number };
/** Parked statuses are swept for expired ones once per this many parks. */
const parkedSweepEvery = 256;

const reachNamespace = 'reach';
const responseNamespace = 'sla-response';

/** True when merging `update` into `target` (`{ ...target, ...update }`) would leave the same plain data. */
function coversData(target: Record<string, unknown> | undefined, update: Record<string, unknown>): boolean {
  for (const key in update) if (Object.hasOwn(update, key) && !sameData(target?.[key], update[key])) return false;
  return true;
}

/** One channel's held provider message ids → deliveries waiting for each (null while none waits). */
type KeyLocks = Map<string, Array<() => void> | null>;

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
}

/** Saves what `update` makes of `current` (nothing when it returns undefined); resolves with the value as it now is. */
async function writeChange<T>(
  current: T | undefined,
  update: (current: T | undefined) => T | undefined,
  save: (next: T) => Promise<void>,
): Promise<T | undefined> {
  const next = update(current);
  if (next !== undefined) await save(next);
  return next ?? current;
}

/**
 * Creates the hub.
 * @example
 * const hub = createOmnidealer({ channels: [createWhatsAppChannel({ … })] });
 * hub.on('message.received', ({ message }) => crm.addToTimeline(message));
 * await hub.send({ channel: 'whatsapp', contact: { id: 'c1', phone: '+79161234567' },
 *   content: { type: 'template', name: 'booking_reminder', language: 'ru', params: ['Иван'] } });
 */
export function createOmnidealer(options: OmnidealerOptions): Omnidealer {
  const store = options.store ?? createMemoryStore();
  const clock = options.clock ?? systemClock;
  const logger = createRedactingLogger(options.logger ?? silentLogger);
  const emitter = new EventEmitter();
  const bodyLimit = options.webhookBodyLimitBytes ?? 1024 * 1024;
  const parkedStatusTtlMs = options.parkedStatusTtlMs ?? 60 * 60 * 1000;
  let parkedSinceSweep = 0;
  const slaRetentionMs = options.slaRetentionMs ?? 90 * 24 * 60 * 60 * 1000;
  if (!(slaRetentionMs > 0))
    throw new ValidationError({ field: 'slaRetentionMs', message: 'slaRetentionMs must be a positive number of ms' });
  /** Response records expire in steps of a power of ten ms near 1 % of the retention: few key prefixes per sweep. */
  const responseSweepStepMs = 10 ** Math.max(0, Math.floor(Math.log10(slaRetentionMs / 100)));
  /** Response records older than this were deleted by this process (0 until its first sweep). */
  let responsesSweptBefore = 0;
  /** The running sweep of response records, awaited by shutdown. */
  let responseSweep: Promise<void> | undefined;
  const channels = new Map<string, Channel>();
  for (const channel of options.channels) {
    if (channels.has(channel.id))
      throw new ValidationError({ field: 'channels', message: `duplicate channel id "${channel.id}"` });
    channels.set(channel.id, channel);
  }
  const durable = store.durable !== false;
  const limiters = new Map<string, RateLimiter>();
  const inFlight = new Map<string, Promise<Message>>();
  /** Message ids being dispatched by this process: the outbox resume skips them. */
  const inFlightIds = new Set<string>();
  function trackInFlight(id: string, running: Promise<Message>): Promise<Message> {
    inFlightIds.add(id);
    return running.finally(() => inFlightIds.delete(id));
  }
  /**
   * Serialises work on one provider message id so duplicates and out-of-order statuses apply one at a time. Per
   * channel, a held provider message id maps to the wake-up calls of the deliveries waiting for it (null while none
   * waits), so taking and releasing a key nobody else wants allocates nothing — not even a composite key string.
   */
  const keyLocks = new Map<string, KeyLocks>();
  /** Inbound senders being applied, across channels (see applyDelivered). */
  const senderLocks: KeyLocks = new Map();
  /**
   * Held while a contact's conversation on a channel is found or opened, or read and written back: by sends, by the
   * update after a provider call and by inbound messages, so none of them opens a second conversation or overwrites
   * another's change (see conversationKey).
   */
  const conversationLocks: KeyLocks = new Map();
  const conversationKey = (channelId: string, contactId: string) => `${channelId}\n${contactId}`;
  /** Records of new senders whose contact is being created (see createSenderContact). */
  const senderClaims = 'sender-claim';
  /**
   * Held while a contact is read, changed and saved back: by a send's merge, an opt-out, a send's canonical address and
   * an inbound message's new facts, so none of them overwrites another's change (a lost opt-out would message someone
   * who said stop). Nothing else is taken while it is held.
   */
  const contactLocks: KeyLocks = new Map();
  /**
   * The store's atomic changes (see Store.updateContact), or the same as a read and a write: the hub calls them holding
   * the contact's or the conversation's lock, which makes them atomic within this process (across processes, only the
   * store's own are).
   */
  const updateContact: NonNullable<Store['updateContact']> =
    store.updateContact?.bind(store) ??
    (async (id, update) => writeChange(await store.getContact(id), update, (next) => store.saveContact(next)));
  const openConversation: NonNullable<Store['openConversation']> =
    store.openConversation?.bind(store) ??
    (async (contactId, channelId, externalId, update) =>
      writeChange(await store.findConversation(contactId, channelId, externalId), update, (next) =>
        store.saveConversation(next),
      ));
  const updateConversation: NonNullable<Store['updateConversation']> =
    store.updateConversation?.bind(store) ??
    (async (id, update) => writeChange(await store.getConversation(id), update, (next) => store.saveConversation(next)));

  function keyLocksOf(channelId: string): KeyLocks {
    let locks = keyLocks.get(channelId);
    if (!locks) keyLocks.set(channelId, (locks = new Map()));
    return locks;
  }

  /** Takes the key; returns a promise to await first when another delivery holds it (it is handed over in order). */
  function withKeyLock(locks: KeyLocks, key: string): Promise<void> | undefined {
    const waiters = locks.get(key);
    if (waiters === undefined) {
      locks.set(key, null);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      if (waiters) waiters.push(resolve);
      else locks.set(key, [resolve]);
    });
  }

  function releaseKeyLock(locks: KeyLocks, key: string): void {
    const next = locks.get(key)?.shift();
    if (next) next();
    else locks.delete(key);
  }

  /** Runs `work` holding `key`, after whoever holds or waits for it before. */
  async function holding<T>(locks: KeyLocks, key: string, work: () => Promise<T>): Promise<T> {
    const held = withKeyLock(locks, key);
    if (held) await held;
    try {
      return await work();
    } finally {
      releaseKeyLock(locks, key);
    }
  }

  function channelOf(id: string): Channel {
    const channel = channels.get(id);
    if (!channel)
      throw new ValidationError({
        field: 'channel',
        message: `unknown channel "${id}"; known: ${[...channels.keys()].join(', ')}`,
      });
    return channel;
  }

  function limiterOf(channel: Channel): RateLimiter {
    let limiter = limiters.get(channel.id);
    if (!limiter) {
      limiter = createRateLimiter({
        id: `omnidealer:${channel.kind}:${channel.accountId}`,
        ...channel.rateLimit,
        connection: options.rateLimitConnection,
      });
      limiters.set(channel.id, limiter);
    }
    return limiter;
  }

  /** Capability checks shared by every channel, then the channel's own. */
  function validateForChannel(channel: Channel, content: MessageContent, contact: Contact): void {
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
    if (content.type === 'media' && content.url && !options.allowPrivateMediaUrls && isPrivateUrl(content.url)) {
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

  /** `stored` updated with what the caller passed (identities merged, not replaced). */
  function mergeContact(stored: Contact | undefined, contact: Contact): Contact {
    const merged: Contact = stored ? { ...stored, ...contact } : contact;
    if (stored?.identities && contact.identities) merged.identities = { ...stored.identities, ...contact.identities };
    return merged;
  }

  /**
   * Reads a contact again, changes it and saves it in one step (see contactLocks). `change` gets the stored copy
   * (undefined if there is none) and returns the contact to save, or undefined to leave it as it is; a change that
   * changes nothing is not written. Resolves with the contact as stored afterwards.
   */
  async function rewriteContact(
    id: string,
    change: (stored: Contact | undefined) => Contact | undefined,
  ): Promise<Contact | undefined> {
    return holding(contactLocks, id, () =>
      updateContact(id, (stored) => {
        const changed = change(stored);
        return changed === undefined || (stored !== undefined && sameData(stored, changed)) ? undefined : changed;
      }),
    );
  }

  async function conversationFor(channel: Channel, contact: Contact, externalId?: string): Promise<Conversation | undefined> {
    return store.findConversation(contact.id, channel.id, externalId);
  }

  function newConversation(channel: Channel, contactId: string, now: number, externalId?: string): Conversation {
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

  async function recordReach(
    contactId: string,
    channelId: string,
    outcome: 'delivered' | 'failed',
    failure?: string,
  ): Promise<void> {
    const failedAt = clock.now();
    // Atomic: two outcomes for one contact and channel (a webhook batch, several workers) both count.
    await store.updateRecord<ReachStats>(reachNamespace, `${contactId}:${channelId}`, (current) => {
      const stats = current ?? { delivered: 0, failed: 0 };
      if (outcome === 'delivered') stats.delivered += 1;
      else {
        stats.failed += 1;
        if (failure) {
          stats.lastFailure = failure;
          stats.lastFailureAt = failedAt;
        }
      }
      return stats;
    });
  }

  function failureReason(
    error: { code: string; providerCode?: string | number | undefined; reason?: string | undefined } | undefined,
    fromError?: unknown,
  ): string | undefined {
    if (UnreachableRecipientError.isInstance(fromError)) return fromError.reason;
    if (!error) return undefined;
    if (error.reason) return error.reason;
    if (error.code === 'unreachable_recipient') return 'not_on_channel';
    return error.code;
  }

  /**
   * Records a message as sent without the provider's confirmation (its answer was lost, or the process died mid-call):
   * sending again could deliver twice. With no provider id its statuses cannot be matched; a cascade's deadline
   * decides whether to fall back.
   */
  async function recordUnconfirmed(message: Message, flags: Record<string, true>): Promise<Message> {
    const now = clock.now();
    const sent: Message = {
      ...message,
      status: 'sent',
      metadata: { ...message.metadata, ...flags },
      updatedAt: now,
      statusTimes: { ...message.statusTimes, sent: now },
    };
    await store.saveMessage(sent);
    emitter.emit('message.sent', { message: sent });
    return sent;
  }

  async function dispatch(
    channel: Channel,
    queued: Message,
    contact: Contact,
    conversation: Conversation,
    to: string,
  ): Promise<Message> {
    let message = queued;
    const outbound: OutboundMessage = {
      id: message.id,
      to,
      contact,
      content: message.content,
      conversation,
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    };
    const limiter = limiterOf(channel);
    try {
      const result = await withRetry(
        () =>
          limiter.schedule(to, async () => {
            if (durable && message.dispatchedAt === undefined) {
              // Committed before the call: after a crash the outbox knows the provider may already have it.
              message = { ...message, dispatchedAt: clock.now() };
              await store.saveMessage(message);
            }
            return channel.doSend(outbound, {});
          }),
        options.retry,
        (error, attempt) =>
          logger.warn(`${channel.id}: attempt ${attempt} failed, retrying`, {
            code: error.code,
            providerCode: error.providerCode,
          }),
      );
      const now = clock.now();
      const sent: Message = {
        ...message,
        status: result.status,
        providerMessageId: result.providerMessageId,
        ...(result.cost ? { cost: result.cost } : {}),
        updatedAt: now,
        statusTimes: { ...message.statusTimes, [result.status]: now },
      };
      await store.saveMessage(sent);
      if (
        result.canonicalAddress &&
        channel.capabilities.address === 'phone' &&
        contact.identities?.[channel.kind] !== result.canonicalAddress
      ) {
        const address = result.canonicalAddress;
        // Read again: `contact` is from before the provider call, and an opt-out may have come in since.
        await rewriteContact(contact.id, (stored = contact) =>
          stored.identities?.[channel.kind] === address
            ? undefined
            : { ...stored, identities: { ...stored.identities, [channel.kind]: address } },
        );
      }
      const { current: fresh } = await rewriteConversation(conversation, (fresh) => {
        const { awaitingReplySince: _, ...withoutWait } = fresh;
        return {
          ...withoutWait,
          lastOutboundAt: now,
          ...(fresh.firstInboundAt !== undefined && fresh.firstResponseMs === undefined
            ? { firstResponseMs: now - fresh.firstInboundAt }
            : {}),
          updatedAt: now,
        };
      });
      const { awaitingReplySince } = fresh;
      if (awaitingReplySince !== undefined) {
        const sentBy = message.metadata?.sentBy;
        const response: ResponseRecord = {
          conversationId: fresh.id,
          channel: channel.id,
          responder: typeof sentBy === 'string' ? sentBy : responderOf(fresh),
          waitingSince: awaitingReplySince,
          respondedAt: now,
          waitedMs: Math.max(0, now - awaitingReplySince),
          first: fresh.firstResponseMs === undefined,
        };
        // Keys sort by time, so a report for a period reads a prefix-ordered range.
        await store.putRecord(responseNamespace, `${timeKey(now)}:${message.id}`, response);
        // In the background: the send does not wait for old records to be deleted.
        if (responseSweep === undefined && expiredResponsesBefore() > responsesSweptBefore)
          responseSweep = sweepResponses().finally(() => {
            responseSweep = undefined;
          });
      }
      emitter.emit('message.sent', { message: sent });
      // A status webhook may have raced ahead of the provider's HTTP answer: apply what was parked for this id.
      if (await applyParked(channel, result.providerMessageId)) return (await store.getMessage(message.id)) ?? sent;
      return sent;
    } catch (error) {
      const typed = OmnidealerError.isInstance(error) ? error : undefined;
      if (!typed) logger.error(`${channel.id}: unexpected error while sending`, { error: String(error) });
      const now = clock.now();
      if (typed?.code === 'response_lost') {
        // The provider accepted the send but its answer (with the provider id) was lost. Sending again would
        // deliver twice, so the message counts as sent, unconfirmed; with no id, its statuses cannot be matched and
        // the cascade's deadline decides whether to fall back.
        logger.warn(`${channel.id}: provider answer lost after it accepted the message; not resending`, { id: message.id });
        return recordUnconfirmed(message, { unconfirmed: true });
      }
      const failed: Message = {
        ...message,
        status: 'failed',
        error: {
          code: typed?.code ?? 'internal',
          message: typed?.message ?? 'unexpected error',
          ...(typed?.providerCode !== undefined ? { providerCode: typed.providerCode } : {}),
          retryable: typed?.retryable ?? false,
        },
        updatedAt: now,
        statusTimes: { ...message.statusTimes, failed: now },
      };
      await store.saveMessage(failed);
      await recordReach(contact.id, channel.id, 'failed', failureReason(failed.error, error));
      emitter.emit('message.failed', { message: failed, error: typed });
      return failed;
    }
  }

  /**
   * Another process may be between claiming a key and storing what it claimed it for (a message, a contact): give it a
   * moment before concluding it died.
   */
  async function waitForStored<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const stored = await read();
      if (stored || attempt === 19) return stored;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
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
      };

  /** The part of a send that must not overlap another send to the same contact on the same channel (see `send`). */
  async function openSend(parsed: z.output<typeof sendInputSchema>, channel: Channel, now: number): Promise<OpenedSend> {
    const stored = await store.getContact(parsed.contact.id);
    let merged = mergeContact(stored, parsed.contact);
    let conversation = parsed.conversationId
      ? await store.getConversation(parsed.conversationId)
      : await conversationFor(channel, merged);
    if (parsed.conversationId && (conversation?.contactId !== merged.id || conversation.channel !== channel.id)) {
      throw new ValidationError({
        channel: channel.kind,
        field: 'conversationId',
        message: `conversation "${parsed.conversationId}" is not this contact's on ${channel.id}`,
      });
    }
    const reach = channel.canReach({ contact: merged, content: parsed.content, now, conversation });
    if (!reach.reachable) throwUnreachable(channel, reach);
    const content: MessageContent =
      parsed.content.type === 'reaction'
        ? { ...parsed.content, messageId: await providerIdOf(channel, parsed.content.messageId, 'content.messageId') }
        : parsed.content;
    const replyTo = parsed.replyTo === undefined ? undefined : await providerIdOf(channel, parsed.replyTo, 'replyTo');
    let messageId = createId('msg');
    if (parsed.idempotencyKey) {
      const existingId = await store.claimIdempotencyKey(parsed.idempotencyKey, messageId);
      if (existingId !== undefined) {
        const existing = await waitForStored(() => store.getMessage(existingId));
        if (existing) return { existing };
        // The process that claimed the key died before storing its message (the claim and the outbox write are
        // two steps): take the claim over under the same message id, so the key still maps to one message.
        logger.warn('idempotency key held by a message that was never stored; taking it over', { messageId: existingId });
        messageId = existingId;
      }
    }
    // A repeat send to a known contact changes nothing about it: skip the write (on a durable store, a commit).
    // Otherwise merge again into a fresh read as it is written: an opt-out may have come in since the read above.
    if (!stored || !sameData(stored, merged))
      merged = (await rewriteContact(merged.id, (current) => mergeContact(current, parsed.contact))) ?? merged;
    if (!conversation) {
      const opening = newConversation(
        channel,
        merged.id,
        now,
        channel.capabilities.address === 'chat' ? reach.address : undefined,
      );
      // Another process sharing the store may have opened one since the read above: then that one is used.
      conversation = (await openConversation(merged.id, channel.id, undefined, (newest) => newest ?? opening)) ?? opening;
      if (conversation.id === opening.id) emitter.emit('conversation.opened', { conversation });
    }
    return { merged, conversation, reach, content, replyTo, messageId };
  }

  async function send(input: SendInput): Promise<Message> {
    const parsed = parseInput(sendInputSchema, input, '');
    const channel = channelOf(parsed.channel);
    const contact = parsed.contact;
    validateForChannel(channel, parsed.content, contact);
    if (parsed.idempotencyKey) {
      const running = inFlight.get(parsed.idempotencyKey);
      if (running) return running;
    }
    const run = (async () => {
      const now = clock.now();
      // Sends to one contact on one channel find or open its conversation one at a time: sends that start together to
      // a new contact share one conversation instead of each opening its own. The provider calls still overlap.
      const opened = await holding(conversationLocks, conversationKey(channel.id, contact.id), () =>
        openSend(parsed, channel, now),
      );
      if ('existing' in opened) return opened.existing;
      const { merged, conversation, reach, content, replyTo, messageId } = opened;
      const estimate = safeEstimate(channel, content, merged, conversation, now);
      const message: Message = {
        id: messageId,
        conversationId: conversation.id,
        contactId: merged.id,
        direction: 'outbound',
        channel: channel.id,
        content,
        status: 'queued',
        ...(parsed.idempotencyKey ? { idempotencyKey: parsed.idempotencyKey } : {}),
        ...(estimate ? { cost: estimate.money } : {}),
        ...(replyTo ? { replyTo } : {}),
        ...(parsed.metadata || parsed.sentBy
          ? { metadata: { ...parsed.metadata, ...(parsed.sentBy ? { sentBy: parsed.sentBy } : {}) } }
          : {}),
        createdAt: now,
        updatedAt: now,
        statusTimes: { queued: now },
      };
      // Outbox: the message is committed before the provider is called, so a crash leaves it `queued`, not lost.
      await store.saveMessage(message);
      return trackInFlight(message.id, dispatch(channel, message, merged, conversation, reach.address));
    })();
    if (parsed.idempotencyKey) {
      const key = parsed.idempotencyKey;
      inFlight.set(key, run);
      void run.finally(() => inFlight.delete(key)).catch(() => undefined);
    }
    return run;
  }

  /**
   * The provider's id of a message referred to by a reaction or a reply: our message id (one this hub stored) becomes
   * the provider's id on this channel; any other id is taken as the provider's own. Checked before anything is stored
   * or sent.
   */
  async function providerIdOf(channel: Channel, id: string, field: string): Promise<string> {
    const message = await store.getMessage(id);
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

  function safeEstimate(
    channel: Channel,
    content: MessageContent,
    contact: Contact,
    conversation: Conversation | undefined,
    now: number,
  ) {
    try {
      return channel.estimateCost(content, contact, { conversation, now });
    } catch (error) {
      logger.warn(`${channel.id}: cost estimate failed`, { error: String(error) });
      return undefined;
    }
  }

  /**
   * Applies the statuses parked for a provider id. They are taken and deleted in one atomic step, so when the sender
   * and a webhook both look, exactly one of them applies each status. Resolves with whether there were any.
   */
  async function applyParked(channel: Channel, providerMessageId: string): Promise<boolean> {
    const key = `${channel.id}:${providerMessageId}`;
    // A plain read first: nearly always nothing is parked, and the atomic take is a write (a commit on a durable
    // store). Seeing nothing is safe — a status parked after this read finds the message already saved and applies
    // itself (see applyStatus).
    if ((await store.getRecord<ParkedStatus[]>('parked-status', key)) === undefined) return false;
    let parked: ParkedStatus[] | undefined;
    await store.updateRecord<ParkedStatus[]>('parked-status', key, (current) => {
      parked = current;
      return undefined;
    });
    const events: ParkedStatus[] = parked ?? [];
    for (const { parkedAt: _, ...event } of events) await applyStatus(channel, event);
    return events.length > 0;
  }

  /** Response records before this time have expired: the retention ago, rounded down to the sweep step. */
  function expiredResponsesBefore(): number {
    if (slaRetentionMs === Number.POSITIVE_INFINITY) return 0;
    return Math.floor((clock.now() - slaRetentionMs) / responseSweepStepMs) * responseSweepStepMs;
  }

  /**
   * Deletes response records older than `slaRetentionMs`. Keys start with their time, so only the key range that
   * expired since this process last swept is read (a few index ranges on a durable store); the first sweep of a
   * process reads everything expired, which an earlier process has mostly deleted already. Never throws.
   */
  async function sweepResponses(): Promise<void> {
    const from = responsesSweptBefore;
    const before = expiredResponsesBefore();
    responsesSweptBefore = before;
    try {
      for (const prefix of timeKeyPrefixes(from, before))
        for (const { key } of await store.listRecords(responseNamespace, prefix))
          await store.putRecord(responseNamespace, key, undefined);
    } catch (error) {
      responsesSweptBefore = from;
      logger.warn('sla: deleting expired response records failed; retrying on a later reply', { error: String(error) });
    }
  }

  /** Drops parked statuses older than `parkedStatusTtlMs`: their message was never sent by this hub. */
  async function sweepParked(): Promise<void> {
    const cutoff = clock.now() - parkedStatusTtlMs;
    // Statuses parked by an older version carry no time: they count as expired.
    const expired = (parked: ParkedStatus[] | undefined) => parked?.every((event) => (event.parkedAt ?? 0) < cutoff) === true;
    for (const { key, value } of await store.listRecords<ParkedStatus[]>('parked-status')) {
      if (expired(value))
        await store.updateRecord<ParkedStatus[]>('parked-status', key, (current) => (expired(current) ? undefined : current));
    }
  }

  async function applyStatus(channel: Channel, event: StatusEvent): Promise<void> {
    const message = await store.findMessageByProviderId(channel.id, event.providerMessageId);
    if (!message) {
      // Park it: the provider's HTTP answer for this message may still be on its way.
      const key = `${channel.id}:${event.providerMessageId}`;
      const entry: ParkedStatus = { ...event, parkedAt: clock.now() };
      await store.updateRecord<ParkedStatus[]>('parked-status', key, (parked) => [...(parked ?? []), entry]);
      // Now and then, drop what waited too long (a sweep reads every parked record, so not on every park).
      if (++parkedSinceSweep >= parkedSweepEvery) {
        parkedSinceSweep = 0;
        await sweepParked();
      }
      // The sender may have saved the message and looked for parked statuses while this one was being parked.
      if (
        (await store.findMessageByProviderId(channel.id, event.providerMessageId)) &&
        (await applyParked(channel, event.providerMessageId))
      )
        return;
      emitter.emit('message.status.unmatched', {
        channel: channel.id,
        providerMessageId: event.providerMessageId,
        status: event.status,
      });
      return;
    }
    if (!canTransition(message.status, event.status)) {
      // A complaint or bounce after `delivered` cannot move the message back, but it still tells us about the person.
      if (event.status === 'failed' && event.error?.reason) await noteUnreachable(channel, message.contactId, event.error.reason);
      // Not a transition (duplicate or late), but keep the first time each status was seen for reports.
      if (message.statusTimes?.[event.status] === undefined && event.status !== 'failed' && message.status !== 'failed') {
        await store.saveMessage({ ...message, statusTimes: { ...message.statusTimes, [event.status]: event.at } });
      }
      return;
    }
    const previous = message.status;
    // The store handed out a copy: it is ours to update.
    const updated = message;
    const statusTimes = { ...message.statusTimes, [event.status]: event.at };
    // A status that skipped steps implies them (read implies delivered).
    if (event.status === 'read' && statusTimes.delivered === undefined) statusTimes.delivered = event.at;
    updated.status = event.status;
    updated.updatedAt = clock.now();
    updated.statusTimes = statusTimes;
    // Repeated pricing (read after delivered) leaves the stored values as they are, so the store need not copy them.
    if (event.cost && !sameData(message.cost, event.cost)) updated.cost = event.cost;
    if (event.error) updated.error = event.error;
    if (event.metadata && !coversData(message.metadata, event.metadata))
      updated.metadata = { ...message.metadata, ...event.metadata };
    await store.saveMessage(updated);
    if (event.status === 'delivered' || (event.status === 'read' && previous !== 'delivered')) {
      await recordReach(message.contactId, channel.id, 'delivered');
    }
    emitter.emit('message.status', { message: updated, previous });
    if (event.status === 'failed') {
      if (event.error?.reason) await noteUnreachable(channel, message.contactId, event.error.reason);
      else await recordReach(message.contactId, channel.id, 'failed', failureReason(event.error));
      emitter.emit('message.failed', { message: updated, error: undefined });
    }
  }

  /** Records a permanent failure for the cascade; an opt-out also becomes the contact's consent on that channel. */
  async function noteUnreachable(channel: Channel, contactId: string, reason: string): Promise<void> {
    await recordReach(contactId, channel.id, 'failed', reason);
    if (reason !== 'opted_out') return;
    await rewriteContact(contactId, (contact) =>
      contact && contact.consent?.[channel.kind] !== 'opted_out'
        ? { ...contact, consent: { ...contact.consent, [channel.kind]: 'opted_out' } }
        : undefined,
    );
  }

  /** The sender's account id when the provider gives one, namespaced so it never matches a phone or a chat id. */
  function senderAccount(channel: Channel, event: InboundEvent): string | undefined {
    return event.senderId ? `${channel.kind}-user:${event.senderId}` : undefined;
  }

  /** Who sent an inbound message, as one key: the account id when the provider gives one, else the phone or address. */
  function senderKey(channel: Channel, event: InboundEvent): string {
    return senderAccount(channel, event) ?? event.phone ?? event.from;
  }

  async function contactForInbound(channel: Channel, event: InboundEvent): Promise<Contact> {
    const sender = senderAccount(channel, event);
    const find = async () =>
      (await store.findContactByAddress(event.from)) ??
      (event.conversationExternalId ? await store.findContactByAddress(event.conversationExternalId) : undefined) ??
      (sender ? await store.findContactByAddress(sender) : undefined) ??
      (event.phone ? await store.findContactByAddress(normalizePhone(event.phone) ?? event.phone) : undefined);
    let found = await find();
    if (!found) {
      const contact: Contact = { id: createId('contact') };
      learnFromInbound(channel, event, sender, contact);
      found = await createSenderContact(channel, event, contact, find);
      if (found === contact) return contact;
    }
    // A found contact is the store's copy, ours to change. Usually the event tells nothing new and nothing is written;
    // otherwise the change is made again on a fresh read under the contact's lock (an opt-out may be being saved).
    const known = found;
    if (!learnFromInbound(channel, event, sender, { ...known })) return known;
    const updated = await rewriteContact(known.id, (stored = known) => {
      const contact = { ...stored };
      return learnFromInbound(channel, event, sender, contact) ? contact : undefined;
    });
    return updated ?? known;
  }

  /**
   * Saves the contact of a new sender and returns it, or returns the sender's contact another process created meanwhile.
   * Within this process the sender's lock (see applyDelivered) already keeps a second message from creating another;
   * on a durable store, which other processes may share, the first to claim the sender creates it. The claim is a
   * record, taken atomically (updateRecord) and deleted once the contact is saved.
   */
  async function createSenderContact(
    channel: Channel,
    event: InboundEvent,
    contact: Contact,
    find: () => Promise<Contact | undefined>,
  ): Promise<Contact> {
    if (!durable) {
      await store.saveContact(contact);
      return contact;
    }
    const key = `${channel.kind}:${senderKey(channel, event)}`;
    const claimedBy = (await store.updateRecord<string>(senderClaims, key, (claimed) => claimed ?? contact.id)) ?? contact.id;
    if (claimedBy !== contact.id) {
      const theirs = await waitForStored(() => store.getContact(claimedBy));
      if (theirs) return theirs;
      // The process that claimed the sender died before saving its contact: take the claim over under its id.
      logger.warn('a new sender was claimed by a contact that was never stored; taking it over', { contactId: claimedBy });
      contact.id = claimedBy;
    } else {
      // Created by another process, which released its claim before this one was taken.
      const created = await find();
      if (created) {
        await store.putRecord(senderClaims, key, undefined);
        return created;
      }
    }
    await store.saveContact(contact);
    await store.putRecord(senderClaims, key, undefined);
    return contact;
  }

  /** Adds to `contact` what an inbound message shows about its sender; true if anything was new. */
  function learnFromInbound(channel: Channel, event: InboundEvent, sender: string | undefined, contact: Contact): boolean {
    let changed = false;
    const address = channel.capabilities.address;
    if (address === 'chat') {
      const key = `${channel.kind}ChatIds`;
      const chatId = event.conversationExternalId ?? event.from;
      const list = Array.isArray(contact.identities?.[key]) ? (contact.identities[key] as string[]) : [];
      if (!list.includes(chatId)) {
        contact.identities = { ...contact.identities, [key]: [...list, chatId] };
        changed = true;
      }
    } else if (address === 'phone' && contact.identities?.[channel.kind] !== event.from) {
      contact.identities = { ...contact.identities, [channel.kind]: event.from };
      changed = true;
    }
    if (sender && contact.identities?.[`${channel.kind}User`] !== sender) {
      contact.identities = { ...contact.identities, [`${channel.kind}User`]: sender };
      changed = true;
    }
    if (contact.identities === undefined) {
      contact.identities = {};
      changed = true;
    }
    if (contact.name === undefined && event.profileName) {
      contact.name = event.profileName;
      changed = true;
    }
    if (contact.phone === undefined) {
      const phone = event.phone
        ? normalizePhone(event.phone)
        : address === 'phone'
          ? normalizePhone(`+${event.from.replace(/^\+/, '')}`)
          : undefined;
      if (phone) {
        contact.phone = phone;
        changed = true;
      }
    }
    if (contact.email === undefined && address === 'email') {
      contact.email = event.from.toLowerCase();
      changed = true;
    }
    return changed;
  }

  async function applyInbound(channel: Channel, event: InboundEvent): Promise<void> {
    if (await store.findMessageByProviderId(channel.id, event.providerMessageId)) return;
    const contact = await contactForInbound(channel, event);
    const now = clock.now();
    const { found, conversation } = await holding(conversationLocks, conversationKey(channel.id, contact.id), async () => {
      let found: Conversation | undefined;
      const conversation = await openConversation(contact.id, channel.id, event.conversationExternalId, (newest) => {
        found = newest;
        // A found conversation is the store's copy, ours to update.
        const conversation = newest ?? newConversation(channel, contact.id, now, event.conversationExternalId);
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
    const metadata: Record<string, unknown> = { ...event.metadata, inboundKind: event.kind };
    if (event.payload) metadata.payload = event.payload;
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
    await store.saveMessage(message);
    if (!found) emitter.emit('conversation.opened', { conversation });
    emitter.emit('message.received', { message, conversation });
    if ((event.kind === 'button_reply' || event.kind === 'list_reply') && event.payload) {
      emitter.emit('message.button', { message, conversation, payload: event.payload });
    }
  }

  async function readBody(request: Request): Promise<Uint8Array | undefined> {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > bodyLimit) return undefined;
    if (!request.body) return new Uint8Array();
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > bodyLimit) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return body;
  }

  async function handleWebhook(channelId: string, request: Request): Promise<Response> {
    const channel = channels.get(channelId);
    if (!channel) return new Response('unknown channel', { status: 404 });
    try {
      const body = await readBody(request);
      if (!body)
        throw new WebhookError({ channel: channel.kind, kind: 'too_large', message: `webhook body over ${bodyLimit} bytes` });
      const webhookRequest: WebhookRequest = {
        method: request.method,
        url: new URL(request.url),
        headers: request.headers,
        body,
      };
      const result = await channel.parseWebhook(webhookRequest);
      const events = result.events;
      // Each event holds its own key while it is applied (a status its message's, an inbound message its sender's; see
      // applyDelivered), so one message's statuses and one sender's messages go in order whatever runs beside them. On
      // a durable store the events are therefore applied side by side and their writes share commits; on the memory
      // store nothing waits, so they go one by one.
      if (durable && events.length > 1) {
        const outcomes = await Promise.allSettled(events.map((event) => applyDelivered(channel, event)));
        const failed = outcomes.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      } else {
        for (const event of events) await applyDelivered(channel, event);
      }
      // No body: the provider only reads the status, and a body would cost a stream per delivery.
      return result.response ?? new Response(null, { status: 200 });
    } catch (error) {
      if (WebhookError.isInstance(error) || (OmnidealerError.isInstance(error) && 'status' in error)) {
        const status = (error as WebhookError).status;
        emitter.emit('webhook.rejected', { channel: channel.id, status, reason: (error as Error).message });
        logger.warn(`${channel.id}: webhook rejected`, { status, reason: (error as Error).message });
        return new Response(status === 401 ? 'invalid signature' : (error as Error).message, { status });
      }
      // Our failure, not the provider's: answer 500 so the provider redelivers later.
      logger.error(`${channel.id}: webhook processing failed`, { error: String(error) });
      return new Response('internal error', { status: 500 });
    }
  }

  /**
   * Applies one delivered event under a key lock, unless its delivery key shows it was applied before. A status holds
   * its message's key, so one message's statuses apply in order. An inbound message holds its sender's key, on every
   * channel: a new customer who writes three times at once (three deliveries) gets one contact and one conversation,
   * not three racing to create them.
   */
  async function applyDelivered(channel: Channel, event: StatusEvent | InboundEvent): Promise<void> {
    // Taken and released by hand, not through `holding`: this runs for every webhook event.
    const isStatus = event.type === 'status';
    const locks = isStatus ? keyLocksOf(channel.id) : senderLocks;
    const lockKey = isStatus ? event.providerMessageId : senderKey(channel, event);
    const held = withKeyLock(locks, lockKey);
    if (held) await held;
    try {
      const key = `${channel.id}:${event.type}:${event.providerMessageId}:${isStatus ? event.status : ''}`;
      if (!(await store.markWebhookSeen(key, clock.now()))) {
        emitter.emit('webhook.duplicate', { channel: channel.id, key });
        return;
      }
      try {
        if (isStatus) await applyStatus(channel, event);
        else await applyInbound(channel, event);
      } catch (error) {
        await forgetDeliveryKey(channel, key);
        throw error;
      }
    } finally {
      releaseKeyLock(locks, lockKey);
    }
  }

  /**
   * Forgets the delivery key of an event that failed to apply, before the error answers the provider 500: its
   * redelivery is then applied, not dropped as a duplicate of an event never applied.
   */
  async function forgetDeliveryKey(channel: Channel, key: string): Promise<void> {
    if (!store.forgetWebhookKey) {
      logger.warn(`${channel.id}: the store cannot forget webhook keys; this event's redelivery will be dropped`, { key });
      return;
    }
    try {
      await store.forgetWebhookKey(key);
    } catch (error) {
      logger.error(`${channel.id}: forgetting a webhook key failed; this event's redelivery will be dropped`, {
        key,
        error: String(error),
      });
    }
  }

  /**
   * Reads a conversation again, changes it and saves it under its contact-and-channel lock (see conversationLocks), so
   * the update after a send, an operator's action and an inbound message never overwrite each other's change.
   * `known` is a copy read earlier, which gives the lock's key (and stands in if the store has lost the record).
   */
  async function rewriteConversation(
    known: Conversation,
    change: (current: Conversation) => Conversation,
  ): Promise<{ current: Conversation; updated: Conversation }> {
    return holding(conversationLocks, conversationKey(known.channel, known.contactId), async () => {
      let current = known;
      const updated = await updateConversation(known.id, (stored = known) => {
        current = stored;
        return change(stored);
      });
      return { current, updated: updated as Conversation };
    });
  }

  async function requireConversation(id: string): Promise<Conversation> {
    const conversation = await store.getConversation(id);
    if (!conversation) throw new ValidationError({ field: 'conversationId', message: `unknown conversation "${id}"` });
    return conversation;
  }

  const hub: Omnidealer = {
    store,
    clock,
    channels,
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return hub;
    },
    once(event, listener) {
      emitter.once(event, listener as (...args: unknown[]) => void);
      return hub;
    },
    off(event, listener) {
      emitter.off(event, listener as ((...args: unknown[]) => void) | undefined);
      return hub;
    },
    send,
    async canReach(channelId, contactInput, contentInput) {
      const channel = channelOf(channelId);
      const contact = parseInput(contactSchema, contactInput, 'contact');
      const content = parseInput(messageContentSchema, contentInput, 'content');
      const merged = mergeContact(await store.getContact(contact.id), contact);
      const conversation = await conversationFor(channel, merged);
      return channel.canReach({ contact: merged, content, now: clock.now(), conversation });
    },
    async estimateCost(channelId, contactInput, contentInput) {
      const channel = channelOf(channelId);
      const contact = parseInput(contactSchema, contactInput, 'contact');
      const content = parseInput(messageContentSchema, contentInput, 'content');
      const conversation = await conversationFor(channel, contact);
      return channel.estimateCost(content, contact, { conversation, now: clock.now() });
    },
    handleWebhook,
    async assign(conversationId, input) {
      const parsed = parseInput(assignInputSchema, input, 'assign');
      const now = clock.now();
      const { current: conversation, updated } = await rewriteConversation(
        await requireConversation(conversationId),
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
      emitter.emit('conversation.assigned', {
        conversation: updated,
        previous: { assignee: conversation.assignee, department: conversation.department, handler: conversation.handler } as Pick<
          Conversation,
          'assignee' | 'department' | 'handler'
        >,
      });
      return updated;
    },
    async markRead(conversationId) {
      const known = await requireConversation(conversationId);
      const channel = channelOf(known.channel); // an unknown channel fails before anything is saved
      const { updated } = await rewriteConversation(known, (conversation) => ({
        ...conversation,
        unreadCount: 0,
        updatedAt: clock.now(),
      }));
      emitter.emit('conversation.read', { conversation: updated });
      if (channel.doMarkRead) {
        const messages = await store.listMessages(conversationId, { limit: 50 });
        const lastInbound = messages.filter((message) => message.direction === 'inbound').at(-1);
        if (lastInbound?.providerMessageId) {
          await withRetry(
            () =>
              limiterOf(channel).schedule(lastInbound.contactId, () =>
                channel.doMarkRead!(lastInbound.providerMessageId!, updated),
              ),
            options.retry,
          ).catch((error: unknown) => logger.warn(`${channel.id}: mark read failed`, { error: String(error) }));
        }
      }
      return updated;
    },
    async upsertContact(input) {
      const contact = parseInput(contactSchema, input, 'contact');
      return (await rewriteContact(contact.id, (stored) => mergeContact(stored, contact))) as Contact;
    },
    async reachStats(contactId, channelId) {
      return (await store.getRecord<ReachStats>(reachNamespace, `${contactId}:${channelId}`)) ?? { delivered: 0, failed: 0 };
    },
    async slaReport(reportOptions = {}) {
      const since = reportOptions.since ?? 0;
      // Response keys start with their time, zero-padded: every key from `since` to now shares the two times' common
      // prefix, so only that range is read (an index range on a durable store), not every response ever recorded.
      const from = timeKey(since);
      const to = timeKey(clock.now());
      let common = 0;
      while (common < from.length && from[common] === to[common]) common++;
      const responses = (await store.listRecords<ResponseRecord>(responseNamespace, from.slice(0, common)))
        .map((record) => record.value)
        .filter((response) => response.respondedAt >= since);
      const conversations = await store.listConversations({ status: 'open' });
      return computeSlaReport({
        responses,
        conversations,
        now: clock.now(),
        ...(reportOptions.targetMs !== undefined ? { targetMs: reportOptions.targetMs } : {}),
      });
    },
    async resumeOutbox(resumeOptions = {}) {
      const cutoff = clock.now() - (resumeOptions.olderThanMs ?? 60_000);
      const queued = (await store.listQueuedMessages(resumeOptions.limit ?? 1000)).filter(
        (message) => message.direction === 'outbound' && message.createdAt <= cutoff && !inFlightIds.has(message.id),
      );
      const results: Message[] = [];
      for (const message of queued) {
        const channel = channels.get(message.channel);
        const contact = await store.getContact(message.contactId);
        const conversation = await store.getConversation(message.conversationId);
        if (!channel || !contact || !conversation) {
          logger.warn('outbox: cannot resume a message whose channel, contact or conversation is gone', { id: message.id });
          continue;
        }
        const interrupted = resumeOptions.interrupted ?? channel.capabilities.interruptedSend ?? 'assume-sent';
        if (message.dispatchedAt !== undefined && interrupted === 'assume-sent') {
          logger.warn(`${channel.id}: outbox: the provider call had started before the crash; not resending`, {
            id: message.id,
          });
          results.push(await recordUnconfirmed(message, { unconfirmed: true, interrupted: true }));
          continue;
        }
        const reach = channel.canReach({ contact, content: message.content, now: clock.now(), conversation });
        if (!reach.reachable) {
          const failed: Message = {
            ...message,
            status: 'failed',
            error: { code: reach.reason, message: reach.detail, retryable: false },
            updatedAt: clock.now(),
            statusTimes: { ...message.statusTimes, failed: clock.now() },
          };
          await store.saveMessage(failed);
          emitter.emit('message.failed', { message: failed, error: undefined });
          results.push(failed);
          continue;
        }
        results.push(await trackInFlight(message.id, dispatch(channel, message, contact, conversation, reach.address)));
      }
      return results;
    },
    async closeConversation(conversationId) {
      const { updated } = await rewriteConversation(await requireConversation(conversationId), (conversation) => ({
        ...conversation,
        status: 'closed',
        updatedAt: clock.now(),
      }));
      emitter.emit('conversation.closed', { conversation: updated });
      return updated;
    },
    async shutdown() {
      await responseSweep;
      await Promise.all([...limiters.values()].map((limiter) => limiter.stop()));
      await Promise.all(
        [...channels.values()].map(async (channel) => {
          try {
            await channel.close?.();
          } catch (error) {
            logger.warn(`${channel.id}: close failed`, { error: String(error) });
          }
        }),
      );
      limiters.clear();
      emitter.removeAllListeners();
    },
  };
  return hub;
}
