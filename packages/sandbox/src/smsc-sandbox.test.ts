import { createHash } from 'node:crypto';
import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-03-19T06:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}) {
  const sandbox = await startSandbox({ seed: 6, clock: createManualClock(start), timers: 'manual', ...options });
  stops.push(sandbox.stop);
  return sandbox;
}

async function call(
  sandbox: Sandbox,
  path: string,
  parameters: Record<string, string>,
  password = sandbox.credentials.smsc.password,
) {
  const form = new URLSearchParams({
    login: sandbox.credentials.smsc.login,
    psw: password,
    fmt: '3',
    charset: 'utf-8',
    ...parameters,
  });
  const response = await fetch(`${sandbox.urls.smsc}${path}`, { method: 'POST', body: form });
  return (await response.json()) as any;
}

describe('SMSC.ru sandbox', () => {
  it('sends with cost=3 and reports status by (id, phone)', async () => {
    const sandbox = await setup({
      behaviour: { smsc: { pricePerSegment: 3.4, balance: 1000, outcomes: { '79161234567': 'delivered' } } },
    });
    const sent = await call(sandbox, '/sys/send.php', {
      phones: '+79161234567',
      mes: 'Ждём вас на ТО',
      cost: '3',
      sender: 'AVTO',
    });
    expect(sent).toEqual({ id: 1, cnt: 1, cost: '3.4', balance: '996.6' });
    const waiting = await call(sandbox, '/sys/status.php', { phone: '79161234567', id: '1' });
    expect(waiting).toEqual({ status: -1, last_date: '19.03.2026 09:00:00', last_timestamp: start / 1000, err: 0 });
    await sandbox.flush({ all: true });
    const delivered = await call(sandbox, '/sys/status.php', { phone: '79161234567', id: '1' });
    expect(delivered).toMatchObject({ status: 1, err: 0 });
    expect(delivered.last_timestamp).toBeGreaterThan(start / 1000);
    expect(await call(sandbox, '/sys/status.php', { phone: '79161234567', id: '99' })).toMatchObject({ status: -3 });
    expect(sandbox.stats().smsc).toMatchObject({ accepted: 1, sent: 1, delivered: 1, spendMinor: 340 });
  });

  it("uses the client's own id when send.php gets one (statuses by it), and refuses one SMSC would not take", async () => {
    const sandbox = await setup({ behaviour: { smsc: { outcomes: { '79161234567': 'delivered' } } } });
    const clientId = 'msg_0123456789abcdef0123456789abcdef';
    const sent = await call(sandbox, '/sys/send.php', { phones: '+79161234567', mes: 'Ждём вас', cost: '3', id: clientId });
    expect(sent.id).toBe(clientId);
    await sandbox.flush({ all: true });
    expect(await call(sandbox, '/sys/status.php', { phone: '79161234567', id: clientId })).toMatchObject({ status: 1 });
    // SMSC: up to 40 latin letters, digits and `.-_`.
    const refused = await call(sandbox, '/sys/send.php', { phones: '+79161234567', mes: 'Ждём вас', id: 'x'.repeat(41) });
    expect(refused).toMatchObject({ error_code: 1 });
    expect(sandbox.stats().smsc.accepted).toBe(1);
  });

  it('quotes with cost=1 without sending', async () => {
    const sandbox = await setup();
    expect(await call(sandbox, '/sys/send.php', { phones: '79161234567', mes: 'я'.repeat(71), cost: '1' })).toEqual({
      cost: '6',
      cnt: 2,
    });
    expect(sandbox.smsc.messages()).toHaveLength(0);
  });

  it('answers SMSC error codes', async () => {
    const sandbox = await setup({ behaviour: { smsc: { balance: 1, outcomes: { '79035550000': 'blocked' } } } });
    expect(await call(sandbox, '/sys/send.php', { phones: '79161234567', mes: 'hi' }, 'wrong')).toEqual({
      error: 'authorise error',
      error_code: 2,
    });
    expect(await call(sandbox, '/sys/send.php', { phones: '12', mes: 'hi' })).toEqual({ error: 'invalid number', error_code: 7 });
    expect(await call(sandbox, '/sys/send.php', { phones: '79035550000', mes: 'hi' })).toEqual({
      error: 'cannot deliver',
      error_code: 8,
    });
    expect(await call(sandbox, '/sys/send.php', { phones: '79161234567', mes: 'hi' })).toEqual({
      error: 'no money',
      error_code: 3,
    });
    expect(await call(sandbox, '/sys/send.php', { phones: '79161234567' })).toEqual({ error: 'parameters error', error_code: 1 });
  });

  it('posts md5-signed status callbacks to the smsc webhook targets', async () => {
    const receiver = await startTestReceiver(() => ({ status: 200, body: 'OK' }));
    stops.push(receiver.close);
    const sandbox = await setup({
      webhookTargets: { smsc: receiver.url('/hooks/smsc') },
      behaviour: { smsc: { pricePerSegment: 3.4, outcomes: { '79161234567': 'delivered', '79031234567': 'failed' } } },
    });
    expect(
      await call(sandbox, '/sys/send.php', { phones: '+79161234567;+79031234567', mes: 'Ждём вас', cost: '3' }),
    ).toMatchObject({
      id: 1,
    });
    await sandbox.flush({ all: true });
    expect(receiver.received).toHaveLength(4);
    const callbacks = receiver.received.map((request) => {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      return Object.fromEntries(new URLSearchParams(request.text));
    });
    const secret = sandbox.credentials.smsc.callbackSecret;
    for (const callback of callbacks) {
      const signed = `${callback.id}:${callback.phone}:${callback.status}:${secret}`;
      expect(callback.md5).toBe(createHash('md5').update(signed).digest('hex'));
    }
    expect(callbacks).toContainEqual({
      id: '1',
      phone: '79161234567',
      status: '1',
      time: expect.stringMatching(/^\d\d\.03\.2026 \d\d:\d\d:\d\d$/),
      ts: expect.stringMatching(/^\d{10}$/),
      err: '0',
      cnt: '1',
      type: '0',
      cost: '3.4',
      md5: expect.any(String),
    });
    const failure = callbacks.find((callback) => callback.phone === '79031234567' && callback.status !== '0');
    expect(['20', '22', '23']).toContain(failure?.status);
    expect(failure?.err).toBe('1');
    expect(sandbox.stats().smsc).toMatchObject({ sent: 2, delivered: 1, failed: 1, webhooks: { delivered: 4, failed: 0 } });
  });
});
