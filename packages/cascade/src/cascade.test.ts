import {
  type Channel,
  type ContactInput,
  createManualClock,
  createMemoryStore,
  createOmnidealer,
  type ManualClock,
  type Omnidealer,
  type Store,
  WindowClosedError,
} from '@omnidealer/core';
import { createTestChannel, type TestChannel } from '@omnidealer/core/test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { longText, perChannel } from './__fixtures__/content.js';
import { createMockChannels } from './__fixtures__/mock-channels.js';
import { type Cascade, createCascade } from './cascade.js';
import type { CascadeEvents } from './cascade-events.js';
import { type AcquisitionPolicy, type CascadePolicy, DAY_MS, HOUR_MS } from './cascade-policy.js';

const start = Date.parse('2026-03-02T07:00:00Z'); // 10:00 in Moscow
const phoneOnly: ContactInput = { id: 'c1', phone: '+7 916 123-45-67' };

interface Setup {
  clock: ManualClock;
  store: Store;
  hub: Omnidealer;
  cascade: Cascade;
  mocks: ReturnType<typeof createMockChannels>;
  events: Array<[keyof CascadeEvents, unknown]>;
  status: (channel: TestChannel, status: 'delivered' | 'read' | 'failed', index?: number) => Promise<void>;
}

const open: Cascade[] = [];
afterEach(() => {
  for (const cascade of open.splice(0)) cascade.close();
  vi.useRealTimers();
});

function setup(
  policy?: CascadePolicy,
  shared?: { store: Store; clock: ManualClock; mocks: ReturnType<typeof createMockChannels> },
) {
  const clock = shared?.clock ?? createManualClock(start);
  const store = shared?.store ?? createMemoryStore();
  const mocks = shared?.mocks ?? createMockChannels();
  const hub = createOmnidealer({ channels: mocks.all as Channel[], store, clock });
  const cascade = createCascade({ hub, clock, ...(policy ? { policy } : {}) });
  open.push(cascade);
  const events: Setup['events'] = [];
  for (const name of [
    'cascade.step.started',
    'cascade.step.succeeded',
    'cascade.step.late',
    'cascade.step.deferred',
    'cascade.fallback',
    'cascade.completed',
    'cascade.exhausted',
  ] as const) {
    cascade.on(name, ((payload: unknown) => events.push([name, payload])) as never);
  }
  const status: Setup['status'] = async (channel, value, index = -1) => {
    const sent = channel.sent.at(index);
    if (!sent) throw new Error(`${channel.id} sent nothing`);
    const response = await hub.handleWebhook(channel.id, channel.statusWebhook(sent.providerMessageId, value, clock.now()));
    expect(response.status).toBe(200);
    await cascade.drain();
  };
  return { clock, store, hub, cascade, mocks, events, status } satisfies Setup;
}

const names = (events: Setup['events']) => events.map(([name]) => name);

describe('cascade.send: fallback on deadlines', () => {
  it('falls back to SMS when WhatsApp is delivered but not read within 24 h; a late read is recorded, nothing more sent', async () => {
    const { clock, cascade, mocks, events, status } = setup();
    const state = await cascade.send(phoneOnly, perChannel());
    expect(mocks.whatsapp.sent).toHaveLength(1);
    expect(mocks.whatsapp.sent[0]?.content).toMatchObject({ type: 'template', name: 'service_reminder' });
    expect(mocks.sms.sent).toHaveLength(0);
    await status(mocks.whatsapp, 'delivered');
    clock.advance(24 * HOUR_MS - 1);
    expect(await cascade.runDueSteps()).toBe(0);
    expect(mocks.sms.sent).toHaveLength(0);
    clock.advance(1);
    expect(await cascade.runDueSteps()).toBe(1);
    expect(mocks.sms.sent).toHaveLength(1);
    expect(mocks.sms.sent[0]?.content).toEqual({ type: 'text', text: longText });
    expect(events.find(([name]) => name === 'cascade.fallback')?.[1]).toEqual({
      cascadeId: state.id,
      step: 0,
      from: 'whatsapp',
      to: 'sms',
      reason: 'not_read',
    });
    await status(mocks.sms, 'delivered');
    await status(mocks.whatsapp, 'read');
    const final = await cascade.get(state.id);
    expect(final?.status).toBe('succeeded');
    expect(final?.steps.map((step) => [step.channelId, step.status, step.outcome])).toEqual([
      ['whatsapp', 'timed_out', 'read'],
      ['sms', 'succeeded', 'delivered'],
    ]);
    expect(final?.steps[0]?.late).toEqual([{ status: 'read', at: clock.now() }]);
    expect(final?.spentMinor).toBe(1200 + 1500);
    expect(names(events)).toEqual([
      'cascade.step.started',
      'cascade.fallback',
      'cascade.step.started',
      'cascade.step.succeeded',
      'cascade.completed',
      'cascade.step.late',
    ]);
    clock.advance(30 * DAY_MS);
    await cascade.runDueSteps();
    expect(mocks.whatsapp.sent).toHaveLength(1);
    expect(mocks.sms.sent).toHaveLength(1);
  });

  it('stops when WhatsApp is read within 24 h: the SMS is never sent', async () => {
    const { clock, cascade, mocks, events, status } = setup();
    const state = await cascade.send(phoneOnly, perChannel());
    clock.advance(2 * HOUR_MS);
    await status(mocks.whatsapp, 'read');
    clock.advance(2 * DAY_MS);
    expect(await cascade.runDueSteps()).toBe(0);
    expect(mocks.sms.sent).toHaveLength(0);
    expect((await cascade.get(state.id))?.status).toBe('succeeded');
    expect(events.at(-1)).toEqual([
      'cascade.completed',
      { cascadeId: state.id, contactId: 'c1', channelId: 'whatsapp', spentMinor: 1200 },
    ]);
  });

  it('with a not_delivered trigger: delivered is a success, silence until the deadline falls back', async () => {
    const policy: CascadePolicy = { fallback: { whatsapp: { after: 'not_delivered', withinMs: 6 * HOUR_MS } } };
    const first = setup(policy);
    await first.cascade.send(phoneOnly, perChannel());
    await first.status(first.mocks.whatsapp, 'delivered');
    first.clock.advance(DAY_MS);
    await first.cascade.runDueSteps();
    expect(first.mocks.sms.sent).toHaveLength(0);

    const second = setup(policy);
    const state = await second.cascade.send(phoneOnly, perChannel());
    second.clock.advance(6 * HOUR_MS);
    await second.cascade.runDueSteps();
    expect(second.mocks.sms.sent).toHaveLength(1);
    expect((await second.cascade.get(state.id))?.steps[0]?.status).toBe('timed_out');
    expect(second.events.find(([name]) => name === 'cascade.fallback')?.[1]).toMatchObject({ reason: 'not_delivered' });
  });

  it('exhausts when the last step is not delivered by its deadline', async () => {
    const { clock, cascade, mocks, events } = setup();
    const state = await cascade.send(phoneOnly, perChannel());
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(1);
    expect((await cascade.get(state.id))?.status).toBe('exhausted');
    expect(events.at(-1)?.[0]).toBe('cascade.exhausted');
    expect(events.filter(([name]) => name === 'cascade.fallback').map(([, event]) => event)).toEqual([
      { cascadeId: state.id, step: 0, from: 'whatsapp', to: 'sms', reason: 'not_read' },
      { cascadeId: state.id, step: 1, from: 'sms', to: undefined, reason: 'not_delivered' },
    ]);
  });
});

describe('cascade.send: immediate fallback', () => {
  it('falls back at once when the contact is not on WhatsApp, and later plans leave WhatsApp out', async () => {
    const { cascade, mocks, events } = setup();
    mocks.whatsapp.reject('+79161234567', 'not_on_channel');
    const state = await cascade.send(phoneOnly, perChannel());
    expect(mocks.whatsapp.attempts).toHaveLength(1);
    expect(mocks.whatsapp.sent).toHaveLength(0);
    expect(mocks.sms.sent).toHaveLength(1);
    expect(state.steps.map((step) => [step.channelId, step.status])).toEqual([
      ['whatsapp', 'failed'],
      ['sms', 'waiting'],
    ]);
    expect(state.spentMinor).toBe(1500);
    expect(events.find(([name]) => name === 'cascade.fallback')?.[1]).toMatchObject({ from: 'whatsapp', reason: 'unreachable' });
    const next = await cascade.plan(phoneOnly, perChannel());
    expect(next.excluded).toContainEqual(expect.objectContaining({ channelId: 'whatsapp', reason: 'not_on_channel' }));
  });

  it('falls back at once on a WindowClosedError from the provider (131047)', async () => {
    const { cascade, mocks, events } = setup();
    mocks.whatsapp.failNext(
      new WindowClosedError({ channel: 'whatsapp', message: 're-engagement message', providerCode: 131047 }),
    );
    await cascade.send(phoneOnly, perChannel());
    expect(mocks.sms.sent).toHaveLength(1);
    expect(events.find(([name]) => name === 'cascade.fallback')?.[1]).toMatchObject({ reason: 'window_closed' });
  });

  it('falls back as soon as a failed status arrives, without waiting for the deadline', async () => {
    const { clock, cascade, mocks, status } = setup();
    const state = await cascade.send(phoneOnly, perChannel());
    clock.advance(5 * 60_000);
    await status(mocks.whatsapp, 'failed');
    expect(mocks.sms.sent).toHaveLength(1);
    const stored = await cascade.get(state.id);
    expect(stored?.steps.map((step) => [step.channelId, step.status])).toEqual([
      ['whatsapp', 'failed'],
      ['sms', 'waiting'],
    ]);
    // The cancelled WhatsApp deadline never fires a second fallback.
    clock.advance(DAY_MS - 5 * 60_000);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(1);
  });

  it('e-mail first when the address is known; a bounce moves on to WhatsApp', async () => {
    const { cascade, mocks } = setup();
    mocks.email.reject('ivan@example.ru', 'bounced');
    await cascade.send({ ...phoneOnly, email: 'ivan@example.ru' }, perChannel());
    expect(mocks.email.attempts).toHaveLength(1);
    expect(mocks.whatsapp.sent).toHaveLength(1);
  });
});

describe('cascade: durability and exactly-once', () => {
  it('two cascade instances racing over the same store send the fallback once', async () => {
    const a = setup();
    const b = setup(undefined, { store: a.store, clock: a.clock, mocks: a.mocks });
    await a.cascade.send(phoneOnly, perChannel());
    a.clock.advance(DAY_MS);
    const [ranA, ranB] = await Promise.all([a.cascade.runDueSteps(), b.cascade.runDueSteps()]);
    expect(ranA + ranB).toBe(1);
    expect(a.mocks.sms.sent).toHaveLength(1);
    a.clock.advance(2 * 60_000);
    await Promise.all([a.cascade.runDueSteps(), b.cascade.runDueSteps()]);
    expect(a.mocks.sms.sent).toHaveLength(1);
    expect(a.mocks.whatsapp.sent).toHaveLength(1);
  });

  it('a repeated send with the same idempotency key returns the first cascade', async () => {
    const { cascade, mocks } = setup();
    const [first, second] = await Promise.all([
      cascade.send(phoneOnly, perChannel(), { idempotencyKey: 'order-42' }),
      cascade.send(phoneOnly, perChannel(), { idempotencyKey: 'order-42' }),
    ]);
    expect(second.id).toBe(first.id);
    expect(mocks.whatsapp.sent).toHaveLength(1);
  });

  it('two hubs sharing one store (two processes) sending the same cascade at once: one starts it, both return it', async () => {
    const a = setup();
    const b = setup(undefined, { store: a.store, clock: a.clock, mocks: a.mocks });
    // Each hub's WhatsApp send takes a while, as a provider call does: both processes are inside `send` together.
    const original = a.mocks.whatsapp.doSend;
    a.mocks.whatsapp.doSend = async (message, sendOptions) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return original(message, sendOptions);
    };
    const options = { campaign: 'spring', idempotencyKey: 'spring:c1' };
    const [first, second] = await Promise.all([
      a.cascade.send(phoneOnly, perChannel(), options),
      b.cascade.send(phoneOnly, perChannel(), options),
    ]);
    expect(second.id).toBe(first.id);
    // One process planned and started it: one step, one `started` event, one provider call.
    const started = [...a.events, ...b.events].filter(([name]) => name === 'cascade.step.started');
    expect(started).toHaveLength(1);
    expect(a.mocks.whatsapp.attempts).toHaveLength(1);
    expect(first.steps).toHaveLength(1);
    expect(second.steps).toHaveLength(1);
    expect((await a.cascade.get(first.id))?.steps).toHaveLength(1);
    expect(await a.store.listRecords('cascade.lease')).toEqual([]);
    // Its deadline runs once, on either process.
    a.clock.advance(DAY_MS);
    const [ranA, ranB] = await Promise.all([a.cascade.runDueSteps(), b.cascade.runDueSteps()]);
    expect(ranA + ranB).toBe(1);
    expect(a.mocks.sms.sent).toHaveLength(1);
  });

  it("a delivery report applied by another process while this one is still recording the step is not undone by this one's save", async () => {
    const a = setup();
    const b = setup(undefined, { store: a.store, clock: a.clock, mocks: a.mocks });
    await a.cascade.send(phoneOnly, perChannel());
    // Process A falls back to SMS. The provider accepts the SMS and its delivery report reaches process B's hub before
    // A's cascade has saved the step with the message's id (A is slow: a GC pause, a busy event loop).
    const send = a.hub.send.bind(a.hub);
    let reported: Promise<void> | undefined;
    a.hub.send = (async (...args: Parameters<typeof send>) => {
      const message = await send(...args);
      if (message.channel === 'sms') {
        reported = b.status(b.mocks.sms, 'delivered');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return message;
    }) as typeof a.hub.send;
    a.clock.advance(DAY_MS);
    await a.cascade.runDueSteps();
    await reported;
    const [state] = (await a.store.listRecords<{ status: string; steps: Array<{ status: string }> }>('cascade.run')).map(
      (record) => record.value,
    );
    expect(state?.steps.map((step) => step.status)).toEqual(['timed_out', 'succeeded']);
    expect(state?.status).toBe('succeeded');
    expect(await a.store.listRecords('cascade.lease')).toEqual([]);
  });

  it("a process that died holding a cascade's lease: another process's send returns the state it stored; its deadline sends the step once", async () => {
    const a = setup();
    a.hub.send = () => new Promise(() => {}); // dies inside the first step, holding the lease
    void a.cascade.send(phoneOnly, perChannel(), { idempotencyKey: 'order-7' });
    await vi.waitFor(async () => expect(await a.store.listRecords('cascade.lease')).toHaveLength(1));
    a.cascade.close();
    const b = setup(undefined, { store: a.store, clock: a.clock, mocks: a.mocks });
    let done = false;
    const sending = b.cascade.send(phoneOnly, perChannel(), { idempotencyKey: 'order-7' }).finally(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The state the dead process stored is found and returned; its first step is the stored deadline's to send.
    expect(done).toBe(true);
    const state = await sending;
    expect(state.steps).toHaveLength(1);
    expect(a.mocks.whatsapp.sent).toHaveLength(0);
    a.clock.advance(DAY_MS);
    await b.cascade.runDueSteps();
    expect(a.mocks.whatsapp.sent).toHaveLength(1);
  });

  it('a process that died holding a lease, before storing anything: the next send takes over once the lease expires', async () => {
    const a = setup();
    // A lease left by a process that died right after taking it (nothing else of its cascade is stored).
    await a.store.putRecord('cascade.lease', '-/cascade_order-8', { token: 'start_dead', until: a.clock.now() + 60_000 });
    let done = false;
    const sending = a.cascade.send(phoneOnly, perChannel(), { idempotencyKey: 'order-8' }).finally(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(done).toBe(false);
    expect(a.mocks.whatsapp.sent).toHaveLength(0);
    a.clock.advance(60_000);
    const state = await sending;
    expect(state.steps).toHaveLength(1);
    expect(a.mocks.whatsapp.sent).toHaveLength(1);
    expect(await a.store.listRecords('cascade.lease')).toEqual([]);
  });

  it('a restarted process resumes the pending deadline from the store, exactly once', async () => {
    const before = setup();
    const state = await before.cascade.send(phoneOnly, perChannel());
    before.cascade.close(); // the process dies; the store survives
    const after = setup(undefined, { store: before.store, clock: before.clock, mocks: before.mocks });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    after.cascade.start();
    after.clock.advance(DAY_MS);
    await vi.advanceTimersByTimeAsync(30_000); // the safety poll: the memory store watches jobs
    await after.cascade.drain();
    after.cascade.stop();
    expect(before.mocks.sms.sent).toHaveLength(1);
    expect(after.events.map(([name]) => name)).toEqual(['cascade.fallback', 'cascade.step.started']);
    expect(await after.cascade.runDueSteps()).toBe(0);
    await after.status(after.mocks.sms, 'delivered');
    expect((await after.cascade.get(state.id))?.status).toBe('succeeded');
    expect(before.mocks.sms.sent).toHaveLength(1);
  });

  it('a process that died while the provider call was in flight: the new one never sends that step again', async () => {
    const before = setup();
    const original = before.mocks.whatsapp.doSend;
    let inFlight = false;
    before.mocks.whatsapp.doSend = async (message) => {
      before.mocks.whatsapp.attempts.push(message);
      inFlight = true;
      return new Promise(() => {}); // the process dies before the provider answers
    };
    void before.cascade.send(phoneOnly, perChannel());
    await vi.waitFor(() => expect(inFlight).toBe(true));
    before.cascade.close();
    before.mocks.whatsapp.doSend = original;
    const after = setup(undefined, { store: before.store, clock: before.clock, mocks: before.mocks });
    after.clock.advance(DAY_MS);
    // The deadline, and the new cascade's safety net (a no-op: its first step had been recorded).
    expect(await after.cascade.runDueSteps()).toBe(2);
    expect(before.mocks.whatsapp.attempts).toHaveLength(1);
    expect(before.mocks.sms.sent).toHaveLength(1);
  });

  /** A store whose writes hang from the first one matching `dies` on: the process died there. `inner` survives. */
  function dyingStore(dies: (method: 'scheduleJob' | 'putRecord', value: unknown) => boolean): { store: Store; inner: Store } {
    const inner = createMemoryStore();
    let dead = false;
    const hang = <T>(method: 'scheduleJob' | 'putRecord', value: unknown, write: () => Promise<T>): Promise<T> => {
      if (dead || dies(method, value)) {
        dead = true;
        return new Promise(() => {});
      }
      return write();
    };
    const store: Store = {
      ...inner,
      scheduleJob: (job) => hang('scheduleJob', job, () => inner.scheduleJob(job)),
      putRecord: (namespace, key, value) => hang('putRecord', value, () => inner.putRecord(namespace, key, value)),
    };
    return { store, inner };
  }

  it.each([
    [
      'after recording the new cascade, before scheduling its first step',
      (method: string, value: unknown) =>
        method === 'scheduleJob' && (value as { payload: { action: string } }).payload.action === 'deadline',
    ],
    [
      'after scheduling the first deadline, before recording the step',
      (method: string, value: unknown) => method === 'putRecord' && (value as { steps?: unknown[] }).steps?.length === 1,
    ],
  ])('a process that died %s: no cascade is stranded, the step starts a minute later, once', async (_when, dies) => {
    const clock = createManualClock(start);
    const mocks = createMockChannels();
    const { store, inner } = dyingStore(dies);
    const before = setup(undefined, { store, clock, mocks });
    void before.cascade.send(phoneOnly, perChannel());
    await vi.waitFor(async () => expect(await inner.listRecords('cascade.run')).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    before.cascade.close();
    expect(mocks.whatsapp.sent).toHaveLength(0);
    const after = setup(undefined, { store: inner, clock, mocks });
    clock.advance(59_000);
    expect(await after.cascade.runDueSteps()).toBe(0);
    clock.advance(1_000);
    await after.cascade.runDueSteps();
    expect(mocks.whatsapp.sent).toHaveLength(1);
    clock.advance(DAY_MS);
    await after.cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(1);
    expect(mocks.whatsapp.sent).toHaveLength(1);
  });

  it('a process that died before calling the provider: the new one sends the step, then keeps its deadline', async () => {
    const before = setup();
    let called = false;
    before.hub.send = () => {
      called = true;
      return new Promise(() => {}); // the process dies between storing the step and calling the hub
    };
    void before.cascade.send(phoneOnly, perChannel());
    await vi.waitFor(() => expect(called).toBe(true));
    before.cascade.close();
    const after = setup(undefined, { store: before.store, clock: before.clock, mocks: before.mocks });
    after.clock.advance(DAY_MS);
    await after.cascade.runDueSteps();
    expect(after.mocks.whatsapp.sent).toHaveLength(1);
    expect(after.mocks.sms.sent).toHaveLength(0);
    after.clock.advance(DAY_MS - 1);
    expect(await after.cascade.runDueSteps()).toBe(0);
    after.clock.advance(1);
    expect(await after.cascade.runDueSteps()).toBe(1);
    expect(after.mocks.sms.sent).toHaveLength(1);
    expect(after.mocks.whatsapp.sent).toHaveLength(1);
  });

  it('cancel stops a running cascade', async () => {
    const { clock, cascade, mocks } = setup();
    const state = await cascade.send(phoneOnly, perChannel());
    await cascade.cancel(state.id);
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(0);
    expect((await cascade.get(state.id))?.status).toBe('cancelled');
  });
});

describe('cascade: quiet hours, budgets, caps', () => {
  it('a step due at night waits until 09:00 in the contact time zone', async () => {
    const { clock, cascade, mocks, events } = setup();
    clock.set(Date.parse('2026-03-02T20:00:00Z')); // 23:00 Moscow
    const state = await cascade.send(phoneOnly, perChannel());
    expect(mocks.whatsapp.sent).toHaveLength(0);
    expect(events[0]).toEqual([
      'cascade.step.deferred',
      { cascadeId: state.id, step: 0, channelId: 'whatsapp', notBefore: Date.parse('2026-03-03T06:00:00Z') },
    ]);
    clock.set(Date.parse('2026-03-03T05:59:00Z'));
    await cascade.runDueSteps();
    expect(mocks.whatsapp.sent).toHaveLength(0);
    clock.set(Date.parse('2026-03-03T06:00:00Z'));
    await cascade.runDueSteps();
    expect(mocks.whatsapp.sent).toHaveLength(1);
    // The same instant is afternoon in Vladivostok: sent at once.
    await cascade.send({ id: 'c9', phone: '+79241234567', timeZone: 'Asia/Vladivostok' }, perChannel());
    expect(mocks.whatsapp.sent).toHaveLength(2);
  });

  it('a fallback whose deadline falls at night waits for the morning', async () => {
    const policy: CascadePolicy = { fallback: { whatsapp: { after: 'not_read', withinMs: 13 * HOUR_MS } } };
    const clock = createManualClock(Date.parse('2026-03-02T06:00:00Z')); // 09:00 Moscow: deadline at 22:00
    const { cascade, mocks, events } = setup(policy, { clock, store: createMemoryStore(), mocks: createMockChannels() });
    await cascade.send(phoneOnly, perChannel());
    expect(mocks.whatsapp.sent).toHaveLength(1);
    clock.advance(13 * HOUR_MS);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(0);
    expect(events.at(-1)).toEqual([
      'cascade.step.deferred',
      expect.objectContaining({ channelId: 'sms', notBefore: Date.parse('2026-03-03T06:00:00Z') }),
    ]);
    clock.set(Date.parse('2026-03-03T06:00:00Z'));
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(1);
  });

  it('a per-message budget stops the cascade before an SMS it cannot afford', async () => {
    const { clock, cascade, mocks } = setup({ budget: { perMessageMinor: 2000 } });
    const state = await cascade.send(phoneOnly, perChannel());
    expect(mocks.whatsapp.sent).toHaveLength(1);
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(0);
    const stored = await cascade.get(state.id);
    expect(stored?.status).toBe('exhausted');
    expect(stored?.exhausted?.excluded).toContainEqual(expect.objectContaining({ channelId: 'sms', reason: 'over_budget' }));
  });

  it('maxSteps: 1 never falls back', async () => {
    const { clock, cascade, mocks } = setup({ maxSteps: 1 });
    await cascade.send(phoneOnly, perChannel());
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    expect(mocks.sms.sent).toHaveLength(0);
  });

  it('frequency cap: one marketing cascade per 30 days, whatever the campaign', async () => {
    const { clock, cascade, mocks } = setup();
    const contact = { ...phoneOnly, consent: { whatsapp: 'granted', sms: 'granted' } } as const;
    await cascade.send(contact, perChannel(), { kind: 'marketing', campaign: 'march' });
    expect(mocks.whatsapp.sent).toHaveLength(1);
    clock.advance(10 * DAY_MS);
    const capped = await cascade.send(contact, perChannel(), { kind: 'marketing', campaign: 'march-2' });
    expect(capped.status).toBe('exhausted');
    expect(capped.exhausted?.excluded.map((entry) => entry.reason)).toEqual([
      'frequency_cap',
      'frequency_cap',
      'frequency_cap',
      'frequency_cap',
    ]);
    // A service message is not capped.
    await cascade.send(contact, perChannel(), { kind: 'service' });
    expect(mocks.whatsapp.sent).toHaveLength(2);
    clock.advance(21 * DAY_MS);
    await cascade.send(contact, perChannel(), { kind: 'marketing', campaign: 'april' });
    expect(mocks.whatsapp.sent).toHaveLength(3);
  });
});

describe('cascade.send: the frequency cap under concurrency', () => {
  it('two marketing cascades started at the same moment for one contact send once; the other is exhausted by the cap', async () => {
    const { cascade, mocks, events, hub } = setup();
    const contact = { ...phoneOnly, consent: { whatsapp: 'granted', sms: 'granted' } } as const;
    const [first, second] = await Promise.all([
      cascade.send(contact, perChannel('Весенняя распродажа: скидка до 15%'), { kind: 'marketing', idempotencyKey: 'a' }),
      cascade.send(contact, perChannel('Весенняя распродажа: скидка до 15%'), { kind: 'marketing', idempotencyKey: 'b' }),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual(['exhausted', 'running']);
    expect(mocks.whatsapp.attempts.length + mocks.sms.attempts.length).toBe(1);
    const exhausted = events.find(([name]) => name === 'cascade.exhausted')?.[1] as { reason: string };
    expect(exhausted.reason).toBe('frequency_cap');
    expect(await hub.mailingHistory('c1')).toHaveLength(1);
  });

  it('a marketing hub.send counts toward the cascade cap, and a cascade that reached nobody gives its place back', async () => {
    const { cascade, mocks, hub, events } = setup();
    const contact = { ...phoneOnly, consent: { whatsapp: 'granted', sms: 'granted' } } as const;
    await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Скидка на ТО' }, kind: 'marketing' });
    const capped = await cascade.send(contact, perChannel('Весенняя распродажа'), { kind: 'marketing' });
    expect(capped.status).toBe('exhausted');
    const { excluded } = (events.at(-1) as [string, { excluded: Array<{ reason: string }> }])[1];
    expect(excluded.map((exclusion) => exclusion.reason)).toContain('frequency_cap');
    expect(mocks.sms.attempts).toHaveLength(1);
    const other = { id: 'c2', phone: '+79161234568', consent: { whatsapp: 'granted', sms: 'granted' } } as const;
    mocks.whatsapp.reject('+79161234568', 'not_on_channel');
    mocks.sms.reject('+79161234568', 'not_on_channel');
    const nobody = await cascade.send(other, perChannel('Весенняя распродажа'), { kind: 'marketing' });
    expect(nobody.status).toBe('exhausted');
    expect(await hub.mailingHistory('c2')).toEqual([]);
  });
});

describe('cascade: learning who reads what', () => {
  it('a month later, the contact who read WhatsApp gets WhatsApp first and the one who did not gets SMS', async () => {
    const { clock, cascade, mocks, status } = setup();
    const reader: ContactInput = { id: 'reader', phone: '+7 916 111-11-11' };
    const ignorer: ContactInput = { id: 'ignorer', phone: '+7 916 222-22-22' };
    await cascade.send(reader, perChannel());
    await status(mocks.whatsapp, 'delivered');
    await status(mocks.whatsapp, 'read');
    await cascade.send(ignorer, perChannel());
    await status(mocks.whatsapp, 'delivered');
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    await status(mocks.sms, 'delivered');
    clock.advance(30 * DAY_MS);

    const readerPlan = await cascade.plan(reader, perChannel());
    const ignorerPlan = await cascade.plan(ignorer, perChannel());
    expect(readerPlan.steps.map((step) => step.channelId)).toEqual(['whatsapp', 'sms']);
    expect(ignorerPlan.steps.map((step) => step.channelId)).toEqual(['sms', 'whatsapp']);
    const whatsapp = readerPlan.steps[0];
    // The base's aggregate (1 read of 2 delivered WhatsApp messages) is the prior, shrunk towards the policy's 0.9.
    expect(whatsapp?.reachBasis).toMatchObject({ source: 'history', priorFrom: 'base', trials: expect.any(Number) });
    expect(whatsapp?.reachBasis.prior).toBeCloseTo((1 + 0.9 * 20) / (2 + 20), 10);
    expect(whatsapp?.reachBasis.successes).toBeCloseTo(whatsapp?.reachBasis.trials ?? 0, 10);
    expect(ignorerPlan.steps[1]?.reachBasis.successes).toBe(0);
    expect(ignorerPlan.steps[1]?.reachProbability).toBeLessThan(0.5);
  });
});

describe('cascade: channel acquisition', () => {
  function acquisitionSetup(acquisition: Partial<AcquisitionPolicy> = {}) {
    const clock = createManualClock(start);
    const store = createMemoryStore();
    const mocks = createMockChannels();
    const max = createTestChannel({
      id: 'max',
      kind: 'max',
      deepLinkBase: 'https://max.ru/dealer_bot',
      capabilities: { address: 'chat', contentTypes: ['text'], templates: false, canStartConversation: false },
    });
    const hub = createOmnidealer({ channels: [max, mocks.sms], store, clock });
    const cascade = createCascade({
      hub,
      clock,
      policy: { acquisition: { channel: 'max', prefix: 'Мы в MAX: ', ...acquisition }, quietHours: false },
    });
    open.push(cascade);
    return { clock, hub, cascade, mocks, max, store };
  }

  it('appends an invite link to the SMS when its expected savings cover the extra segment; the report counts the link', async () => {
    const { hub, cascade, mocks, max } = acquisitionSetup();
    const state = await cascade.send(phoneOnly, { sms: { type: 'text', text: longText } }, { campaign: 'march' });
    const sent = mocks.sms.sent[0]?.content;
    expect(sent?.type === 'text' && sent.text.startsWith(`${longText}\nМы в MAX: https://max.ru/dealer_bot?start=`)).toBe(true);
    const step = (await cascade.get(state.id))?.steps[0];
    // 300 characters are 5 UCS-2 segments; with the link, 6: one more segment (3 ₽), 1.5 × 3 ₽ under 0.05 × 11 × 15 ₽.
    expect(step?.invite).toMatchObject({ channelId: 'max', extraCostMinor: 300 });
    expect(step?.costMinor).toBe(1800);
    const payload = step?.invite?.payload as string;
    const pressed = await hub.handleWebhook(
      'max',
      max.inboundWebhook('-7001', '/start', { kind: 'start', senderId: '4711', conversationExternalId: '-7001', payload }),
    );
    expect(pressed.status).toBe(200);
    const report = await cascade.report({ campaign: 'march' });
    expect(report.acquisition).toEqual({ invites: 1, links: 1, extraCostMinor: 300, paybackMailings: 300 / 1500 });
    // Linked: the next plan starts on the free channel.
    const next = await cascade.plan(phoneOnly, {
      max: { type: 'text', text: 'Ждём вас' },
      sms: { type: 'text', text: longText },
    });
    expect(next.steps.map((candidate) => candidate.channelId)).toEqual(['max', 'sms']);
  });

  it('invites one contact at most maxInvitesPerContact times when the policy sets a cap', async () => {
    const { cascade, mocks } = acquisitionSetup({ maxInvitesPerContact: 2 });
    for (const campaign of ['march', 'april', 'may'])
      await cascade.send(phoneOnly, { sms: { type: 'text', text: longText } }, { campaign });
    const texts = mocks.sms.sent.map((message) => (message.content.type === 'text' ? message.content.text : ''));
    expect(texts.map((text) => text.includes('https://max.ru/dealer_bot?start='))).toEqual([true, true, false]);
    expect((await cascade.report()).acquisition).toMatchObject({ invites: 2, links: 0, paybackMailings: undefined });
  });

  it('stops inviting a contact who ignores invites once the payback no longer covers the extra segment', async () => {
    const { cascade, mocks, clock } = acquisitionSetup();
    for (let month = 0; month < 6; month++) {
      await cascade.send(phoneOnly, { sms: { type: 'text', text: longText } }, { campaign: `month-${month}` });
      clock.advance(30 * 86_400_000);
    }
    const texts = mocks.sms.sent.map((message) => (message.content.type === 'text' ? message.content.text : ''));
    // A 15 ₽ SMS, a 3 ₽ link that must pay back 1.5 times (4.50 ₽), the take rate ≈ 0.05 (the settled invites, none
    // taken, pull it down a little) and halved after two ignored invites: 0.05 × 11 × 15 ₽ (8.25 ₽) and
    // 0.033 × 10 × 15 ₽ (4.97 ₽) pay back; the third, 0.025 × 9 × 15 ₽ (3.36 ₽), does not.
    const invited = texts.map((text) => text.includes('https://max.ru/dealer_bot?start='));
    expect(invited).toEqual([true, true, false, false, false, false]);
  });

  it('learns the take rate from settled invites and counts a link once the invited contact is reachable', async () => {
    const { cascade, clock, store } = acquisitionSetup();
    await cascade.send(phoneOnly, { sms: { type: 'text', text: longText } }, { campaign: 'march' });
    expect(await store.getRecord('cascade.acquisition', 'max')).toEqual({ invites: 1, settled: 0, links: 0 });
    clock.advance(30 * 86_400_000);
    // The contact pressed Start since: the next plan finds them on MAX and settles the invite as a link.
    const linked = { ...phoneOnly, identities: { maxChatIds: ['-7001'] } };
    await cascade.plan(linked, { max: { type: 'text', text: 'Ждём вас' }, sms: { type: 'text', text: longText } });
    expect(await store.getRecord('cascade.acquisition', 'max')).toEqual({ invites: 1, settled: 1, links: 1 });
    expect(await store.getRecord('cascade.invites', `${phoneOnly.id}:max`)).toMatchObject({ invites: 1, settled: 1 });
  });

  it('leaves the link out when the extra segment costs more than it is expected to save', async () => {
    const { cascade, mocks } = acquisitionSetup();
    const state = await cascade.send(phoneOnly, { sms: { type: 'text', text: 'Ваш автомобиль готов, ждём вас до 20:00' } });
    expect(mocks.sms.sent[0]?.content).toEqual({ type: 'text', text: 'Ваш автомобиль готов, ждём вас до 20:00' });
    expect((await cascade.get(state.id))?.steps[0]?.invite).toBeUndefined();
  });
});
