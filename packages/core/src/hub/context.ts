import type { Channel, InboundEvent } from '../channel.js';
import { type Clock, systemClock } from '../clock.js';
import { ValidationError } from '../errors/validation-error.js';
import { createRedactingLogger, type RedactingLogger, silentLogger } from '../logger.js';
import { type Branch, parseBranches } from '../model/branch.js';
import type { Message } from '../model/message.js';
import { createRateLimiter, type RateLimiter } from '../runtime/rate-limiter.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { warnHiddenProviderRoutes } from './hidden-provider-routes.js';
import { createHubEmitter, type HubEmitter } from './hub-emitter.js';
import type { KeyLocks } from './key-locks.js';
import { createOptOutMatcher } from './opt-out-keywords.js';
import type { OmnidealerOptions } from './types.js';

/**
 * What every part of the hub shares: one per `createOmnidealer` call (no module state). The parts (send, apply-status,
 * apply-inbound, handle-webhook, conversations, SLA records, resume-outbox) are functions taking it.
 */
export interface HubContext {
  readonly options: OmnidealerOptions;
  readonly store: Store;
  readonly clock: Clock;
  /** Redacts every line before the user's logger sees it. */
  readonly logger: RedactingLogger;
  readonly events: HubEmitter;
  readonly channels: ReadonlyMap<string, Channel>;
  /** The dealer group's branches by id (empty for a single dealer). */
  readonly branches: ReadonlyMap<string, Branch>;
  /** The branch each bound channel belongs to, by channel id; a channel missing here belongs to the group. */
  readonly branchOfChannel: ReadonlyMap<string, Branch>;
  /** False for the memory store: nothing survives the process, so crash bookkeeping is skipped. */
  readonly durable: boolean;
  readonly bodyLimitBytes: number;
  readonly parkedStatusTtlMs: number;
  readonly slaRetentionMs: number;
  readonly locks: HubLocks;
  /** The store's atomic changes, or a read and a write done under the hub's own locks (see atomicChangesOf). */
  readonly atomic: Required<Pick<Store, 'updateContact' | 'openConversation' | 'updateConversation'>>;
  readonly limiters: Map<string, RateLimiter>;
  /** True for an inbound text that is an opt-out keyword; undefined when keyword opt-out is off. */
  readonly isOptOutKeyword: ((event: InboundEvent) => boolean) | undefined;
  /** Sends running in this process by idempotency key: a repeat joins the running one. */
  readonly inFlightByKey: Map<string, Promise<Message>>;
  /** Message ids being dispatched by this process: the outbox resume skips them. */
  readonly inFlightIds: Set<string>;
  /** What the background sweeps have done so far in this process. */
  readonly sweeps: {
    parkedSinceSweep: number;
    /** SLA response records older than this were deleted by this process (0 until its first sweep). */
    responsesSweptBefore: number;
    /** The running sweep of response records, awaited by shutdown. */
    responseSweep: Promise<void> | undefined;
  };
}

/**
 * The hub's in-process locks. Each serialises one kind of read-change-write so concurrent work on the same thing
 * applies one at a time; work on different things never waits.
 */
export interface HubLocks {
  /** Per channel, a provider message id: one message's statuses and duplicates apply in order. */
  readonly statuses: Map<string, KeyLocks>;
  /** Inbound senders being applied, across channels: a new customer's burst makes one contact. */
  readonly senders: KeyLocks;
  /** A contact's conversation on a channel being found, opened, or read and written back (see conversationKey). */
  readonly conversations: KeyLocks;
  /** A contact being read, changed and saved back: a lost opt-out would message someone who said stop. */
  readonly contacts: KeyLocks;
}

export function createHubContext(options: OmnidealerOptions): HubContext {
  const slaRetentionMs = options.slaRetentionMs ?? 90 * 24 * 60 * 60 * 1000;
  if (!(slaRetentionMs > 0))
    throw new ValidationError({ field: 'slaRetentionMs', message: 'slaRetentionMs must be a positive number of ms' });
  const channels = new Map<string, Channel>();
  for (const channel of options.channels) {
    if (channels.has(channel.id))
      throw new ValidationError({ field: 'channels', message: `duplicate channel id "${channel.id}"` });
    channels.set(channel.id, channel);
  }
  const branches = parseBranches(options.branches, new Set(channels.keys()));
  const store = options.store ?? createMemoryStore();
  // Redacts what the channels hold (tokens, app secrets), read at each line: a channel loads credentials at first use.
  const logger = createRedactingLogger(options.logger ?? silentLogger, () =>
    options.channels.flatMap((channel) => channel.secrets?.() ?? []),
  );
  warnHiddenProviderRoutes(channels, logger);
  return {
    options,
    store,
    clock: options.clock ?? systemClock,
    logger,
    events: createHubEmitter(logger),
    channels,
    branches: branches.byId,
    branchOfChannel: branches.byChannel,
    durable: store.durable !== false,
    bodyLimitBytes: options.webhookBodyLimitBytes ?? 1024 * 1024,
    parkedStatusTtlMs: options.parkedStatusTtlMs ?? 60 * 60 * 1000,
    slaRetentionMs,
    locks: { statuses: new Map(), senders: new Map(), conversations: new Map(), contacts: new Map() },
    atomic: atomicChangesOf(store),
    limiters: new Map(),
    isOptOutKeyword: options.optOut?.keywords === false ? undefined : createOptOutMatcher(options.optOut?.keywords),
    inFlightByKey: new Map(),
    inFlightIds: new Set(),
    sweeps: { parkedSinceSweep: 0, responsesSweptBefore: 0, responseSweep: undefined },
  };
}

/**
 * The store's atomic changes (see Store.updateContact), or the same as a read and a write: the hub calls them holding
 * the contact's or the conversation's lock, which makes them atomic within this process (across processes, only the
 * store's own are).
 */
function atomicChangesOf(store: Store): HubContext['atomic'] {
  return {
    updateContact:
      store.updateContact?.bind(store) ??
      (async (id, update) => writeChange(await store.getContact(id), update, (next) => store.saveContact(next))),
    openConversation:
      store.openConversation?.bind(store) ??
      (async (contactId, channelId, externalId, update) =>
        writeChange(await store.findConversation(contactId, channelId, externalId), update, (next) =>
          store.saveConversation(next),
        )),
    updateConversation:
      store.updateConversation?.bind(store) ??
      (async (id, update) => writeChange(await store.getConversation(id), update, (next) => store.saveConversation(next))),
  };
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

/** The channel with this id in the hub. @throws ValidationError naming the known ids */
export function channelOf(hub: HubContext, id: string): Channel {
  const channel = hub.channels.get(id);
  if (!channel)
    throw new ValidationError({
      field: 'channel',
      message: `unknown channel "${id}"; known: ${[...hub.channels.keys()].join(', ')}`,
    });
  return channel;
}

/** The branch with this id in the hub. @throws ValidationError naming the known ids */
export function branchOf(hub: HubContext, id: string, field = 'branchId'): Branch {
  const branch = hub.branches.get(id);
  if (!branch)
    throw new ValidationError({
      field,
      message: `unknown branch "${id}"; known: ${[...hub.branches.keys()].join(', ') || 'none'}`,
    });
  return branch;
}

/** The channel's rate limiter, made on first use. */
export function limiterOf(hub: HubContext, channel: Channel): RateLimiter {
  let limiter = hub.limiters.get(channel.id);
  if (!limiter) {
    limiter = (hub.options.rateLimiter ?? createRateLimiter)({
      id: `omnidealer:${channel.kind}:${channel.accountId}`,
      ...channel.rateLimit,
    });
    hub.limiters.set(channel.id, limiter);
  }
  return limiter;
}

/** The key of a contact's conversations on a channel in `locks.conversations`. */
export function conversationKey(channelId: string, contactId: string): string {
  return `${channelId}\n${contactId}`;
}

/** The locks of one channel's provider message ids, made on first use. */
export function statusLocksOf(hub: HubContext, channelId: string): KeyLocks {
  let locks = hub.locks.statuses.get(channelId);
  if (!locks) hub.locks.statuses.set(channelId, (locks = new Map()));
  return locks;
}
