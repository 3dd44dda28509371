import { createManualClock, ValidationError } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcceleratedClock } from './accelerated-clock.js';
import { type Sandbox, startSandbox } from './sandbox.js';
import type { SandboxBehaviour } from './sandbox-behaviour.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(seed: number | string, behaviour: SandboxBehaviour = {}) {
  const receiver = await startTestReceiver();
  const sandbox = await startSandbox({
    seed,
    clock: createManualClock(start),
    timers: 'manual',
    behaviour,
    webhookTargets: { whatsapp: receiver.url('/wa'), smsRu: receiver.url('/sms') },
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver };
}

function sendWhatsApp(sandbox: Sandbox, to: string, init: { signal?: AbortSignal } = {}) {
  const { apiVersion, phoneNumberId, accessToken } = sandbox.credentials.whatsapp;
  return fetch(`${sandbox.urls.whatsapp}/${apiVersion}/${phoneNumberId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: 'spring_sale', language: { code: 'ru' } },
    }),
    ...init,
  });
}

const numbers = Array.from({ length: 60 }, (_, index) => `7916${String(1_000_000 + index * 7919).slice(-7)}`);

/** Sends to every number (in the given order, 10 at a time), runs all events, returns a comparable summary. */
async function campaign(seed: number, order: string[]) {
  const { sandbox, receiver } = await setup(seed);
  for (let index = 0; index < order.length; index += 10) {
    await Promise.all(order.slice(index, index + 10).map((to) => sendWhatsApp(sandbox, to)));
  }
  await sandbox.flush({ all: true });
  const outcomes = Object.fromEntries(sandbox.whatsapp.messages().map((message) => [message.id, message.plannedOutcome]));
  const statuses = receiver
    .json()
    .map((body) => body.entry[0].changes[0].value.statuses[0])
    .map((status) => `${status.id} ${status.status} ${status.timestamp} ${status.errors?.[0]?.code ?? ''}`)
    .sort();
  const { whatsapp } = sandbox.stats();
  return { outcomes, statuses, counts: [whatsapp.sent, whatsapp.delivered, whatsapp.read, whatsapp.failed] };
}

describe('startSandbox', () => {
  it('is deterministic: the same seed gives the same ids, outcomes and webhook timestamps whatever the order', async () => {
    const first = await campaign(11, numbers);
    const second = await campaign(11, [...numbers].reverse());
    expect(second.outcomes).toEqual(first.outcomes);
    expect(second.statuses).toEqual(first.statuses);
    expect(second.counts).toEqual(first.counts);
    const kinds = new Set(Object.values(first.outcomes));
    expect(kinds.has('read')).toBe(true);
    expect(kinds.has('not_on_whatsapp')).toBe(true);
    const other = await campaign(12, numbers);
    expect(other.statuses).not.toEqual(first.statuses);
  }, 60_000);

  it('follows the behaviour probabilities roughly', async () => {
    const { sandbox } = await setup(21, { whatsapp: { notOnWhatsApp: 0.3, failed: 0, silent: 0, delivered: 1, read: 0.5 } });
    for (let index = 0; index < numbers.length; index += 20) {
      await Promise.all(numbers.slice(index, index + 20).map((to) => sendWhatsApp(sandbox, to)));
    }
    const outcomes = sandbox.whatsapp.messages().map((message) => message.plannedOutcome);
    const share = (name: string) => outcomes.filter((outcome) => outcome === name).length / outcomes.length;
    expect(share('not_on_whatsapp')).toBeGreaterThan(0.15);
    expect(share('not_on_whatsapp')).toBeLessThan(0.45);
    expect(share('read')).toBeGreaterThan(0.2);
    expect(share('read') + share('delivered') + share('not_on_whatsapp')).toBe(1);
  }, 30_000);

  it('injects a 429 with Retry-After for the first N requests, then answers normally', async () => {
    const { sandbox } = await setup(1, {
      faults: [{ provider: 'whatsapp', kind: 'rate_limit', first: 2, retryAfterSeconds: 7 }],
    });
    const answers = [];
    for (let index = 0; index < 3; index++) {
      const response = await sendWhatsApp(sandbox, '79161234567');
      answers.push({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as any,
      });
    }
    expect(answers.map((answer) => answer.status)).toEqual([429, 429, 200]);
    expect(answers[0]?.retryAfter).toBe('7');
    expect(answers[0]?.body.error).toMatchObject({ code: 130429, type: 'OAuthException' });
    expect(sandbox.stats().whatsapp).toMatchObject({ requests: 3, faults: 2, accepted: 1 });
  });

  it('injects faults at a seeded rate, the same pattern on every run', async () => {
    const pattern = async () => {
      const { sandbox } = await setup(5, { faults: [{ provider: 'smsRu', kind: 'server_error', rate: 0.3, path: '/sms/send' }] });
      const statuses: number[] = [];
      for (let index = 0; index < 30; index++) {
        const response = await fetch(
          `${sandbox.urls.smsRu}/sms/send?api_id=${sandbox.credentials.smsRu.apiId}&to=79161234567&msg=hi&json=1`,
        );
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      const balance = await fetch(`${sandbox.urls.smsRu}/my/balance?api_id=${sandbox.credentials.smsRu.apiId}&json=1`);
      expect(balance.status).toBe(200);
      return statuses;
    };
    const first = await pattern();
    expect(first.filter((status) => status === 500).length).toBeGreaterThan(3);
    expect(first.filter((status) => status === 200).length).toBeGreaterThan(10);
    expect(await pattern()).toEqual(first);
  });

  it('answers 500 and 503 in each provider format', async () => {
    const { sandbox } = await setup(1, {
      faults: [
        { provider: 'whatsapp', kind: 'unavailable', first: 1 },
        { provider: 'whatsapp', kind: 'server_error', first: 2 },
        { provider: 'avito', kind: 'unavailable' },
      ],
    });
    const unavailable = await sendWhatsApp(sandbox, '79161234567');
    expect(unavailable.status).toBe(503);
    expect(((await unavailable.json()) as any).error).toMatchObject({ code: 2, is_transient: true });
    const error = await sendWhatsApp(sandbox, '79161234567');
    expect(error.status).toBe(500);
    expect(((await error.json()) as any).error).toMatchObject({ code: 1 });
    const avito = await fetch(`${sandbox.urls.avito}/token`, { method: 'POST' });
    expect(avito.status).toBe(503);
    expect(await avito.json()).toEqual({ error: { code: 503, message: 'service unavailable' } });
  });

  it('answers expired-token faults the way each provider does', async () => {
    const { sandbox } = await setup(1, { faults: [{ provider: 'all', kind: 'expired_token', first: 1 }] });
    const whatsapp = await sendWhatsApp(sandbox, '79161234567');
    expect(whatsapp.status).toBe(401);
    expect(((await whatsapp.json()) as any).error).toMatchObject({ code: 190, error_subcode: 463 });
    const { sandbox: second } = await setup(1, { faults: [{ provider: 'smsRu', kind: 'expired_token' }] });
    const sms = await fetch(
      `${second.urls.smsRu}/sms/send?api_id=${second.credentials.smsRu.apiId}&to=79161234567&msg=hi&json=1`,
    );
    expect(await sms.json()).toMatchObject({ status: 'ERROR', status_code: 300 });
  });

  it('holds slow answers past a client timeout, and stays healthy', async () => {
    const { sandbox } = await setup(1, { faults: [{ provider: 'whatsapp', kind: 'slow', first: 1, delayMs: 2_000 }] });
    await expect(sendWhatsApp(sandbox, '79161234567', { signal: AbortSignal.timeout(100) })).rejects.toThrow(/abort|timeout/i);
    expect((await sendWhatsApp(sandbox, '79161234567')).status).toBe(200);
  });

  it('cuts truncated bodies mid-way (the message is still accepted, as a real lost answer would be)', async () => {
    const { sandbox } = await setup(1, { faults: [{ provider: 'whatsapp', kind: 'truncated', first: 1 }] });
    const response = await sendWhatsApp(sandbox, '79161234567');
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
    expect(sandbox.stats().whatsapp.accepted).toBe(1);
  });

  it('retries webhooks that the target refused, on the sandbox clock', async () => {
    const receiver = await startTestReceiver((_request, index) => ({ status: index === 0 ? 500 : 200 }));
    const clock = createManualClock(start);
    const sandbox = await startSandbox({
      seed: 2,
      clock,
      timers: 'manual',
      webhookTargets: { whatsapp: receiver.url() },
      behaviour: { webhooks: { maxAttempts: 2, retryDelayMs: 1000 } },
    });
    stops.push(receiver.close, sandbox.stop);
    const first = await sandbox.whatsapp.inbound({ from: '79161234567', text: 'Добрый день' });
    expect(first.deliveries[0]).toMatchObject({ status: 500, attempt: 1 });
    expect(await sandbox.flush()).toBe(0);
    clock.advance(1000);
    expect(await sandbox.flush()).toBe(1);
    expect(sandbox.webhooks().map((delivery) => [delivery.attempt, delivery.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(receiver.received[1]?.text).toBe(receiver.received[0]?.text);
    expect(sandbox.stats().whatsapp.webhooks).toEqual({ delivered: 1, failed: 1 });
  });

  it('runs on real timers with an accelerated clock', async () => {
    const receiver = await startTestReceiver();
    const sandbox = await startSandbox({
      seed: 4,
      clock: createAcceleratedClock({ speed: 1_000_000 }),
      webhookTargets: { whatsapp: receiver.url() },
      behaviour: { whatsapp: { outcomes: { '79161234567': 'read' } } },
    });
    stops.push(receiver.close, sandbox.stop);
    await sendWhatsApp(sandbox, '79161234567');
    await sandbox.idle();
    expect(receiver.json().map((body) => body.entry[0].changes[0].value.statuses[0].status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
    expect(sandbox.pending()).toBe(0);
  });

  it('answers on the bare origin too, so channels that resolve absolute paths work', async () => {
    const { sandbox } = await setup(1);
    const { phoneNumberId, accessToken } = sandbox.credentials.whatsapp;
    const whatsapp = await fetch(`${sandbox.urls.base}/v23.0/${phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '79161234567', type: 'text', text: { body: 'hi' } }),
    });
    expect(whatsapp.status).toBe(200);
    const sms = await fetch(`${sandbox.urls.base}/my/balance?api_id=${sandbox.credentials.smsRu.apiId}&json=1`);
    expect(((await sms.json()) as any).status).toBe('OK');
    expect((await fetch(`${sandbox.urls.base}/nothing`)).status).toBe(404);
    expect(sandbox.urls.whatsappMessages).toBe(`${sandbox.urls.whatsapp}/v23.0/${phoneNumberId}`);
    expect(sandbox.urls.smtpUrl).toBe(`smtp://127.0.0.1:${sandbox.urls.smtp.port}`);
  });

  it('emits events and counts requests', async () => {
    const { sandbox } = await setup(1);
    const seen: string[] = [];
    const off = sandbox.on('message.accepted', (event) => seen.push(`${event.provider}:${event.to}`));
    const requests: number[] = [];
    sandbox.on('request', (event) => requests.push(event.status));
    await sendWhatsApp(sandbox, '79161234567');
    off();
    await sendWhatsApp(sandbox, '79031234567');
    expect(seen).toEqual(['whatsapp:79161234567']);
    expect(requests).toEqual([200, 200]);
  });

  it('validates options and names the field', async () => {
    await expect(startSandbox({ seed: 1, behaviour: { whatsapp: { read: 2 } } })).rejects.toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    await expect(startSandbox({ seed: 1, behaviour: { whatsapp: { read: 2 } } })).rejects.toMatchObject({
      field: 'behaviour.whatsapp.read',
    });
    await expect(startSandbox({ seed: 1, behaviour: { nope: true } as never })).rejects.toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    await expect(startSandbox({ seed: 1, webhookTargets: { whatsapp: 'not a url' } })).rejects.toMatchObject({
      field: 'options.webhookTargets.whatsapp',
    });
  });

  it('changes webhook targets at runtime', async () => {
    const receiver = await startTestReceiver();
    const sandbox = await startSandbox({ seed: 1 });
    stops.push(receiver.close, sandbox.stop);
    await sandbox.whatsapp.inbound({ from: '79161234567', text: 'до' });
    sandbox.setWebhookTargets({ whatsapp: receiver.url('/late') });
    await sandbox.whatsapp.inbound({ from: '79161234567', text: 'после' });
    expect(receiver.received.map((request) => request.path)).toEqual(['/late']);
    expect(() => sandbox.setWebhookTargets({ avito: 'nope' })).toThrow(expect.toSatisfy(ValidationError.isInstance));
  });

  it('derives credentials from the seed and accepts overrides', async () => {
    const { sandbox: one } = await setup('dealer-1');
    const { sandbox: two } = await setup('dealer-1');
    const { sandbox: three } = await setup('dealer-2');
    expect(two.credentials).toEqual(one.credentials);
    expect(three.credentials.whatsapp.accessToken).not.toBe(one.credentials.whatsapp.accessToken);
    const custom = await startSandbox({ seed: 1, credentials: { smsRu: { apiId: 'MY-API-ID' } } });
    stops.push(custom.stop);
    expect(custom.credentials.smsRu.apiId).toBe('MY-API-ID');
  });
});
