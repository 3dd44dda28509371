import { EventEmitter } from 'node:events';
import type { Cascade } from '@omnidealer/cascade';
import type { Clock, ContactInput, Omnidealer, ScheduledJob, Store } from '@omnidealer/core';
import { type ChainDefinition, chainDefinitions, idleChain, missedCallChain, signUpChain } from './chains.js';

/** Options of {@link createTriggerChains}. */
export interface TriggerChainsOptions {
  hub: Omnidealer;
  cascade: Cascade;
  /**
   * Where chain steps wait: a durable store of their own (a second SQLite file). Not the hub's store: `claimDueJobs`
   * leases every due job whatever its kind, so two runners over one job table would hold each other's jobs.
   */
  jobs: Store;
  clock: Clock;
  /** @default every chain of `chains.ts` */
  chains?: ReadonlyMap<string, ChainDefinition>;
  /** How long a runner holds a claimed step before another process may take it over. @default 60 000 ms */
  leaseMs?: number;
  /** Poll interval of {@link TriggerChains.start}. @default 1000 ms */
  pollIntervalMs?: number;
}

/** Events of the chain runner. */
export interface TriggerChainsEvents {
  'chain.step.sent': (event: { chain: string; step: number; contactId: string; cascadeIds: string[] }) => void;
  'chain.cancelled': (event: { chain: string; contactId: string; steps: number }) => void;
}

/** The triggers a dealership's systems call, and the runner of the steps they schedule. */
export interface TriggerChains {
  on<E extends keyof TriggerChainsEvents>(event: E, listener: TriggerChainsEvents[E]): this;
  /** A customer signed up: welcome by WhatsApp and e-mail now; the idle chain starts. */
  signUp(contact: ContactInput): Promise<void>;
  /** The telephony reported a missed call: a WhatsApp message now. */
  missedCall(contact: ContactInput): Promise<void>;
  /** Starts a chain for a contact (steps stored as durable jobs); in a `group`, the previous run is cancelled. */
  trigger(chainName: string, contact: ContactInput): Promise<void>;
  /** Cancels the pending steps of a chain group (or chain) for a contact. Returns how many were cancelled. */
  cancel(group: string, contactId: string): Promise<number>;
  /** Claims due steps (with a lease, so each runs once across processes) and sends them. Returns how many ran. */
  runDue(): Promise<number>;
  start(): void;
  stop(): void;
  /** Waits for the work started by hub events (inbound messages resetting the idle chain). */
  drain(): Promise<void>;
  close(): void;
}

interface StepPayload {
  chain: string;
  step: number;
  run: string;
  contact: ContactInput;
}

const jobKind = 'chain.step';
const runsNamespace = 'chain.runs';

/**
 * Event-driven chains: each trigger stores its steps as durable jobs (`runAt` = trigger time + delay); `runDue`
 * sends the due ones through the cascade with the job id as idempotency key — a step claimed twice (a crash between
 * the send and `completeJob`) still sends once. An inbound message resets the contact's idle chain.
 */
export function createTriggerChains(options: TriggerChainsOptions): TriggerChains {
  const { hub, cascade, jobs, clock } = options;
  const chains = options.chains ?? chainDefinitions;
  const leaseMs = options.leaseMs ?? 60_000;
  const emitter = new EventEmitter();
  const pending = new Set<Promise<unknown>>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;

  const track = (work: Promise<unknown>) => {
    const tracked = work.catch(() => undefined).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  async function cancel(group: string, contactId: string): Promise<number> {
    const run = await jobs.getRecord<{ jobIds: string[] }>(runsNamespace, `${group}/${contactId}`);
    if (!run) return 0;
    let cancelled = 0;
    for (const id of run.jobIds) {
      const job = await jobs.getJob(id);
      if (job?.status === 'pending') {
        await jobs.cancelJob(id);
        cancelled++;
      }
    }
    await jobs.putRecord(runsNamespace, `${group}/${contactId}`, { jobIds: [] });
    if (cancelled > 0) emitter.emit('chain.cancelled', { chain: group, contactId, steps: cancelled });
    return cancelled;
  }

  async function trigger(chainName: string, contact: ContactInput): Promise<void> {
    const chain = chains.get(chainName);
    if (!chain) throw new Error(`unknown chain ${chainName}`);
    const group = chain.group ?? chain.name;
    if (chain.group) await cancel(chain.group, contact.id);
    const now = clock.now();
    const run = `${chain.name}/${contact.id}/${now}`;
    const jobIds: string[] = [];
    for (const [index, step] of chain.steps.entries()) {
      const id = `${run}/${index}`;
      const payload: StepPayload = { chain: chain.name, step: index, run, contact };
      const job: ScheduledJob = {
        id,
        kind: jobKind,
        runAt: now + step.afterMs,
        payload: payload as unknown as Record<string, unknown>,
        status: 'pending',
        attempts: 0,
      };
      await jobs.scheduleJob(job);
      jobIds.push(id);
    }
    await jobs.putRecord(runsNamespace, `${group}/${contact.id}`, { jobIds });
    // Steps due now go out at once rather than at the next poll.
    if (chain.steps.some((step) => step.afterMs === 0)) await runDue();
  }

  async function runStep(job: ScheduledJob): Promise<void> {
    const payload = job.payload as unknown as StepPayload;
    const step = chains.get(payload.chain)?.steps[payload.step];
    if (!step) return;
    const cascadeIds: string[] = [];
    for (const [index, content] of step.sends(payload.contact).entries()) {
      const state = await cascade.send(payload.contact, content, { kind: step.kind, idempotencyKey: `${job.id}/${index}` });
      cascadeIds.push(state.id);
    }
    emitter.emit('chain.step.sent', { chain: payload.chain, step: payload.step, contactId: payload.contact.id, cascadeIds });
  }

  async function runDue(): Promise<number> {
    let count = 0;
    for (;;) {
      const due = await jobs.claimDueJobs(clock.now(), 50, leaseMs);
      for (const job of due) {
        if (job.kind !== jobKind) continue;
        try {
          await runStep(job);
          await jobs.completeJob(job.id);
          count++;
        } catch {
          // Left leased: it runs again once the lease expires, and the idempotency keys keep it from sending twice.
        }
      }
      if (due.length < 50) return count;
    }
  }

  // The customer wrote in: not idle any more — the idle chain starts again from now.
  const onReceived = ({ message }: { message: { contactId: string } }) => {
    track(
      (async () => {
        const contact = await hub.store.getContact(message.contactId);
        if (contact) await trigger(idleChain.name, contact);
      })(),
    );
  };
  hub.on('message.received', onReceived);

  const self: TriggerChains = {
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return self;
    },
    async signUp(contact) {
      await trigger(signUpChain.name, contact);
      await trigger(idleChain.name, contact);
    },
    missedCall: (contact) => trigger(missedCallChain.name, contact),
    trigger,
    cancel,
    runDue,
    start() {
      if (timer) return;
      const tick = () => {
        if (polling) return;
        polling = true;
        track(runDue().finally(() => (polling = false)));
      };
      timer = setInterval(tick, options.pollIntervalMs ?? 1000);
      tick();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      self.stop();
      hub.off('message.received', onReceived);
    },
  };
  return self;
}
