import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';

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
});
