import { type Channel, type Clock, type Omnidealer, OmnidealerError, type ReachStats, type Store } from '@omnidealer/core';
import { createRedactingLogger, type RedactingLogger, silentLogger } from '@omnidealer/core/provider-utils';
import EventEmitter from 'eventemitter3';
import type { CascadeOptions } from '../cascade.js';
import type { CascadeEvents } from '../cascade-events.js';
import { takeCascadeLease } from '../cascade-lease.js';
import { type ResolvedAcquisition, type ResolvedPolicy, resolvePolicy } from '../cascade-policy.js';
import type { CascadeState } from '../cascade-state.js';
import { createReachPopulation, type ReachPopulation } from '../reach-model.js';

// Store namespaces: unchanged since the first version, so stored cascades keep being read.
export const runNamespace = 'cascade.run';
export const indexNamespace = 'cascade.index';
export const campaignNamespace = 'cascade.campaign';
/**
 * Invites sent per contact and channel (channel acquisition), keyed `<contact>:<channel>`: an {@link InviteRecord}
 * (a bare count in records written before links were counted).
 */
export const inviteCountNamespace = 'cascade.invites';
/** The base's invites and links per invited channel (`AcquisitionTotals`), keyed by the channel id. */
export const acquisitionNamespace = 'cascade.acquisition';

/** One contact's invites to one channel: how many, how many of them are settled, and when they were linked. */
export interface InviteRecord {
  invites: number;
  /** Invites whose outcome the base's take rate has counted. */
  settled?: number;
  /** When the last invite was sent. */
  lastAt?: number;
  /** When the cascade first saw the contact reachable on the channel after an invite. */
  linkedAt?: number;
}

/** A campaign's spend and budget, stored under {@link campaignNamespace}. */
export interface CampaignRecord {
  spentMinor: number;
  budgetMinor?: number;
}

/**
 * What every part of the cascade shares: one per `createCascade` call (no module state). The parts (jobs, facts,
 * steps, status updates, start) are functions taking it.
 */
export interface CascadeContext {
  readonly options: CascadeOptions;
  readonly hub: Omnidealer;
  readonly store: Store;
  readonly clock: Clock;
  readonly policy: ResolvedPolicy;
  /** Redacts every line before the user's logger sees it. */
  readonly logger: RedactingLogger;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  readonly totalsTtlMs: number;
  readonly emitter: EventEmitter;
  /** The channels the cascade may use, in declared order. */
  readonly channels: Channel[];
  /** The channel the savings are measured against (SMS unless the policy names another). */
  readonly baselineChannel: Channel | undefined;
  /** Channel acquisition: the policy and the channel invited to (it has deep links), when the policy asks for it. */
  readonly acquisition: { policy: ResolvedAcquisition; channel: Channel } | undefined;
  /** The base's reader and non-reader classes per channel, fitted from the contacts this instance plans. */
  readonly population: ReachPopulation;
  /** The base's reach totals per channel, as last read (see `totals`). */
  readonly reachTotalsCache: { value?: { at: number; value: Record<string, ReachStats> } };
  /** The tail of each cascade's in-process lock chain, by cascade key. */
  readonly locks: Map<string, Promise<unknown>>;
  /** Background work triggered by hub events, awaited by `drain`. */
  readonly pending: Set<Promise<unknown>>;
}

/**
 * Resolves the options into the shared context.
 * @throws ValidationError when the policy is malformed; OmnidealerError for an unknown channel or an acquisition
 * channel without deep links.
 */
export function createCascadeContext(options: CascadeOptions): CascadeContext {
  const hub = options.hub;
  const store = hub.store;
  const policy = resolvePolicy(options.policy);
  const channels: Channel[] = (options.channels ?? [...hub.channels.keys()]).map((id) => {
    const channel = hub.channels.get(id);
    if (!channel)
      throw new OmnidealerError({ code: 'validation', message: `channels: unknown channel "${id}" (not in the hub)` });
    return channel;
  });
  const baselineChannel = channels.find((channel) =>
    policy.baselineChannel
      ? channel.id === policy.baselineChannel || channel.kind === policy.baselineChannel
      : channel.kind === 'sms',
  );
  const acquisition = policy.acquisition;
  const invitedChannel = acquisition && channels.find((channel) => channel.id === acquisition.channel);
  if (acquisition && !invitedChannel?.inviteLink)
    throw new OmnidealerError({
      code: 'validation',
      message: `policy.acquisition.channel: "${acquisition.channel}" is not a cascade channel with deep links`,
    });
  return {
    options,
    hub,
    store,
    clock: options.clock ?? hub.clock,
    policy,
    logger: createRedactingLogger(options.logger ?? silentLogger),
    leaseMs: options.leaseMs ?? 60_000,
    pollIntervalMs: options.pollIntervalMs ?? (store.watchJobs ? 30_000 : 1000),
    concurrency: Math.max(1, options.concurrency ?? 8),
    totalsTtlMs: options.reachTotalsTtlMs ?? 60_000,
    emitter: new EventEmitter(),
    channels,
    baselineChannel,
    acquisition: acquisition && invitedChannel ? { policy: acquisition, channel: invitedChannel } : undefined,
    population: createReachPopulation({
      triggerOf: (channelId) => {
        const channel = hub.channels.get(channelId);
        return (policy.fallback[channelId] ?? (channel && policy.fallback[channel.kind]) ?? policy.defaultFallback).after;
      },
    }),
    reachTotalsCache: {},
    locks: new Map(),
    pending: new Set(),
  };
}

/** Emits a cascade event; a listener that throws is logged, never turned into a failed step. */
export function emit<E extends keyof CascadeEvents>(
  ctx: CascadeContext,
  event: E,
  payload: Parameters<CascadeEvents[E]>[0],
): void {
  try {
    ctx.emitter.emit(event, payload);
  } catch (error) {
    ctx.logger.error({ error: String(error) }, `cascade: listener of ${event} threw`);
  }
}

/** Keeps background work for `drain`, logging its failure instead of leaving it unhandled. */
export function track(ctx: CascadeContext, work: Promise<unknown>): void {
  const settled = work.catch((error: unknown) => ctx.logger.error({ error: String(error) }, 'cascade: background work failed'));
  ctx.pending.add(settled);
  void settled.finally(() => ctx.pending.delete(settled));
}

/**
 * Serialises work on one cascade: in this process by a promise chain per key, and across the processes sharing the
 * store by the cascade's lease, so a save never undoes another process's change made in between.
 */
export function withLock<T>(ctx: CascadeContext, key: string, work: () => Promise<T>): Promise<T> {
  const { locks } = ctx;
  const leased = async () => {
    const lease = await takeCascadeLease(ctx.store, ctx.clock, key, ctx.leaseMs);
    try {
      return await work();
    } finally {
      await lease.release();
    }
  };
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.then(leased, leased);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  void tail.then(() => {
    if (locks.get(key) === tail) locks.delete(key);
  });
  return run;
}

/** Stores a cascade's state, stamping its `updatedAt`. */
export async function save(ctx: CascadeContext, state: CascadeState): Promise<void> {
  state.updatedAt = ctx.clock.now();
  await ctx.store.putRecord(runNamespace, state.key, state);
}

/** The stored state of a cascade by key (`<campaign or ->/<id>`). */
export function load(ctx: CascadeContext, key: string): Promise<CascadeState | undefined> {
  return ctx.store.getRecord<CascadeState>(runNamespace, key);
}

/** Resolves when the background work triggered by hub events so far, and every cascade lock, has settled. */
export async function drain(ctx: CascadeContext): Promise<void> {
  while (ctx.pending.size > 0) await Promise.allSettled([...ctx.pending]);
  await Promise.allSettled([...ctx.locks.values()]);
}
