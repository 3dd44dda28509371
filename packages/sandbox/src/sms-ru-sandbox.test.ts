import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, type StartSandboxOptions, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(options: Partial<StartSandboxOptions> = {}) {
  const receiver = await startTestReceiver(() => ({ status: 200, body: '100' }));
  const clock = createManualClock(start);
  const sandbox = await startSandbox({
    seed: 5,
    clock,
    timers: 'manual',
    webhookTargets: { smsRu: receiver.url('/hooks/sms') },
    ...options,
  });
  stops.push(receiver.close, sandbox.stop);
  return { sandbox, receiver, clock };
}

async function call(sandbox: Sandbox, path: string, parameters: Record<string, string>, method: 'GET' | 'POST' = 'POST') {
  const query = new URLSearchParams({ api_id: sandbox.credentials.smsRu.apiId, json: '1', ...parameters });
  const response =
    method === 'GET'
      ? await fetch(`${sandbox.urls.smsRu}${path}?${query}`)
      : await fetch(`${sandbox.urls.smsRu}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: query,
        });
  return { status: response.status, body: (await response.json()) as any };
}

describe('SMS.ru sandbox', () => {
  it('sends to several numbers with per-number status, id and cost', async () => {
    const { sandbox } = await setup({ behaviour: { smsRu: { pricePerSegment: 2.5, balance: 100 } } });
    const text = 'Весенняя распродажа в автосалоне: скидки до 300 000 ₽ на Haval и Chery до 31 марта!';
    const { status, body } = await call(sandbox, '/sms/send', {
      to: '79161234567,79031234567,123',
      msg: text,
      from: 'AVTOSALON',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'OK',
      status_code: 100,
      sms: {
        '79161234567': { status: 'OK', status_code: 100, sms_id: expect.stringMatching(/^\d{6}-\d{8}$/), cost: 5, sms: 2 },
        '79031234567': { status: 'OK', status_code: 100, sms_id: expect.stringMatching(/^\d{6}-\d{8}$/), cost: 5, sms: 2 },
        '123': { status: 'ERROR', status_code: 202, status_text: expect.stringContaining('номер') },
      },
      balance: 90,
    });
    expect(sandbox.stats().smsRu).toMatchObject({ accepted: 2, segments: 4, spendMinor: 1000 });
  });

  it('bills GSM-7 text by 160/153 septets', async () => {
    const { sandbox } = await setup();
    const one = await call(sandbox, '/sms/send', { to: '79161234567', msg: 'a'.repeat(160) }, 'GET');
    const two = await call(sandbox, '/sms/send', { to: '79161234567', msg: 'a'.repeat(161) }, 'GET');
    expect(one.body.sms['79161234567'].sms).toBe(1);
    expect(two.body.sms['79161234567'].sms).toBe(2);
  });

  it('answers a wrong api_id, missing text and lack of funds with SMS.ru codes', async () => {
    const { sandbox } = await setup({ behaviour: { smsRu: { balance: 1 } } });
    const wrong = await fetch(`${sandbox.urls.smsRu}/sms/send?api_id=nope&to=79161234567&msg=hi&json=1`);
    expect(wrong.status).toBe(200);
    expect(await wrong.json()).toEqual({ status: 'ERROR', status_code: 200, status_text: 'Неправильный api_id' });
    expect((await call(sandbox, '/sms/send', { to: '79161234567', msg: '' })).body.status_code).toBe(203);
    expect((await call(sandbox, '/sms/send', { to: '79161234567', msg: 'hi' })).body.sms['79161234567']).toMatchObject({
      status: 'ERROR',
      status_code: 201,
    });
  });

  it('posts status callbacks in the data[] format and reports status on request', async () => {
    const { sandbox, receiver } = await setup({
      behaviour: { smsRu: { outcomes: { '+79161234567': 'delivered', '79031234567': 'failed' } } },
    });
    const { body } = await call(sandbox, '/sms/send', { to: '79161234567,79031234567', msg: 'Ждём вас на ТО' });
    const delivered = body.sms['79161234567'].sms_id;
    const failed = body.sms['79031234567'].sms_id;
    expect((await call(sandbox, '/sms/status', { sms_id: delivered })).body.sms[delivered]).toMatchObject({ status_code: 100 });
    await sandbox.flush({ all: true });
    expect(receiver.received).toHaveLength(4);
    const lines = receiver.received.map((request) => {
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const data = new URLSearchParams(request.text).get('data[0]') ?? '';
      return data.split('\n');
    });
    expect(lines).toContainEqual(['sms_status', delivered, '103', expect.stringMatching(/^\d{10}$/)]);
    expect(lines).toContainEqual(['sms_status', delivered, '102', expect.stringMatching(/^\d{10}$/)]);
    const failure = lines.find((line) => line[1] === failed && line[2] !== '102');
    expect(['106', '107', '108']).toContain(failure?.[2]);
    const status = await call(sandbox, '/sms/status', { sms_id: `${delivered},000000-00000000` });
    expect(status.body.sms).toEqual({
      [delivered]: { status: 'OK', status_code: 103, status_text: 'Сообщение доставлено', cost: 3, sms: 1 },
      '000000-00000000': { status: 'ERROR', status_code: -1, status_text: 'Сообщение не найдено' },
    });
    expect(sandbox.stats().smsRu).toMatchObject({ sent: 2, delivered: 1, failed: 1, webhooks: { delivered: 4, failed: 0 } });
  });

  it('supports multi[], cost, balance and a blocked number', async () => {
    const { sandbox } = await setup({ behaviour: { smsRu: { outcomes: { '79035550000': 'blocked' } } } });
    const multi = await call(sandbox, '/sms/send', { 'multi[79161234567]': 'Привет 1', 'multi[79035550000]': 'Привет 2' });
    expect(multi.body.sms['79161234567'].status).toBe('OK');
    expect(multi.body.sms['79035550000']).toMatchObject({ status: 'ERROR', status_code: 207 });
    const cost = await call(sandbox, '/sms/cost', { to: '79161234567', msg: 'я'.repeat(71) });
    expect(cost.body).toEqual({
      status: 'OK',
      status_code: 100,
      sms: { '79161234567': { status: 'OK', status_code: 100, cost: 6, sms: 2 } },
      total_cost: 6,
      total_sms: 2,
    });
    expect((await call(sandbox, '/my/balance', {})).body).toEqual({ status: 'OK', status_code: 100, balance: 99_997 });
    expect(sandbox.smsRu.messages()).toHaveLength(1);
  });
});
