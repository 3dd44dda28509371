import { createCascade, HOUR_MS } from '@omnidealer/cascade';
import { createOmnidealer, type Message } from '@omnidealer/core';
import type { FaultRule } from '@omnidealer/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChannelId, channelIds, contacts, contentFor, type Harness, type HarnessOptions, startHarness } from './harness.js';
import { isAccountedFor, providerOf, receipts, receiptsFor, recordAttempts } from './provider.js';

let running: Harness | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup(options: HarnessOptions = {}) {
  running = await startHarness(options);
  return { ...running, attempts: recordAttempts(running.sandbox) };
}

const fault = (channel: ChannelId, rule: Omit<FaultRule, 'provider' | 'path'>): FaultRule => ({
  provider: providerOf[channel].provider,
  ...(channel === 'email' ? {} : { path: providerOf[channel].sendPath }),
  ...rule,
});

/**
 * Send attempts the provider saw. The SMTP sandbox also consults `first: N` rules at AUTH (which a rate limit does
 * not fail), so for e-mail a burst of N may cost one attempt less.
 */
function expectAttempts(
  harness: Harness & { attempts: ReturnType<typeof recordAttempts> },
  channel: ChannelId,
  expected: number,
) {
  const count = harness.attempts.count(channel);
  if (channel === 'email') {
    expect(count).toBeGreaterThanOrEqual(expected - 1);
    expect(count).toBeLessThanOrEqual(expected);
  } else expect(count).toBe(expected);
}

function send(harness: Harness, channel: ChannelId, idempotencyKey?: string): Promise<Message> {
  return harness.hub.send({
    channel,
    contact: contacts.ivan,
    content: contentFor[channel],
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}

describe.each(channelIds)('%s: provider faults through the hub (sandbox)', (channel) => {
  it('a 429 burst is retried until it passes, the provider gets the message once', async () => {
    const harness = await setup({ faults: [fault(channel, { kind: 'rate_limit', first: 2, retryAfterSeconds: 7 })] });
    const message = await send(harness, channel);
    expect(message.status).toBe('sent');
    expectAttempts(harness, channel, 3);
    expect(receipts(harness.sandbox, channel)).toBe(1);
    // SMTP 451 carries no Retry-After; every HTTP provider's does and the hub waits it out before each retry.
    if (channel !== 'email') expect(harness.sleeps).toEqual([7000, 7000]);
    expect((await harness.hub.store.getMessage(message.id))?.status).toBe('sent');
  });

  it('a provider that keeps failing (500) is retried a bounded number of times, then the message fails with a reason', async () => {
    const harness = await setup({ faults: [fault(channel, { kind: 'server_error' })], retry: { retries: 3 } });
    const message = await send(harness, channel);
    expect(message.status).toBe('failed');
    expect(message.error?.code).toMatch(/provider_error|network/);
    expect(message.error?.retryable).toBe(true);
    expect(harness.attempts.count(channel)).toBe(4);
    expect(receipts(harness.sandbox, channel)).toBe(0);
    const stored = await harness.hub.store.getMessage(message.id);
    expect(stored?.status).toBe('failed');
    expect(stored?.error?.message).toBeTruthy();
  });

  it('503 once, then the provider recovers: one retry, one receipt', async () => {
    const harness = await setup({ faults: [fault(channel, { kind: 'unavailable', first: 1 })] });
    const message = await send(harness, channel);
    expect(message.status).toBe('sent');
    expectAttempts(harness, channel, 2);
    expect(receipts(harness.sandbox, channel)).toBe(1);
  });

  it('a rate limit that never ends does not retry forever', async () => {
    const harness = await setup({
      faults: [fault(channel, { kind: 'rate_limit', retryAfterSeconds: 1 })],
      retry: { retries: 2 },
    });
    const message = await send(harness, channel);
    expect(message.status).toBe('failed');
    expect(message.error?.code).toBe('rate_limited');
    expect(harness.attempts.count(channel)).toBe(3);
    expect(receipts(harness.sandbox, channel)).toBe(0);
  });

  it('one idempotency key sends once, however often and however concurrently it is used', async () => {
    const harness = await setup({ faults: [fault(channel, { kind: 'unavailable', first: 1 })] });
    const concurrent = await Promise.all([1, 2, 3, 4, 5].map(() => send(harness, channel, `order-42-${channel}`)));
    const again = await send(harness, channel, `order-42-${channel}`);
    const ids = new Set([...concurrent, again].map((message) => message.id));
    expect(ids.size).toBe(1);
    expect(again.status).toBe('sent');
    expect(receipts(harness.sandbox, channel)).toBe(1);
    const messages = await harness.hub.store.listMessages(again.conversationId, { limit: 50 });
    expect(messages.filter((message) => message.direction === 'outbound')).toHaveLength(1);
  });

  it('a dropped connection (client timeout on a slow answer) is retried and the provider acts once', async () => {
    if (channel === 'email') return; // SMTP holds MAIL FROM; covered by the socket timeout of nodemailer elsewhere.
    const harness = await setup({ faults: [fault(channel, { kind: 'slow', first: 1, delayMs: 1500 })], timeoutMs: 250 });
    const message = await send(harness, channel);
    expect(message.status).toBe('sent');
    // The held request never answers (the client gave up), so it is counted as a fault, not as a finished request.
    expect(harness.sandbox.stats()[providerOf[channel].provider as 'whatsapp'].faults).toBe(1);
    expect(harness.attempts.count(channel)).toBe(1);
    expect(receipts(harness.sandbox, channel)).toBe(1);
  });
});

describe('backoff', () => {
  it.each(['whatsapp', 'sms'] as const)('%s: retries without Retry-After wait exponentially longer', async (channel) => {
    const harness = await setup({
      faults: [fault(channel, { kind: 'server_error' })],
      retry: { retries: 4, minTimeoutMs: 40, maxTimeoutMs: 1000, jitter: false },
    });
    await send(harness, channel);
    const times = harness.attempts.times(channel);
    expect(times).toHaveLength(5);
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    // 40, 80, 160, 320 ms (a loaded machine only makes gaps longer).
    for (const [index, expected] of [40, 80, 160, 320].entries()) expect(gaps[index]).toBeGreaterThanOrEqual(expected * 0.9);
    expect(harness.sleeps).toEqual([]);
  });
});

describe('truncated 200 (the provider accepted, the answer was cut)', () => {
  // A cut-off answer to a send means the provider acted: core reports `response_lost`, never retries, and the hub
  // records the message as sent (unconfirmed). WhatsApp, SMS.ru and Twilio have no idempotency key on their side.
  it.each(['whatsapp', 'sms', 'twilio'] as const)('%s: the message reaches the provider once', async (channel) => {
    const harness = await setup({ faults: [fault(channel, { kind: 'truncated', first: 1 })] });
    const message = await send(harness, channel);
    expect(isAccountedFor(await harness.hub.store.getMessage(message.id))).toBe(true);
    expect(receipts(harness.sandbox, channel)).toBe(1);
  });

  it.each(['whatsapp', 'sms', 'twilio'] as const)('%s: the message is still accounted for in the store', async (channel) => {
    const harness = await setup({ faults: [fault(channel, { kind: 'truncated', first: 1 })] });
    const message = await send(harness, channel);
    expect(isAccountedFor(await harness.hub.store.getMessage(message.id))).toBe(true);
    expect(receipts(harness.sandbox, channel)).toBeGreaterThanOrEqual(1);
  });
});

describe('expired tokens', () => {
  it('avito: a 401 on send refreshes the token and replays the send once', async () => {
    const harness = await setup({ faults: [fault('avito', { kind: 'expired_token', first: 1 })] });
    const tokenCalls: string[] = [];
    harness.sandbox.on('request', (event) => {
      if (event.provider === 'avito' && event.path.includes('/token')) tokenCalls.push(event.path);
    });
    const message = await send(harness, 'avito');
    expect(message.status).toBe('sent');
    expect(tokenCalls).toHaveLength(2);
    expect(harness.attempts.count('avito')).toBe(2);
    expect(receipts(harness.sandbox, 'avito')).toBe(1);
  });

  it('avito: a token past its lifetime on the provider clock is replaced before the next send', async () => {
    const harness = await setup({ behaviour: { avito: { tokenTtlSeconds: 3600 } } });
    expect((await send(harness, 'avito')).status).toBe('sent');
    harness.clock.advance(2 * HOUR_MS);
    expect((await send(harness, 'avito')).status).toBe('sent');
    expect(harness.sandbox.stats().avito.tokensIssued).toBe(2);
    expect(receipts(harness.sandbox, 'avito')).toBe(2);
  });

  it.each(['whatsapp', 'sms', 'twilio', 'email'] as const)(
    '%s: an expired token fails at once (auth, not retryable), nothing is sent',
    async (channel) => {
      const harness = await setup({ faults: [fault(channel, { kind: 'expired_token' })] });
      const message = await send(harness, channel);
      expect(message.status).toBe('failed');
      expect(message.error).toMatchObject({ code: 'auth', retryable: false });
      expect(harness.attempts.count(channel)).toBe(1);
      expect(receipts(harness.sandbox, channel)).toBe(0);
    },
  );
});

describe('statuses', () => {
  it('whatsapp: duplicated status webhooks are dropped by provider message id (one status event each)', async () => {
    const harness = await setup({ behaviour: { whatsapp: { duplicate: 1, outcomes: { [contacts.ivan.phone]: 'read' } } } });
    const duplicates: string[] = [];
    const statuses: string[] = [];
    harness.hub.on('webhook.duplicate', ({ key }) => duplicates.push(key));
    harness.hub.on('message.status', ({ message }) => statuses.push(message.status));
    const message = await send(harness, 'whatsapp');
    harness.clock.advance(24 * HOUR_MS);
    await harness.sandbox.flush({ all: true });
    expect(duplicates.length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual(['delivered', 'read']);
    expect((await harness.hub.store.getMessage(message.id))?.status).toBe('read');
    expect(receipts(harness.sandbox, 'whatsapp')).toBe(1);
  });

  it('whatsapp accepts but never sends a status: the message stays `sent` (not lost) and the cascade falls back to SMS', async () => {
    const harness = await setup({ behaviour: { whatsapp: { outcomes: { [contacts.ivan.phone]: 'silent' } } } });
    const cascade = createCascade({
      hub: harness.hub,
      channels: ['whatsapp', 'sms'],
      policy: {
        ordering: 'preference',
        preference: ['whatsapp', 'sms'],
        quietHours: false,
        fallback: { whatsapp: { after: 'not_delivered', withinMs: 6 * HOUR_MS } },
      },
    });
    const fallbacks: string[] = [];
    cascade.on('cascade.fallback', ({ from, to, reason }) => fallbacks.push(`${from}->${to}:${reason}`));
    const state = await cascade.send(contacts.ivan, {
      whatsapp: contentFor.whatsapp,
      sms: contentFor.sms,
    });
    expect(receiptsFor(harness.sandbox, 'whatsapp', contacts.ivan)).toBe(1);
    harness.clock.advance(6 * HOUR_MS - 1);
    await harness.sandbox.flush();
    await cascade.drain();
    expect(await cascade.runDueSteps()).toBe(0);
    expect(receiptsFor(harness.sandbox, 'sms', contacts.ivan)).toBe(0);
    harness.clock.advance(1);
    expect(await cascade.runDueSteps()).toBe(1);
    await cascade.drain();
    expect(fallbacks).toEqual(['whatsapp->sms:not_delivered']);
    expect(receiptsFor(harness.sandbox, 'sms', contacts.ivan)).toBe(1);
    expect(receiptsFor(harness.sandbox, 'whatsapp', contacts.ivan)).toBe(1);
    const final = await cascade.get(state.id);
    expect(final?.steps.map((step) => step.channelId)).toEqual(['whatsapp', 'sms']);
    const whatsappMessage = await harness.hub.store.getMessage(final?.steps[0]?.messageId as string);
    expect(whatsappMessage?.status).toBe('sent');
    // Running the due steps again sends nothing more.
    harness.clock.advance(48 * HOUR_MS);
    await harness.sandbox.flush({ all: true });
    await cascade.runDueSteps();
    expect(receiptsFor(harness.sandbox, 'sms', contacts.ivan)).toBe(1);
  });
});

describe('no message lost under mixed faults', () => {
  it('every accepted message ends sent, failed with a reason, or queued — and none reaches a provider twice', async () => {
    const harness = await setup({
      faults: [
        { provider: 'all', kind: 'server_error', rate: 0.25 },
        { provider: 'all', kind: 'rate_limit', rate: 0.15, retryAfterSeconds: 2 },
        { provider: 'all', kind: 'unavailable', rate: 0.1 },
        { provider: 'smtp', kind: 'rate_limit', rate: 0.2 },
      ],
      retry: { retries: 2 },
      seed: 7,
    });
    const results: Message[] = [];
    for (let round = 0; round < 3; round += 1) {
      const batch = await Promise.all(
        channelIds.flatMap((channel) =>
          [contacts.ivan, contacts.olga].map((contact) =>
            harness.hub.send({
              channel,
              contact,
              content: contentFor[channel],
              idempotencyKey: `${channel}-${contact.id}-${round}`,
            }),
          ),
        ),
      );
      results.push(...batch);
    }
    expect(results).toHaveLength(30);
    const statuses = new Set<string>();
    for (const result of results) {
      const stored = await harness.hub.store.getMessage(result.id);
      expect(isAccountedFor(stored), `${result.channel} ${stored?.status}`).toBe(true);
      statuses.add(stored?.status as string);
    }
    // The fault mix really bit: some messages failed, most went through.
    expect(statuses.has('sent')).toBe(true);
    for (const channel of channelIds) {
      const sent = results.filter((message) => message.channel === channel && message.status === 'sent').length;
      expect(receipts(harness.sandbox, channel), channel).toBe(sent);
    }
    harness.clock.advance(24 * HOUR_MS);
    await harness.sandbox.flush({ all: true });
    for (const result of results) expect(isAccountedFor(await harness.hub.store.getMessage(result.id))).toBe(true);
  });
});

describe('outbox: a message is never lost in flight', () => {
  const until = async (condition: () => boolean) => {
    for (let waited = 0; !condition(); waited += 5) {
      if (waited > 5000) throw new Error('condition not reached in 5 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('while the provider holds the request the message is `queued` in the store; then `sent`', async () => {
    const harness = await setup({ faults: [fault('sms', { kind: 'slow', first: 1, delayMs: 400 })], timeoutMs: 5000 });
    const sending = send(harness, 'sms');
    await until(() => harness.sandbox.stats().smsRu.faults === 1);
    const queued = await harness.hub.store.listQueuedMessages(10);
    expect(queued.map((message) => [message.channel, message.status])).toEqual([['sms', 'queued']]);
    const message = await sending;
    expect(message.id).toBe(queued[0]?.id);
    expect((await harness.hub.store.getMessage(message.id))?.status).toBe('sent');
    expect(receipts(harness.sandbox, 'sms')).toBe(1);
  });

  it('a process that dies mid-send leaves the message `queued`; another process resumes it and it is sent once', async () => {
    const harness = await setup({ faults: [fault('whatsapp', { kind: 'slow', first: 1, delayMs: 60_000 })], timeoutMs: 120_000 });
    // Process A: its send hangs at the provider (the process is then considered dead; its promise is abandoned).
    void send(harness, 'whatsapp').catch(() => undefined);
    await until(() => harness.sandbox.stats().whatsapp.faults === 1);
    const [stuck] = await harness.hub.store.listQueuedMessages(10);
    expect(stuck?.status).toBe('queued');
    // Process B on the same store, a minute later.
    const resumer = createOmnidealer({
      channels: [harness.whatsapp],
      store: harness.hub.store,
      clock: harness.clock,
      retry: { retries: 0 },
    });
    expect(await resumer.resumeOutbox()).toEqual([]); // too young: may still be in flight elsewhere
    harness.clock.advance(61_000);
    const resumed = await resumer.resumeOutbox();
    expect(resumed.map((message) => [message.id, message.status])).toEqual([[stuck?.id, 'sent']]);
    expect(receipts(harness.sandbox, 'whatsapp')).toBe(1);
    expect(await harness.hub.store.listQueuedMessages(10)).toEqual([]);
    await resumer.shutdown();
  });
});
