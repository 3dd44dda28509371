import { createHmac } from 'node:crypto';
import { createManualClock, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHookChannels,
  type HookChannel,
  hookChannels,
  hookUrls,
  signatureHeaders,
  signedRequest,
  twilioAuthToken,
  unknownEventBodies,
  validBodies,
  whatsAppAppSecret,
} from './webhooks.js';

let hub: Omnidealer | undefined;
afterEach(async () => {
  await hub?.shutdown();
  hub = undefined;
});

/** A hub over every channel, counting effects (events stored) and rejections. */
function setup(options: { webhookBodyLimitBytes?: number } = {}) {
  const created = createOmnidealer({
    channels: Object.values(createHookChannels()),
    clock: createManualClock(Date.parse('2026-03-02T09:00:00Z')),
    ...options,
  });
  hub = created;
  const effects: string[] = [];
  const rejected: Array<{ channel: string; status: number }> = [];
  const duplicates: string[] = [];
  created.on('message.status', ({ message }) => effects.push(`status:${message.providerMessageId}`));
  created.on('message.status.unmatched', ({ providerMessageId, status }) =>
    effects.push(`unmatched:${providerMessageId}:${status}`),
  );
  created.on('message.received', ({ message }) => effects.push(`received:${message.providerMessageId}`));
  created.on('webhook.rejected', ({ channel, status }) => rejected.push({ channel, status }));
  created.on('webhook.duplicate', ({ key }) => duplicates.push(key));
  return { hub: created, effects, rejected, duplicates };
}

const encoder = new TextEncoder();

/** A request with the body and URL of a valid delivery but other headers. */
function requestWith(
  channel: HookChannel,
  headers: Record<string, string>,
  body = validBodies[channel],
  url = hookUrls[channel],
) {
  return new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** The same URL with its secret token replaced or removed (Avito path secret, SMS.ru / SES `?token=`). */
const forgedUrls: Partial<Record<HookChannel, string>> = {
  avito: hookUrls.avito.replace(/[^/]+$/, 'guessed-secret-000000000'),
  sms: hookUrls.sms.replace(/token=[^&]+/, 'token=guessed-token-0000'),
  email: hookUrls.email.replace(/token=[^&]+/, 'token=guessed-secret-0000'),
};
const missingSecretUrls: Partial<Record<HookChannel, string>> = {
  avito: 'https://crm.example/hooks/avito',
  sms: 'https://crm.example/hooks/sms',
  email: 'https://crm.example/hooks/email',
};

describe.each(hookChannels)('%s: hostile webhooks through hub.handleWebhook', (channel) => {
  it('a validly signed delivery is accepted and applied once; its replay is answered 2xx, dropped as a duplicate', async () => {
    const { hub, effects, duplicates } = setup();
    const first = await hub.handleWebhook(channel, await signedRequest(channel));
    expect(first.status).toBe(200);
    expect(effects).toHaveLength(1);
    const replay = await hub.handleWebhook(channel, await signedRequest(channel));
    expect(replay.status).toBe(200);
    expect(effects).toHaveLength(1);
    expect(duplicates).toHaveLength(1);
  });

  it('a forged signature or secret is refused with 401 and changes nothing', async () => {
    const { hub, effects, rejected } = setup();
    const signed = await signatureHeaders(channel, encoder.encode(validBodies[channel]));
    const forgedHeaders = Object.fromEntries(
      Object.keys(signed).map((name) => [name, name.includes('hub') ? `sha256=${'0'.repeat(64)}` : 'forged']),
    );
    const response = await hub.handleWebhook(
      channel,
      requestWith(channel, forgedHeaders, validBodies[channel], forgedUrls[channel] ?? hookUrls[channel]),
    );
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('secret');
    expect(effects).toEqual([]);
    expect(rejected).toEqual([{ channel, status: 401 }]);
  });

  it('a missing signature or secret is refused with 401', async () => {
    const { hub, effects } = setup();
    const response = await hub.handleWebhook(
      channel,
      requestWith(channel, {}, validBodies[channel], missingSecretUrls[channel] ?? hookUrls[channel]),
    );
    expect(response.status).toBe(401);
    expect(effects).toEqual([]);
  });

  it('an oversized body is refused with 413 before it is parsed (declared and streamed)', async () => {
    const { hub, effects, rejected } = setup({ webhookBodyLimitBytes: 64 * 1024 });
    const huge = encoder.encode(`{"pad":"${'x'.repeat(70 * 1024)}"}`);
    const declared = await hub.handleWebhook(channel, await signedRequest(channel, huge));
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 80; index += 1) controller.enqueue(new Uint8Array(1024).fill(0x20));
        controller.close();
      },
    });
    const streamed = await hub.handleWebhook(
      channel,
      new Request(hookUrls[channel], { method: 'POST', body: stream, duplex: 'half' } as RequestInit & { duplex: 'half' }),
    );
    expect(streamed.status).toBe(413);
    expect(effects).toEqual([]);
    expect(rejected.map((entry) => entry.status)).toEqual([413, 413]);
  });

  it('deeply nested JSON is refused with 400 (validly signed), never a crash', async () => {
    const { hub, effects } = setup();
    const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deepObject = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    for (const body of [nested, deepObject]) {
      const response = await hub.handleWebhook(channel, await signedRequest(channel, body));
      expect(response.status, body.slice(0, 10)).toBe(400);
    }
    expect(effects).toEqual([]);
  });

  it('wrong-typed JSON is refused with 400', async () => {
    const { hub, effects } = setup();
    const bodies = [
      '{"object":"whatsapp_business_account","entry":"nope"}',
      '{"payload":{"type":7,"value":[]}}',
      '[1,2,3]',
      '"just a string"',
      '{"events":{"0":1}}',
    ];
    for (const body of bodies) {
      const response = await hub.handleWebhook(channel, await signedRequest(channel, body));
      // Form-encoded channels read JSON as a form without the fields they need: also 400.
      expect(response.status, body).toBe(400);
    }
    expect(effects).toEqual([]);
  });
});

describe.each(Object.keys(unknownEventBodies) as Array<keyof typeof unknownEventBodies>)('%s: unknown event types', (channel) => {
  it('are ignored (2xx, no effect), never a crash', async () => {
    const { hub, effects, rejected } = setup();
    const response = await hub.handleWebhook(channel, await signedRequest(channel, unknownEventBodies[channel]));
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(effects).toEqual([]);
    expect(rejected).toEqual([]);
  });

  it('are counted as ignored by the parser', async () => {
    const channels = createHookChannels();
    const request = await signedRequest(channel, unknownEventBodies[channel]);
    const result = await channels[channel].parseWebhook({
      method: 'POST',
      url: new URL(request.url),
      headers: request.headers,
      body: new Uint8Array(await request.arrayBuffer()),
    });
    expect(result.events).toEqual([]);
    expect(result.ignored ?? 0).toBeGreaterThanOrEqual(channel === 'email' ? 0 : 1);
  });
});

describe('signatures are over the raw bytes, with the right algorithm', () => {
  it('whatsapp: a body re-serialised after signing is refused (401)', async () => {
    const { hub, effects } = setup();
    const signed = await signedRequest('whatsapp');
    const signature = signed.headers.get('x-hub-signature-256') as string;
    const reserialised = JSON.stringify(JSON.parse(validBodies.whatsapp));
    expect(reserialised).not.toBe(validBodies.whatsapp);
    const response = await hub.handleWebhook(
      'whatsapp',
      requestWith('whatsapp', { 'x-hub-signature-256': signature }, reserialised),
    );
    expect(response.status).toBe(401);
    // Same JSON value, one changed byte of whitespace: still refused.
    const response2 = await hub.handleWebhook(
      'whatsapp',
      requestWith('whatsapp', { 'x-hub-signature-256': signature }, `${validBodies.whatsapp} `),
    );
    expect(response2.status).toBe(401);
    expect(effects).toEqual([]);
  });

  it('whatsapp: an HMAC-SHA1 signature (`sha1=`, the old X-Hub-Signature) is refused even when correct', async () => {
    const { hub, effects } = setup();
    const sha1 = createHmac('sha1', whatsAppAppSecret).update(validBodies.whatsapp).digest('hex');
    for (const headers of [
      { 'x-hub-signature': `sha1=${sha1}` },
      { 'x-hub-signature-256': `sha1=${sha1}` },
      {
        'x-hub-signature-256': `sha256=${createHmac('sha512', whatsAppAppSecret).update(validBodies.whatsapp).digest('hex').slice(0, 64)}`,
      },
    ]) {
      const response = await hub.handleWebhook('whatsapp', requestWith('whatsapp', headers));
      expect(response.status).toBe(401);
    }
    expect(effects).toEqual([]);
  });

  it('twilio: an HMAC-SHA256 signature, or a parameter changed after signing, is refused', async () => {
    const { hub, effects } = setup();
    const form = new URLSearchParams(validBodies.twilio);
    const data =
      hookUrls.twilio +
      [...form.keys()]
        .sort()
        .map((key) => `${key}${form.get(key)}`)
        .join('');
    const sha256 = createHmac('sha256', twilioAuthToken).update(data).digest('base64');
    const wrongAlgorithm = await hub.handleWebhook(
      'twilio',
      requestWith('twilio', { 'x-twilio-signature': sha256, 'content-type': 'application/x-www-form-urlencoded' }),
    );
    expect(wrongAlgorithm.status).toBe(401);
    const signed = await signedRequest('twilio');
    const tampered = validBodies.twilio.replace('delivered', 'undelivered');
    const changed = await hub.handleWebhook(
      'twilio',
      requestWith(
        'twilio',
        {
          'x-twilio-signature': signed.headers.get('x-twilio-signature') as string,
          'content-type': 'application/x-www-form-urlencoded',
        },
        tampered,
      ),
    );
    expect(changed.status).toBe(401);
    expect(effects).toEqual([]);
  });

  it('a secret is compared exactly: a prefix, a suffix or different case is refused', async () => {
    const { hub, effects } = setup();
    for (const [channel, url] of [
      ['avito', hookUrls.avito.slice(0, -1)],
      ['avito', `${hookUrls.avito}x`],
      ['sms', hookUrls.sms.toUpperCase().replace('HTTPS://CRM.EXAMPLE/HOOKS/SMS?TOKEN', 'https://crm.example/hooks/sms?token')],
      ['email', `${hookUrls.email}0`],
    ] as const) {
      const response = await hub.handleWebhook(channel, requestWith(channel, {}, validBodies[channel], url));
      expect(response.status, url).toBe(401);
    }
    expect(effects).toEqual([]);
  });
});
