import { createSmsChannel, createSmscGateway } from '@omnidealer/channel-sms';
import { createManualClock, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { startSandbox } from '@omnidealer/sandbox';
import { afterEach, describe, expect, it } from 'vitest';

// End to end: the SMSC sandbox posts its md5-signed status callbacks straight into `hub.handleWebhook('sms', …)`,
// and the stored messages end delivered / failed with the id `send` returned.

const hookUrl = 'https://crm.example/webhooks/smsc';
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

async function setup(callbackSecret?: string) {
  const clock = createManualClock(Date.parse('2026-03-19T06:00:00Z'));
  let hub: Omnidealer | undefined;
  const answers: number[] = [];
  const sandbox = await startSandbox({
    seed: 21,
    clock,
    timers: 'manual',
    webhookTargets: { smsc: hookUrl },
    behaviour: { smsc: { outcomes: { '79161234567': 'delivered', '79031234567': 'failed' } } },
    fetch: async (input, init) => {
      if (!hub) return new Response('hub not ready', { status: 503 });
      const response = await hub.handleWebhook('sms', new Request(input, init));
      answers.push(response.status);
      return response;
    },
  });
  const sms = createSmsChannel({
    gateway: createSmscGateway({
      baseURL: sandbox.urls.smsc,
      login: sandbox.credentials.smsc.login,
      password: sandbox.credentials.smsc.password,
      callbackSecret: callbackSecret ?? sandbox.credentials.smsc.callbackSecret,
    }),
    clock,
  });
  hub = createOmnidealer({ channels: [sms], clock, retry: { retries: 0 } });
  const started = hub;
  stops.push(sandbox.stop, () => started.shutdown());
  return { sandbox, hub, answers };
}

const text = (value: string) => ({ type: 'text' as const, text: value });

describe('SMSC.ru delivery callbacks through the hub', () => {
  it('marks messages delivered and failed from signed sandbox callbacks', async () => {
    const { sandbox, hub, answers } = await setup();
    const delivered = await hub.send({ channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: text('Ждём вас') });
    const failed = await hub.send({ channel: 'sms', contact: { id: 'c2', phone: '+79031234567' }, content: text('Ждём вас') });
    // Our message id is the client-chosen SMSC id: the provider id is known even if the answer were lost.
    expect(delivered).toMatchObject({ status: 'sent', providerMessageId: `${delivered.id}:79161234567` });
    await sandbox.flush({ all: true });
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(await hub.store.getMessage(delivered.id)).toMatchObject({ status: 'delivered' });
    expect(await hub.store.getMessage(failed.id)).toMatchObject({
      status: 'failed',
      error: { providerCode: expect.any(Number), retryable: false },
    });
  });

  it('refuses callbacks signed with another secret (401) and changes nothing', async () => {
    const { sandbox, hub, answers } = await setup('not-the-account-secret');
    const message = await hub.send({ channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: text('Ждём вас') });
    await sandbox.flush({ all: true });
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers)).toEqual(new Set([401]));
    expect(await hub.store.getMessage(message.id)).toMatchObject({ status: 'sent' });
  });
});
