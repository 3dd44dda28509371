import {
  type Channel,
  type Clock,
  type Contact,
  type ContactInput,
  type Conversation,
  contactSchema,
  type Logger,
  type Message,
  type MessageStatus,
  type Omnidealer,
  OmnidealerError,
  type ReachStats,
  type ScheduledJob,
  UnreachableRecipientError,
  ValidationError,
  WindowClosedError,
} from '@omnidealer/core';
import { createId, createRedactingLogger, parseInput, silentLogger } from '@omnidealer/core/provider-utils';
import EventEmitter from 'eventemitter3';
import { z } from 'zod';
import { type CampaignInput, type CampaignResult, runCampaign } from './campaign.js';
import { type CascadeContent, type NormalizedContent, normalizeContent, renderForChannel } from './cascade-content.js';
import type { CascadeEvents, FallbackReason } from './cascade-events.js';
import { takeCascadeLease } from './cascade-lease.js';
import { type CascadePolicy, type FallbackCondition, type ResolvedPolicy, resolvePolicy } from './cascade-policy.js';
import type { CascadeState, CascadeStepRecord } from './cascade-state.js';
import { type JobWakeups, startJobWakeups } from './job-wakeups.js';
import { type CascadePlan, type ExcludedChannel, type PlannedStep, plan } from './planner.js';
import { createReachPopulation, type ReachClasses } from './reach-model.js';
import { buildReport, type CascadeReport } from './report.js';

/** Options of {@link createCascade}. */
export interface CascadeOptions {
  /** The hub the cascade sends through (validation, limits, retries, store and status events live there). */
  hub: Omnidealer;
  policy?: CascadePolicy;
  /** @default the hub's clock */
  clock?: Clock;
  /** Channel ids the cascade may use, in declared order. @default every channel of the hub */
  channels?: string[];
  /**
   * How long a runner holds a claimed deadline — or a process a cascade's start — before another process may take it
   * over. Keep it above your slowest step, a send waiting on the rate limit included. @default 60 000 ms
   */
  leaseMs?: number;
  /**
   * How often {@link Cascade.start} polls the store for due deadlines. A store that tells when jobs are scheduled
   * (`Store.watchJobs`: the PostgreSQL and memory stores) wakes the workers at each step's due time, so the poll
   * is then only a safety net (for a job whose notification was lost, or a lease that expired). @default 1000 ms, or
   * 30 000 ms when the store watches jobs
   */
  pollIntervalMs?: number;
  /** Due steps run at once by {@link Cascade.runDueSteps}. @default 8 */
  concurrency?: number;
  /** How long the base's reach totals (the reach model's prior) are cached between store reads. @default 60 000 ms */
  reachTotalsTtlMs?: number;
  /** Receives redacted log lines (pino's `(fields, message)` order: a pino logger fits). @default silent */
  logger?: Logger;
}

/** Options of {@link Cascade.send} and {@link Cascade.plan}. */
export interface CascadeSendOptions {
  /** Cascade kind for frequency caps and consent rules (`marketing`, `service`, `transactional`). @default 'transactional' */
  kind?: string;
  /** Campaign (mailing) id: groups cascades in reports; a contact never gets the same campaign twice. */
  campaign?: string;
  /**
   * The same key never starts a second cascade, in this process or another sharing the store (the start is claimed
   * atomically in the store): a repeat returns the first one's state.
   */
  idempotencyKey?: string;
  /** Most this message may cost across all its steps, in minor units. @default the policy's `perMessageMinor` */
  budgetMinor?: number;
  /** E-mail subject when a text is rendered as an e-mail. */
  subject?: string;
  /**
   * Send on this branch's channels (with the group's) instead of the contact's home branch's, under the policy's
   * `branchScope: 'branch'`. @default the contact's `branchId`
   */
  branchId?: string;
}

/** A cost-ordered, deadline-driven cascade over a hub's channels. */
export interface Cascade {
  /** The policy with every default applied. */
  readonly policy: ResolvedPolicy;
  on<E extends keyof CascadeEvents>(event: E, listener: CascadeEvents[E]): this;
  once<E extends keyof CascadeEvents>(event: E, listener: CascadeEvents[E]): this;
  off<E extends keyof CascadeEvents>(event: E, listener?: CascadeEvents[E]): this;
  /**
   * Plans without sending: ordered candidate steps with exact prices and fallback conditions, and the channels
   * left out with their reasons. Reads reach statistics, conversations and frequency history from the store.
   * @throws ValidationError for a malformed contact, content or options.
   */
  plan(contact: ContactInput, content: CascadeContent | NormalizedContent, options?: CascadeSendOptions): Promise<CascadePlan>;
  /**
   * Starts a cascade: sends the first step through `hub.send` (or defers it past quiet hours), stores a durable
   * deadline, and moves on when a status or the deadline says so. Resolves with the state after the first step.
   * @throws ValidationError for a malformed contact, content or options. Provider failures never throw: they move
   * the cascade to the next step.
   */
  send(contact: ContactInput, content: CascadeContent | NormalizedContent, options?: CascadeSendOptions): Promise<CascadeState>;
  /** The stored state of a cascade by id. */
  get(cascadeId: string): Promise<CascadeState | undefined>;
  /** Stops a running cascade: nothing more is sent for it. Statuses still arrive and are recorded. */
  cancel(cascadeId: string): Promise<void>;
  /**
   * Claims due deadlines from the store (with a lease, so each runs once across processes) and runs them.
   * Resolves with the number of jobs run.
   */
  runDueSteps(options?: { limit?: number }): Promise<number>;
  /**
   * Runs {@link Cascade.runDueSteps} now, every `pollIntervalMs` (a restarted process resumes pending deadlines), and,
   * with a store that watches jobs, at the due time of each step scheduled by any process sharing the store.
   */
  start(): void;
  /** Stops the poller and the wake-ups. */
  stop(): void;
  /** Resolves when the work triggered by hub events so far has finished (tests, graceful shutdown). */
  drain(): Promise<void>;
  /**
   * Runs a mailing over many contacts with a frequency cap, bounded concurrency, progress and cancellation.
   * @example
   * const result = await cascade.campaign({ mailingId: 'spring-service-2026', contacts, content, concurrency: 8 });
   * const report = await cascade.report({ campaign: 'spring-service-2026' });
   */
  campaign(input: CampaignInput): Promise<CampaignResult>;
  /** Numbers per channel, reach, spend and savings versus SMS only, for one campaign or every cascade. */
  report(options?: { campaign?: string }): Promise<CascadeReport>;
  /** Stops the poller and detaches from the hub's events. */
  close(): void;
}

const runNamespace = 'cascade.run';
const indexNamespace = 'cascade.index';
const campaignNamespace = 'cascade.campaign';
/** Invites sent per contact and channel (channel acquisition), keyed `<contact>:<channel>`. */
const inviteCountNamespace = 'cascade.invites';
const jobKind = 'cascade.step';

const sendOptionsSchema = z
  .object({
    kind: z.string().min(1).optional(),
    campaign: z.string().min(1).max(200).optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    budgetMinor: z.number().int().nonnegative().optional(),
    subject: z.string().min(1).optional(),
    branchId: z.string().min(1).optional(),
  })
  .strict();

interface JobPayload {
  key: string;
  step: number;
  /** `resume`: the safety net scheduled with a new cascade, for a process that dies before its first step is recorded. */
  action: 'deadline' | 'failed' | 'start' | 'resume';
}

/** When the safety net of a new cascade fires; by then its first step has long been recorded, unless the process died. */
const RESUME_AFTER_MS = 60_000;

interface CampaignRecord {
  spentMinor: number;
  budgetMinor?: number;
}

const statusRank: Record<MessageStatus, number> = { queued: 0, sent: 1, failed: 1, delivered: 2, read: 3 };

/** True when a status meets a step's success condition (`failed` needs the deadline, or a delivery, to succeed). */
function conditionMet(condition: FallbackCondition, status: MessageStatus): boolean {
  return condition.after === 'not_read' ? status === 'read' : status === 'delivered' || status === 'read';
}

function fallbackReasonOf(error: unknown, message: Message | undefined): FallbackReason {
  if (WindowClosedError.isInstance(error) || message?.error?.code === 'window_closed') return 'window_closed';
  if (UnreachableRecipientError.isInstance(error) || message?.error?.code === 'unreachable_recipient') return 'unreachable';
  if (error !== undefined) return 'rejected';
  return 'failed';
}

/**
 * Creates a cascade over a hub: each message goes out on the cheapest channel expected to reach the person,
 * and falls back on failure, or when it is not delivered / not read by the step's deadline.
 * @example
 * const cascade = createCascade({ hub, policy: { preference: ['email', 'whatsapp', 'sms'] } });
 * cascade.on('cascade.fallback', (event) => log(event.from, '→', event.to, event.reason));
 * cascade.start(); // runs deadlines stored by this or an earlier process
 * await cascade.send(contact, { whatsapp: template, sms: { type: 'text', text } }, { kind: 'service' });
 * @throws ValidationError when the policy is malformed or names an unknown channel.
 */
export function createCascade(options: CascadeOptions): Cascade {
  const hub = options.hub;
  const store = hub.store;
  const clock = options.clock ?? hub.clock;
  const policy = resolvePolicy(options.policy);
  const logger = createRedactingLogger(options.logger ?? silentLogger);
  const leaseMs = options.leaseMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? (store.watchJobs ? 30_000 : 1000);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const totalsTtlMs = options.reachTotalsTtlMs ?? 60_000;
  const emitter = new EventEmitter();
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
  const locks = new Map<string, Promise<unknown>>();
  const pending = new Set<Promise<unknown>>();
  let wakeups: JobWakeups | undefined;

  const emit = <E extends keyof CascadeEvents>(event: E, payload: Parameters<CascadeEvents[E]>[0]) => {
    try {
      emitter.emit(event, payload);
    } catch (error) {
      logger.error({ error: String(error) }, `cascade: listener of ${event} threw`);
    }
  };

  function track(work: Promise<unknown>): void {
    const settled = work.catch((error: unknown) => logger.error({ error: String(error) }, 'cascade: background work failed'));
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  }

  /**
   * Serialises work on one cascade: in this process by a promise chain per key, and across the processes sharing the
   * store by the cascade's lease, so a save never undoes another process's change made in between.
   */
  function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const leased = async () => {
      const lease = await takeCascadeLease(store, clock, key, leaseMs);
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

  const save = async (state: CascadeState) => {
    state.updatedAt = clock.now();
    await store.putRecord(runNamespace, state.key, state);
  };
  const load = (key: string) => store.getRecord<CascadeState>(runNamespace, key);
  /** Job ids carry their run time: a rescheduled job is a new job, never one the current runner is about to complete. */
  const jobId = (key: string, step: number, action: JobPayload['action'], runAt: number) =>
    `cascade:${key}:${step}:${action}:${runAt}`;

  async function schedule(key: string, step: number, action: JobPayload['action'], runAt: number): Promise<void> {
    const job: ScheduledJob = {
      id: jobId(key, step, action, runAt),
      kind: jobKind,
      runAt,
      payload: { key, step, action } satisfies JobPayload as unknown as Record<string, unknown>,
      status: 'pending',
      attempts: 0,
    };
    await store.scheduleJob(job);
  }

  /** The send or plan options, validated; a `branchId` must name one of the hub's branches. */
  function parseSendOptions(input: CascadeSendOptions): CascadeSendOptions {
    const parsed = parseInput(sendOptionsSchema, input, 'options') as CascadeSendOptions;
    if (parsed.branchId !== undefined && !hub.branches.has(parsed.branchId))
      throw new ValidationError({
        field: 'options.branchId',
        message: `options.branchId: unknown branch "${parsed.branchId}"; known: ${[...hub.branches.keys()].join(', ') || 'none'}`,
      });
    return parsed;
  }

  async function mergeContact(input: ContactInput): Promise<Contact> {
    const contact = parseInput(contactSchema, input, 'contact');
    const stored = await store.getContact(contact.id);
    return stored ? { ...stored, ...contact, identities: { ...stored.identities, ...contact.identities } } : contact;
  }

  // The base's reader and non-reader classes per channel, fitted from the contacts this instance plans.
  const population = createReachPopulation({
    triggerOf: (channelId) => {
      const channel = hub.channels.get(channelId);
      return (policy.fallback[channelId] ?? (channel && policy.fallback[channel.kind]) ?? policy.defaultFallback).after;
    },
  });
  let totalsCache: { at: number; value: Record<string, ReachStats> } | undefined;
  /** The base's reach totals per channel (the reach model's prior), read at most once per `totalsTtlMs`. */
  async function totals(): Promise<Record<string, ReachStats>> {
    const now = clock.now();
    if (totalsCache && now - totalsCache.at < totalsTtlMs) return totalsCache.value;
    const value: Record<string, ReachStats> = {};
    for (const channel of channels) value[channel.id] = await hub.reachTotals(channel.id);
    totalsCache = { at: now, value };
    return value;
  }

  async function gatherFacts(contact: Contact, cascadeId: string | undefined, campaign: string | undefined) {
    const reach: Record<string, ReachStats> = {};
    const conversations: Record<string, Conversation | undefined> = {};
    const reachTotals = await totals();
    const reachClasses: Record<string, ReachClasses | undefined> = {};
    for (const channel of channels) {
      const stats = await hub.reachStats(contact.id, channel.id);
      reach[channel.id] = stats;
      population.observe(channel.id, contact.id, stats);
      reachClasses[channel.id] = population.classes(channel.id);
      conversations[channel.id] = await store.findConversation(contact.id, channel.id);
    }
    // This cascade's own claim is not an earlier mailing.
    const history = (await hub.mailingHistory(contact.id)).filter(
      (record) => cascadeId === undefined || (record.claimId ?? record.cascadeId) !== cascadeId,
    );
    const campaignRecord = campaign ? await store.getRecord<CampaignRecord>(campaignNamespace, campaign) : undefined;
    const campaignBudget = campaignRecord?.budgetMinor ?? (campaign ? policy.budget.perCampaignMinor : undefined);
    const campaignLeft = campaignBudget === undefined ? undefined : campaignBudget - (campaignRecord?.spentMinor ?? 0);
    return { reach, reachTotals, reachClasses, conversations, history, campaignLeft };
  }

  function budgetLeft(perMessage: number | undefined, spent: number, campaignLeft: number | undefined): number | undefined {
    const message = perMessage === undefined ? undefined : perMessage - spent;
    if (message === undefined) return campaignLeft === undefined ? undefined : Math.max(0, campaignLeft);
    return Math.max(0, campaignLeft === undefined ? message : Math.min(message, campaignLeft));
  }

  async function planFor(state: CascadeState): Promise<CascadePlan> {
    const facts = await gatherFacts(state.contact, state.id, state.campaign);
    return plan(state.contact, state.content, {
      channels,
      policy: options.policy,
      now: clock.now(),
      kind: state.kind,
      campaign: state.campaign,
      branches: hub.branches,
      branchId: state.branchId,
      reach: facts.reach,
      reachTotals: facts.reachTotals,
      reachClasses: facts.reachClasses,
      conversations: facts.conversations,
      history: facts.history,
      attempted: state.steps.map((step) => step.channelId),
      budgetMinor: budgetLeft(state.budgetMinor, state.spentMinor, facts.campaignLeft),
      remainingSteps: Math.max(0, policy.maxSteps - state.steps.length),
    });
  }

  async function recordAccepted(state: CascadeState, step: CascadeStepRecord): Promise<void> {
    state.spentMinor += step.costMinor;
    // Shared records (the contact's mailing history, the campaign's spend) are updated atomically in the store, so
    // cascades running at once — in this process or in other workers on the same store — lose no entry and no spend.
    // The contact's mailing history got this cascade's entry when it claimed its place under the frequency cap.
    const campaign = state.campaign;
    if (campaign) {
      await store.updateRecord<CampaignRecord>(campaignNamespace, campaign, (record) => ({
        ...record,
        spentMinor: (record?.spentMinor ?? 0) + step.costMinor,
      }));
    }
  }

  async function succeed(state: CascadeState, step: CascadeStepRecord, status: MessageStatus): Promise<void> {
    step.status = 'succeeded';
    step.outcome = status;
    state.status = 'succeeded';
    await save(state);
    if (step.deadline !== undefined) await store.cancelJob(jobId(state.key, step.index, 'deadline', step.deadline));
    emit('cascade.step.succeeded', { cascadeId: state.id, step: step.index, channelId: step.channelId, status });
    emit('cascade.completed', {
      cascadeId: state.id,
      contactId: state.contact.id,
      channelId: step.channelId,
      spentMinor: state.spentMinor,
    });
  }

  async function exhaust(state: CascadeState, reason: string, excluded: ExcludedChannel[]): Promise<void> {
    // A cascade that reached nobody gives its place under the frequency cap back.
    if (!state.steps.some((step) => step.messageId !== undefined && step.status !== 'failed'))
      await hub.releaseFrequency(state.contact.id, state.id);
    state.status = 'exhausted';
    state.exhausted = { reason, excluded };
    await save(state);
    emit('cascade.exhausted', {
      cascadeId: state.id,
      contactId: state.contact.id,
      reason,
      excluded,
      spentMinor: state.spentMinor,
    });
  }

  /**
   * Takes the cascade's place under the contact's frequency cap, atomically in the store: the plan read the history
   * before, but another cascade for the same contact (in this process or another worker) may have claimed since. A
   * refused cascade is exhausted with `frequency_cap`; resolves with whether it may go on.
   */
  async function claimPlace(state: CascadeState, planned: CascadePlan): Promise<boolean> {
    if (planned.steps.length === 0) return true;
    const refusal = await hub.claimFrequency(state.contact.id, {
      kind: state.kind,
      claimId: state.id,
      campaign: state.campaign,
      cap: policy.frequencyCaps[state.kind],
    });
    if (refusal === undefined) return true;
    const excluded = planned.steps.map((step) => ({
      channelId: step.channelId,
      reason: 'frequency_cap' as const,
      detail: refusal,
    }));
    await exhaust(state, 'frequency_cap', [...planned.excluded, ...excluded]);
    return false;
  }

  /** The record of the next step of `state`, taken from the planner's candidate. */
  function stepRecord(state: CascadeState, candidate: PlannedStep, status: CascadeStepRecord['status']): CascadeStepRecord {
    return {
      index: state.steps.length,
      channelId: candidate.channelId,
      content: candidate.content,
      costMinor: candidate.estimatedCost.money.amountMinor,
      currency: candidate.estimatedCost.money.currency,
      condition: candidate.fallback,
      status,
    };
  }

  /**
   * The hub send of a step. Its idempotency key is the cascade's and the channel's, so sending a step again after a
   * crash finds the message the first attempt stored instead of sending twice.
   */
  function sendStep(state: CascadeState, step: CascadeStepRecord): Promise<Message> {
    return hub.send({
      channel: step.channelId,
      contact: state.contact,
      content: step.content,
      idempotencyKey: `${state.id}:${step.channelId}`,
      kind: state.kind,
      // The cascade claimed its place under the frequency cap once (see claimPlace): its steps do not count again.
      frequencyClaim: state.id,
      metadata: { cascadeId: state.id, cascadeKey: state.key, cascadeStep: step.index },
    });
  }

  const acquisition = policy.acquisition;
  const invitedChannel = acquisition && channels.find((channel) => channel.id === acquisition.channel);
  if (acquisition && !invitedChannel?.inviteLink)
    throw new OmnidealerError({
      code: 'validation',
      message: `policy.acquisition.channel: "${acquisition.channel}" is not a cascade channel with deep links`,
    });

  /**
   * Channel acquisition: the SMS step's text with an invite link to the free channel appended, when the contact is not
   * reachable there yet and the link costs no more than its expected savings (see `AcquisitionPolicy`).
   */
  async function withInvite(state: CascadeState, step: CascadeStepRecord, candidate: PlannedStep): Promise<void> {
    if (!acquisition || !invitedChannel || candidate.channelKind !== 'sms' || step.content.type !== 'text') return;
    const now = clock.now();
    const text = step.content;
    const linked = invitedChannel.canReach({ contact: state.contact, content: text, now });
    if (linked.reachable || (linked.reason !== 'cannot_start_conversation' && linked.reason !== 'no_identity')) return;
    const channel = hub.channels.get(candidate.channelId) as Channel;
    const placeholder = { ...text, text: `${text.text}\n${acquisition.prefix}${invitedChannel.inviteLink?.('x'.repeat(22))}` };
    let extraCostMinor: number;
    try {
      extraCostMinor = channel.estimateCost(placeholder, state.contact, { now }).money.amountMinor - step.costMinor;
    } catch {
      return;
    }
    if (extraCostMinor > acquisition.takeRate * acquisition.horizon * step.costMinor) return;
    // Atomically counted, so two workers never invite one contact past the cap.
    let allowed = false;
    await store.updateRecord<number>(inviteCountNamespace, `${state.contact.id}:${invitedChannel.id}`, (count = 0) => {
      allowed = count < acquisition.maxInvitesPerContact;
      return allowed ? count + 1 : count;
    });
    if (!allowed) return;
    try {
      if (!(await store.getContact(state.contact.id))) await hub.upsertContact(state.contact);
      const invite = await hub.inviteLink(state.contact.id, invitedChannel.id);
      step.content = { ...text, text: `${text.text}\n${acquisition.prefix}${invite.url}` };
      step.costMinor += extraCostMinor;
      step.invite = { channelId: invitedChannel.id, payload: invite.payload, extraCostMinor };
    } catch (error) {
      logger.warn({ error: String(error) }, 'cascade: no invite link for this contact; sending without');
    }
  }

  /** Sends one planned step. Resolves `undefined` when the provider accepted it, else why it failed. */
  async function startStep(state: CascadeState, candidate: PlannedStep): Promise<FallbackReason | undefined> {
    const now = clock.now();
    const step: CascadeStepRecord = {
      ...stepRecord(state, candidate, 'waiting'),
      startedAt: now,
      deadline: now + candidate.fallback.withinMs,
    };
    await withInvite(state, step, candidate);
    // Every running cascade has a pending job, so none is stranded by a crash: the deadline is scheduled before the
    // step is recorded (a job for a step that never got recorded starts it then) and before the provider is called.
    await schedule(state.key, step.index, 'deadline', step.deadline as number);
    state.steps.push(step);
    await save(state);
    emit('cascade.step.started', {
      cascadeId: state.id,
      contactId: state.contact.id,
      step: step.index,
      channelId: step.channelId,
      costMinor: step.costMinor,
      campaign: state.campaign,
    });
    let message: Message | undefined;
    let thrown: unknown;
    try {
      message = await sendStep(state, step);
    } catch (error) {
      thrown = error;
    }
    if (message) step.messageId = message.id;
    if (thrown !== undefined || !message || message.status === 'failed') {
      step.status = 'failed';
      step.outcome = 'failed';
      step.error = OmnidealerError.isInstance(thrown) ? thrown.code : (message?.error?.code ?? 'internal');
      await store.cancelJob(jobId(state.key, step.index, 'deadline', step.deadline as number));
      await save(state);
      return fallbackReasonOf(thrown, message);
    }
    step.outcome = message.status;
    await recordAccepted(state, step);
    if (conditionMet(step.condition, message.status)) await succeed(state, step, message.status);
    else await save(state);
    return undefined;
  }

  /**
   * Moves a cascade forward: tries the planned candidates in order until one is accepted, defers one past quiet
   * hours, or runs out. `from` is the step being left (for the `cascade.fallback` event).
   */
  async function proceed(
    state: CascadeState,
    planned?: CascadePlan,
    from?: { step: number; from: string; reason: FallbackReason },
  ): Promise<void> {
    const current = planned ?? (await planFor(state));
    let leaving = from;
    for (const candidate of current.steps) {
      if (state.status !== 'running') return;
      if (leaving) {
        emit('cascade.fallback', { cascadeId: state.id, ...leaving, to: candidate.channelId });
        leaving = undefined;
      }
      const now = clock.now();
      if (candidate.notBefore !== undefined && candidate.notBefore > now) {
        const step: CascadeStepRecord = { ...stepRecord(state, candidate, 'deferred'), notBefore: candidate.notBefore };
        await schedule(state.key, step.index, 'start', candidate.notBefore);
        state.steps.push(step);
        await save(state);
        emit('cascade.step.deferred', {
          cascadeId: state.id,
          step: step.index,
          channelId: step.channelId,
          notBefore: candidate.notBefore,
        });
        return;
      }
      const failure = await startStep(state, candidate);
      if (failure === undefined) return;
      const last = state.steps[state.steps.length - 1] as CascadeStepRecord;
      leaving = { step: last.index, from: last.channelId, reason: failure };
    }
    if (leaving) emit('cascade.fallback', { cascadeId: state.id, ...leaving, to: undefined });
    await exhaust(
      state,
      state.steps.length === 0 ? 'no_channel' : state.steps.length >= policy.maxSteps ? 'max_steps' : 'no_channel_left',
      current.excluded,
    );
  }

  async function runJob(payload: JobPayload): Promise<void> {
    await withLock(payload.key, async () => {
      const state = await load(payload.key);
      if (state?.status !== 'running') return;
      if (payload.step === state.steps.length) {
        // The process that scheduled this job died before it recorded the step: start it now.
        await proceed(state);
        return;
      }
      if (payload.action === 'resume') return;
      const step = state.steps[payload.step];
      if (!step || payload.step !== state.steps.length - 1) return;
      if (payload.action === 'start') {
        if (step.status !== 'deferred') return;
        state.steps.pop();
        await proceed(state);
        return;
      }
      if (step.status !== 'waiting') return;
      let message = step.messageId ? await store.getMessage(step.messageId) : undefined;
      if (!message) {
        // The process stopped between storing the step and the hub's answer: the idempotency key finds the message.
        try {
          message = await sendStep(state, step);
          step.messageId = message.id;
          step.deadline = message.createdAt + step.condition.withinMs;
        } catch {
          // Unreachable now: treat as failed below.
        }
      }
      const status: MessageStatus = message?.status ?? 'failed';
      const leave = async (reason: FallbackReason) => {
        step.outcome = status;
        await proceed(state, undefined, { step: step.index, from: step.channelId, reason });
      };
      if (status === 'failed') {
        step.status = 'failed';
        step.error = message?.error?.code ?? 'failed';
        await leave(fallbackReasonOf(undefined, message));
        return;
      }
      if (conditionMet(step.condition, status)) {
        await succeed(state, step, status);
        return;
      }
      const now = clock.now();
      if (now < (step.deadline ?? 0)) {
        await save(state);
        await schedule(state.key, step.index, 'deadline', step.deadline as number);
        return;
      }
      if (step.condition.after === 'failed') {
        await succeed(state, step, status);
        return;
      }
      step.status = 'timed_out';
      await leave(step.condition.after);
    });
  }

  async function onMessageUpdate(message: Message): Promise<void> {
    const key = message.metadata?.cascadeKey;
    if (typeof key !== 'string') return;
    let kick = false;
    await withLock(key, async () => {
      const state = await load(key);
      const step = state?.steps.find((candidate) => candidate.messageId === message.id);
      if (!state || !step) return;
      const isCurrent = state.status === 'running' && step.status === 'waiting' && step.index === state.steps.length - 1;
      if (message.status === 'failed') {
        if (step.status === 'failed') return;
        if (isCurrent) {
          step.outcome = 'failed';
          await schedule(key, step.index, 'failed', clock.now());
          await save(state);
          if (step.deadline !== undefined) await store.cancelJob(jobId(key, step.index, 'deadline', step.deadline));
          kick = true;
          return;
        }
      } else if (isCurrent) {
        step.outcome = message.status;
        if (conditionMet(step.condition, message.status)) await succeed(state, step, message.status);
        else await save(state);
        return;
      }
      if (step.outcome !== undefined && statusRank[message.status] <= statusRank[step.outcome] && message.status !== 'failed')
        return;
      step.outcome = message.status;
      if (step.status !== 'succeeded') {
        step.late = [...(step.late ?? []), { status: message.status, at: clock.now() }];
        emit('cascade.step.late', { cascadeId: state.id, step: step.index, channelId: step.channelId, status: message.status });
      }
      await save(state);
    });
    if (kick) await runDueSteps();
  }

  const onStatus = ({ message }: { message: Message }) => {
    if (message.status !== 'failed' && message.direction === 'outbound') track(onMessageUpdate(message));
  };
  const onFailed = ({ message }: { message: Message }) => {
    if (message.direction === 'outbound') track(onMessageUpdate(message));
  };
  hub.on('message.status', onStatus);
  hub.on('message.failed', onFailed);

  async function runOne(job: ScheduledJob): Promise<boolean> {
    // Another extension's job: leave it; its lease expires and its owner claims it again.
    if (job.kind !== jobKind) return false;
    try {
      await runJob(job.payload as unknown as JobPayload);
      await store.completeJob(job.id);
      return true;
    } catch (error) {
      logger.error({ job: job.id, error: String(error) }, 'cascade: step failed to run; it runs again when the lease expires');
      return false;
    }
  }

  async function runDueSteps(runOptions: { limit?: number } = {}): Promise<number> {
    const batch = 100;
    const limit = runOptions.limit ?? Number.POSITIVE_INFINITY;
    let count = 0;
    while (count < limit) {
      const jobs = await store.claimDueJobs(clock.now(), Math.min(batch, limit - count), leaseMs, [jobKind]);
      if (jobs.length === 0) break;
      // Jobs of different cascades are independent (one cascade's work is serialised by its lock).
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const job = jobs[next++] as ScheduledJob;
          if (await runOne(job)) count++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
      if (jobs.length < batch) break;
    }
    return count;
  }

  async function send(
    contactInput: ContactInput,
    content: CascadeContent | NormalizedContent,
    sendOptions: CascadeSendOptions = {},
  ) {
    const parsed = parseSendOptions(sendOptions);
    const contact = await mergeContact(contactInput);
    const normalized = normalizeContent(content, parsed.subject);
    const id = parsed.idempotencyKey ? `cascade_${parsed.idempotencyKey}` : createId('cascade');
    const key = `${parsed.campaign ?? '-'}/${id}`;
    // A cascade already stored is returned as it is, without waiting for whoever works on it now. Otherwise the lock
    // (a lease across processes) lets one process plan and send the first step; the others then find its state.
    const existing = await load(key);
    if (existing) return existing;
    return withLock(key, async () => (await load(key)) ?? startNew(contact, normalized, parsed, id, key));
  }

  /** Plans and starts a new cascade (under its lock): stores its state and sends or defers its first step. */
  async function startNew(
    contact: Contact,
    normalized: NormalizedContent,
    parsed: CascadeSendOptions,
    id: string,
    key: string,
  ): Promise<CascadeState> {
    const now = clock.now();
    const facts = await gatherFacts(contact, id, parsed.campaign);
    const perMessage = parsed.budgetMinor ?? policy.budget.perMessageMinor;
    const initial = plan(contact, normalized, {
      channels,
      policy: options.policy,
      now,
      kind: parsed.kind,
      campaign: parsed.campaign,
      branches: hub.branches,
      branchId: parsed.branchId,
      reach: facts.reach,
      reachTotals: facts.reachTotals,
      reachClasses: facts.reachClasses,
      conversations: facts.conversations,
      history: facts.history,
      budgetMinor: budgetLeft(perMessage, 0, facts.campaignLeft),
    });
    let baselineMinor: number | undefined;
    const baselineContent = baselineChannel && renderForChannel(baselineChannel, normalized);
    if (baselineChannel && baselineContent && contact.phone) {
      try {
        baselineMinor = baselineChannel.estimateCost(baselineContent, contact, { now }).money.amountMinor;
      } catch {
        baselineMinor = undefined;
      }
    }
    const rank = (channelId: string) => {
      const channel = channels.find((candidate) => candidate.id === channelId) as Channel;
      const byId = policy.preference.indexOf(channel.id);
      const byKind = policy.preference.indexOf(channel.kind);
      const preferred = byId >= 0 ? byId : byKind >= 0 ? byKind : policy.preference.length;
      return preferred * 1000 + channels.indexOf(channel);
    };
    const fixedFirst = [...initial.steps].sort((a, b) => rank(a.channelId) - rank(b.channelId))[0];
    const state: CascadeState = {
      id,
      key,
      contact,
      content: normalized,
      kind: parsed.kind ?? 'transactional',
      ...(parsed.campaign ? { campaign: parsed.campaign } : {}),
      ...(parsed.branchId ? { branchId: parsed.branchId } : {}),
      ...(perMessage !== undefined ? { budgetMinor: perMessage } : {}),
      status: 'running',
      steps: [],
      plan: initial,
      spentMinor: 0,
      currency: initial.steps[0]?.estimatedCost.money.currency ?? 'RUB',
      ...(baselineMinor !== undefined ? { baselineMinor } : {}),
      ...(fixedFirst ? { fixedOrderFirstStepMinor: fixedFirst.estimatedCost.money.amountMinor } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await schedule(key, 0, 'resume', now + RESUME_AFTER_MS);
    await store.putRecord(indexNamespace, id, key);
    await save(state);
    if (await claimPlace(state, initial)) await proceed(state, initial);
    // From here the step's own jobs keep the cascade going.
    await store.cancelJob(jobId(key, 0, 'resume', now + RESUME_AFTER_MS));
    return state;
  }

  const cascade: Cascade = {
    policy,
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return cascade;
    },
    once(event, listener) {
      emitter.once(event, listener as (...args: unknown[]) => void);
      return cascade;
    },
    off(event, listener) {
      emitter.off(event, listener as ((...args: unknown[]) => void) | undefined);
      return cascade;
    },
    async plan(contactInput, content, planOptions = {}) {
      const parsed = parseSendOptions(planOptions);
      const contact = await mergeContact(contactInput);
      const facts = await gatherFacts(contact, undefined, parsed.campaign);
      return plan(contact, normalizeContent(content, parsed.subject), {
        channels,
        policy: options.policy,
        now: clock.now(),
        kind: parsed.kind,
        campaign: parsed.campaign,
        branches: hub.branches,
        branchId: parsed.branchId,
        reach: facts.reach,
        reachTotals: facts.reachTotals,
        reachClasses: facts.reachClasses,
        conversations: facts.conversations,
        history: facts.history,
        budgetMinor: budgetLeft(parsed.budgetMinor ?? policy.budget.perMessageMinor, 0, facts.campaignLeft),
      });
    },
    send,
    async get(cascadeId) {
      const key = await store.getRecord<string>(indexNamespace, cascadeId);
      return key === undefined ? undefined : load(key);
    },
    async cancel(cascadeId) {
      const key = await store.getRecord<string>(indexNamespace, cascadeId);
      if (key === undefined) return;
      await withLock(key, async () => {
        const state = await load(key);
        if (state?.status !== 'running') return;
        state.status = 'cancelled';
        await save(state);
        const last = state.steps[state.steps.length - 1];
        if (last) {
          // A pending `failed` job finds the cascade cancelled and does nothing.
          if (last.deadline !== undefined) await store.cancelJob(jobId(key, last.index, 'deadline', last.deadline));
          if (last.notBefore !== undefined) await store.cancelJob(jobId(key, last.index, 'start', last.notBefore));
        }
      });
    },
    runDueSteps,
    start() {
      if (wakeups) return;
      wakeups = startJobWakeups({
        store,
        clock,
        kinds: [jobKind],
        pollIntervalMs,
        run: () => {
          const work = runDueSteps();
          track(work);
          return work;
        },
      });
    },
    stop() {
      wakeups?.stop();
      wakeups = undefined;
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await Promise.allSettled([...locks.values()]);
    },
    async campaign(input) {
      if (input.budgetMinor !== undefined) {
        const budgetMinor = input.budgetMinor;
        await store.updateRecord<CampaignRecord>(campaignNamespace, input.mailingId, (record) => ({
          spentMinor: 0,
          ...record,
          budgetMinor,
        }));
      }
      return runCampaign(
        input,
        (contact, content) =>
          send(contact, content, {
            kind: input.kind ?? 'marketing',
            campaign: input.mailingId,
            idempotencyKey: `${input.mailingId}:${contact.id}`,
            ...(input.subject ? { subject: input.subject } : {}),
          }),
        (progress) => emit('campaign.progress', progress),
      );
    },
    async report(reportOptions = {}) {
      const records = await store.listRecords<CascadeState>(
        runNamespace,
        reportOptions.campaign === undefined ? '' : `${reportOptions.campaign}/`,
      );
      return buildReport(
        store,
        records.map((record) => record.value),
        reportOptions.campaign,
        (channelId) => hub.channels.get(channelId)?.capabilities.billedOn ?? 'accepted',
      );
    },
    close() {
      cascade.stop();
      hub.off('message.status', onStatus);
      hub.off('message.failed', onFailed);
      emitter.removeAllListeners();
    },
  };
  return cascade;
}
