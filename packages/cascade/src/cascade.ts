import type { Clock, ContactInput, Logger, Omnidealer } from '@omnidealer/core';
import type { CampaignInput, CampaignResult } from './campaign.js';
import type { CascadeContent, NormalizedContent } from './cascade-content.js';
import type { CascadeEvents } from './cascade-events.js';
import type { CascadePolicy, ResolvedPolicy } from './cascade-policy.js';
import type { CascadeState } from './cascade-state.js';
import { type JobWakeups, startJobWakeups } from './job-wakeups.js';
import type { CascadePlan } from './planner.js';
import type { CascadeReport } from './report.js';
import { createCascadeContext, drain, track } from './run/context.js';
import { runDueSteps } from './run/due-steps.js';
import { cancelCascade, jobKind } from './run/jobs.js';
import { getCascade, reportCascades } from './run/records.js';
import { planCascade, send, startCampaign } from './run/start.js';
import { attachStatusUpdates } from './run/status-updates.js';

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
  // The parts live in ./run/ and take this context; this function only wires them to the public object.
  const ctx = createCascadeContext(options);
  const { emitter } = ctx;
  const detachStatusUpdates = attachStatusUpdates(ctx);
  let wakeups: JobWakeups | undefined;

  const cascade: Cascade = {
    policy: ctx.policy,
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
    plan: (contact, content, planOptions) => planCascade(ctx, contact, content, planOptions),
    send: (contact, content, sendOptions) => send(ctx, contact, content, sendOptions),
    get: (cascadeId) => getCascade(ctx, cascadeId),
    cancel: (cascadeId) => cancelCascade(ctx, cascadeId),
    runDueSteps: (runOptions) => runDueSteps(ctx, runOptions),
    start() {
      if (wakeups) return;
      wakeups = startJobWakeups({
        store: ctx.store,
        clock: ctx.clock,
        kinds: [jobKind],
        pollIntervalMs: ctx.pollIntervalMs,
        run: () => {
          const work = runDueSteps(ctx);
          track(ctx, work);
          return work;
        },
      });
    },
    stop() {
      wakeups?.stop();
      wakeups = undefined;
    },
    drain: () => drain(ctx),
    campaign: (input) => startCampaign(ctx, input),
    report: (reportOptions) => reportCascades(ctx, reportOptions),
    close() {
      cascade.stop();
      detachStatusUpdates();
      emitter.removeAllListeners();
    },
  };
  return cascade;
}
