import { createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from './sandbox.js';
import { startTestReceiver } from './test-receiver.js';
import { signTwilioRequest } from './twilio-sandbox.js';

const start = Date.parse('2026-03-02T09:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

function create(sandbox: Sandbox, form: Record<string, string>, password = sandbox.credentials.twilio.authToken) {
  const { accountSid } = sandbox.credentials.twilio;
  return fetch(`${sandbox.urls.twilio}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${password}`).toString('base64')}` },
    body: new URLSearchParams(form),
  });
}

describe('Twilio sandbox', () => {
  it('creates a message (201), posts signed status callbacks and serves the final resource', async () => {
    const receiver = await startTestReceiver();
    const sandbox = await startSandbox({
      seed: 8,
      clock: createManualClock(start),
      timers: 'manual',
      behaviour: { twilio: { outcomes: { '+79161234567': 'failed' } } },
    });
    stops.push(receiver.close, sandbox.stop);
    const callback = receiver.url('/hooks/twilio');
    const response = await create(sandbox, {
      To: '+79161234567',
      From: '+15005550006',
      Body: 'Hello from the dealer',
      StatusCallback: callback,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as any;
    expect(body).toMatchObject({
      account_sid: sandbox.credentials.twilio.accountSid,
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 'queued',
      to: '+79161234567',
      from: '+15005550006',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      direction: 'outbound-api',
    });
    await sandbox.flush({ all: true });
    const statuses = receiver.received.map((request) => {
      const form = new URLSearchParams(request.text);
      expect(request.headers['x-twilio-signature']).toBe(signTwilioRequest(sandbox.credentials.twilio.authToken, callback, form));
      return [form.get('MessageSid'), form.get('MessageStatus'), form.get('ErrorCode')];
    });
    expect(statuses[0]).toEqual([body.sid, 'sent', null]);
    expect(['undelivered', 'failed']).toContain(statuses[1]?.[1]);
    expect(['30003', '30005', '30006', '30008']).toContain(statuses[1]?.[2]);
    const { accountSid, authToken } = sandbox.credentials.twilio;
    const final = (await (
      await fetch(`${sandbox.urls.twilio}/2010-04-01/Accounts/${accountSid}/Messages/${body.sid}.json`, {
        headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
      })
    ).json()) as any;
    expect(final).toMatchObject({
      sid: body.sid,
      status: statuses[1]?.[1],
      price: '-0.08000',
      error_code: Number(statuses[1]?.[2]),
    });
  });

  it('answers auth and validation errors in Twilio format', async () => {
    const sandbox = await startSandbox({ seed: 8 });
    stops.push(sandbox.stop);
    const unauthorized = await create(sandbox, { To: '+79161234567', From: '+15005550006', Body: 'x' }, 'wrong');
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    const invalid = await create(sandbox, { To: '12', From: '+15005550006', Body: 'x' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).code).toBe(21211);
  });

  it('posts an inbound SMS as Twilio does: SmsStatus=received, signed for each target', async () => {
    const receiver = await startTestReceiver();
    const target = receiver.url('/hooks/sms');
    const sandbox = await startSandbox({ seed: 8, clock: createManualClock(start), webhookTargets: { twilio: target } });
    stops.push(receiver.close, sandbox.stop);
    const result = await sandbox.twilio.inbound({ from: '+79161234567', body: 'девять из десяти' });
    expect(result.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.deliveries.map((delivery) => delivery.status)).toEqual([200]);
    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0] as (typeof receiver.received)[number];
    const form = new URLSearchParams(request.text);
    expect(Object.fromEntries(form)).toEqual({
      ToCountry: 'US',
      SmsMessageSid: result.sid,
      NumMedia: '0',
      SmsSid: result.sid,
      SmsStatus: 'received',
      Body: 'девять из десяти',
      To: sandbox.credentials.twilio.from,
      NumSegments: '1',
      MessageSid: result.sid,
      AccountSid: sandbox.credentials.twilio.accountSid,
      From: '+79161234567',
      ApiVersion: '2010-04-01',
    });
    expect(request.headers['x-twilio-signature']).toBe(signTwilioRequest(sandbox.credentials.twilio.authToken, target, form));
    const second = await sandbox.twilio.inbound({ from: '+79161234567', body: '9' });
    expect(second.sid).not.toBe(result.sid);
  });
});
