import { inspect } from 'node:util';
import { createCascade, HOUR_MS } from '@omnidealer/cascade';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createSmsChannel, createSmsRuGateway, createTwilioGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { ChannelApiError, createOmnidealer, OmnidealerError } from '@omnidealer/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  avitoWebhookSecret,
  channelIds,
  contacts,
  contentFor,
  createCapturingLogger,
  type Harness,
  hookOrigin,
  sesWebhookSecret,
  smsRuWebhookToken,
  startHarness,
} from './harness.js';

// One scenario across every channel that provokes as many error paths as it can (provider faults, wrong
// credentials, refused input, forged webhooks, a cascade), capturing every log line, console output, thrown error
// and hub event. No credential and no full phone number or e-mail address of a seeded contact may appear in it.

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const captured: string[] = [];
/** `JSON.stringify(error.raw)` of every omnidealer error seen (the provider's own body, redacted on construction). */
const capturedRaw: string[] = [];
const logger = createCapturingLogger();
const issuedAvitoTokens: string[] = [];
const wrong = {
  whatsappToken: 'EAAGwrongAccessToken7d1c9e3b5a',
  avitoSecret: 'wrong-avito-client-secret-5e8d',
  smsRuApiId: 'WRONG-SMSRU-API-ID-3C7A-11EF',
  twilioToken: 'wrong-twilio-auth-token-9f2e4d',
};
let harness: Harness;

/** Everything an error exposes: message, String(), its raw provider body and its cause chain. */
function describeError(error: unknown): string {
  if (!error || typeof error !== 'object') return String(error);
  const parts = [String(error), (error as Error).message ?? '', (error as Error).stack ?? ''];
  if (OmnidealerError.isInstance(error)) capturedRaw.push(JSON.stringify(error.raw) ?? '');
  return parts.join('\n');
}

/** Records the Avito tokens the sandbox issues (they are secrets too). */
const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (String(input instanceof Request ? input.url : input).includes('/token') && response.ok) {
    const body = (await response.clone().json()) as { access_token?: string };
    if (body.access_token) issuedAvitoTokens.push(body.access_token);
  }
  return response;
};

async function attempt(run: () => Promise<unknown>): Promise<void> {
  try {
    // What a call returns is the caller's own data (contacts included); only what errors expose is checked.
    await run();
  } catch (error) {
    captured.push(describeError(error));
  }
}

beforeAll(async () => {
  for (const method of consoleMethods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 8 }))).join(' '));
    });
  }
  harness = await startHarness({
    logger,
    retry: { retries: 2 },
    faults: [
      { provider: 'all', kind: 'server_error', rate: 0.3 },
      { provider: 'all', kind: 'rate_limit', rate: 0.2, retryAfterSeconds: 1 },
      { provider: 'whatsapp', kind: 'expired_token', first: 1, path: '/messages' },
      { provider: 'avito', kind: 'expired_token', first: 1, path: '/messages' },
      { provider: 'smsRu', kind: 'expired_token', first: 1 },
      { provider: 'twilio', kind: 'expired_token', first: 1 },
      { provider: 'smtp', kind: 'expired_token', first: 1 },
      { provider: 'whatsapp', kind: 'truncated', first: 1, path: '/messages' },
    ],
    behaviour: {
      whatsapp: { notOnWhatsApp: 0.5, failed: 0.3 },
      smsRu: { delivered: 0.5, outcomes: { [contacts.olga.phone]: 'blocked' } },
      twilio: { outcomes: { [contacts.ivan.phone]: 'blocked' } },
      smtp: { bounce: [contacts.olga.email] },
    },
  });
  const { hub, sandbox } = harness;
  for (const event of [
    'message.failed',
    'message.status',
    'message.sent',
    'webhook.rejected',
    'message.status.unmatched',
  ] as const) {
    hub.on(event, (payload: unknown) => {
      const value = payload as { error?: unknown; reason?: unknown; message?: { error?: unknown } };
      if (value.reason !== undefined) captured.push(String(value.reason));
      if (value.error) captured.push(describeError(value.error));
      if (value.message?.error) captured.push(JSON.stringify(value.message.error));
    });
  }

  // 1. Every channel, both contacts, several rounds under faults.
  for (let round = 0; round < 3; round += 1) {
    for (const channel of channelIds)
      for (const contact of [contacts.ivan, contacts.olga])
        await attempt(() => hub.send({ channel, contact, content: contentFor[channel] }));
  }
  // 2. Status webhooks (delivered, failed 131026, SMS expired…) and the bounce.
  harness.clock.advance(24 * HOUR_MS);
  await sandbox.flush({ all: true });

  // 3. A cascade that falls back.
  const cascade = createCascade({ hub, logger, policy: { quietHours: false } });
  await attempt(() =>
    cascade.send(contacts.olga, { whatsapp: contentFor.whatsapp, sms: contentFor.sms, email: contentFor.email }),
  );
  harness.clock.advance(48 * HOUR_MS);
  await sandbox.flush({ all: true });
  await attempt(() => cascade.runDueSteps());

  // 4. Input the hub refuses, carrying personal data in the wrong places.
  await attempt(() =>
    hub.send({ channel: 'sms', contact: { id: 'x', phone: `${contacts.ivan.phone}99` }, content: contentFor.sms }),
  );
  await attempt(() =>
    hub.send({ channel: 'email', contact: { id: 'x', email: `${contacts.ivan.email}@` }, content: contentFor.email }),
  );
  await attempt(() => hub.send({ channel: 'nope', contact: contacts.ivan, content: contentFor.sms }));
  await attempt(() =>
    hub.send({ channel: 'whatsapp', contact: contacts.ivan, content: { type: 'text', text: `call ${contacts.ivan.phone}` } }),
  );
  await attempt(() => hub.send({ channel: 'sms', contact: contacts.ivan, content: { type: 'text', text: '' } }));
  await attempt(() =>
    hub.send({ channel: 'sms', contact: { ...contacts.ivan, phone: '+74951234567' }, content: contentFor.sms }),
  );

  // 5. Forged and malformed webhooks with secrets in the URL.
  await attempt(() =>
    hub.handleWebhook('sms', new Request(`${hookOrigin}/sms?token=${smsRuWebhookToken}`, { method: 'POST', body: 'garbage' })),
  );
  await attempt(() =>
    hub.handleWebhook(
      'avito',
      new Request(`${hookOrigin}/avito/${avitoWebhookSecret}`, { method: 'POST', body: '{"payload":1}' }),
    ),
  );
  await attempt(() =>
    hub.handleWebhook('email', new Request(`${hookOrigin}/email?token=${sesWebhookSecret}`, { method: 'POST', body: '{]' })),
  );
  await attempt(() => hub.handleWebhook('whatsapp', new Request(`${hookOrigin}/whatsapp`, { method: 'POST', body: '{}' })));
  await attempt(() =>
    hub.handleWebhook(
      'twilio',
      new Request(`${hookOrigin}/twilio`, { method: 'POST', body: `To=${encodeURIComponent(contacts.ivan.phone)}` }),
    ),
  );

  // 6. Channels with wrong credentials against the same sandbox: the providers' auth errors.
  const wrongHub = createOmnidealer({
    logger,
    clock: harness.clock,
    retry: { retries: 1, minTimeoutMs: 1, sleep: async () => undefined },
    channels: [
      createWhatsAppChannel({
        baseURL: sandbox.urls.whatsappMessages,
        phoneNumberId: sandbox.credentials.whatsapp.phoneNumberId,
        accessToken: wrong.whatsappToken,
        rateLimit: { perSecond: 100, perRecipientIntervalMs: 0 },
      }),
      createAvitoChannel({
        baseURL: sandbox.urls.avito,
        clientId: sandbox.credentials.avito.clientId,
        clientSecret: wrong.avitoSecret,
        userId: sandbox.credentials.avito.userId,
        webhookListingLookup: false,
      }),
      createSmsChannel({ gateway: createSmsRuGateway({ baseURL: sandbox.urls.smsRu, apiId: wrong.smsRuApiId }) }),
      createSmsChannel({
        id: 'twilio',
        gateway: createTwilioGateway({
          baseURL: sandbox.urls.twilio,
          accountSid: sandbox.credentials.twilio.accountSid,
          authToken: wrong.twilioToken,
          from: sandbox.credentials.twilio.from,
        }),
      }),
    ],
  });
  wrongHub.on('message.failed', ({ message, error }) => captured.push(describeError(error), JSON.stringify(message.error)));
  for (const channel of ['whatsapp', 'avito', 'sms', 'twilio'] as const)
    await attempt(() => wrongHub.send({ channel, contact: contacts.ivan, content: contentFor[channel] }));
  // Avito with the right secret through a recording fetch: the issued access token must not leak either.
  const avito = createAvitoChannel({
    id: 'avito-recorded',
    baseURL: sandbox.urls.avito,
    clientId: sandbox.credentials.avito.clientId,
    clientSecret: sandbox.credentials.avito.clientSecret,
    userId: sandbox.credentials.avito.userId,
    webhookListingLookup: false,
    fetch: recordingFetch,
  });
  await attempt(() => avito.client.listChats({ limit: 'x' as never }));
  // The sandbox's random faults (5xx, 429) may hit the token request too: try until a token was issued.
  for (let tries = 0; tries < 10 && issuedAvitoTokens.length === 0; tries++)
    await attempt(() =>
      avito.doSend(
        { id: 'm1', to: 'no-such-chat', contact: contacts.ivan, content: { type: 'text', text: 'Здравствуйте!' } },
        {},
      ),
    );
  await wrongHub.shutdown();
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await harness?.stop();
});

/** The text around the first occurrence of `needle`, or '' when it does not occur. */
function leakContext(text: string, needle: string): string {
  const index = text.indexOf(needle);
  return index === -1 ? '' : text.slice(Math.max(0, index - 300), index + needle.length + 100);
}

function everything(): string {
  return [...captured, ...capturedRaw, logger.text()].join('\n');
}

/** Everything but the providers' raw error bodies. */
function everythingButRaw(): string {
  return [...captured, logger.text()].join('\n');
}

describe('no secret or personal data in logs, errors or events', () => {
  it('the scenario really produced errors, warnings and provider error bodies (so the checks below can fail)', () => {
    const text = everything();
    expect(logger.lines.filter((line) => line.level === 'warn').length).toBeGreaterThan(5);
    for (const code of ['auth', 'rate_limited', 'provider_error']) expect(text.includes(`"code":"${code}"`), code).toBe(true);
    expect(text.includes('webhook rejected')).toBe(true);
    // The providers' own error bodies were captured: SMS.ru's 207 for the blocked number, Twilio's 401 20003.
    expect(capturedRaw.some((raw) => raw.includes('"status_code":207'))).toBe(true);
    expect(text.includes('20003')).toBe(true);
    expect(issuedAvitoTokens.length).toBeGreaterThan(0);
  });

  it('no access token, app secret, client secret, API id, auth token, SMTP password or webhook secret', () => {
    const { whatsapp, avito, smsRu, twilio, smtp, smsc } = harness.sandbox.credentials;
    const secrets = {
      'whatsapp access token': whatsapp.accessToken,
      'whatsapp app secret': whatsapp.appSecret,
      'whatsapp verify token': whatsapp.verifyToken,
      'avito client secret': avito.clientSecret,
      'avito access token': issuedAvitoTokens,
      'sms.ru api id': smsRu.apiId,
      'twilio auth token': twilio.authToken,
      'smsc password': smsc.password,
      'smtp password': smtp.pass,
      'avito webhook secret': avitoWebhookSecret,
      'sms.ru webhook token': smsRuWebhookToken,
      'ses webhook secret': sesWebhookSecret,
      'wrong credentials': Object.values(wrong),
    };
    const text = everything();
    for (const [name, value] of Object.entries(secrets)) {
      for (const secret of [value].flat()) {
        expect(secret.length, name).toBeGreaterThanOrEqual(6);
        expect(leakContext(text, secret), `${name} leaked`).toBe('');
      }
    }
  });

  it('no full phone number or e-mail address of a seeded contact in any log line, error message or event', () => {
    expectNoPersonalData(everythingButRaw());
  });

  // SMS.ru answers per number (`{"sms":{"79035550123":{"status":"ERROR","status_code":207}}}`): that body becomes
  // `error.raw`, so `redactValue` redacts object keys as well as values.
  it("…nor in the providers' raw error bodies (`error.raw`)", () => {
    expectNoPersonalData(capturedRaw.join('\n'));
  });
});

function expectNoPersonalData(text: string): void {
  for (const contact of Object.values(contacts)) {
    const digits = contact.phone.replace(/\D/g, '');
    const formats = [
      contact.phone,
      digits,
      `8${digits.slice(1)}`,
      `+${digits.slice(0, 1)} ${digits.slice(1, 4)} ${digits.slice(4, 7)}-${digits.slice(7, 9)}-${digits.slice(9)}`,
      contact.email,
      encodeURIComponent(contact.email),
      encodeURIComponent(contact.phone),
    ];
    for (const format of formats) expect(leakContext(text, format), `${contact.id}: ${format}`).toBe('');
  }
}

describe('redaction of provider bodies (minimal repro of the bug above)', () => {
  it('string values are redacted in error.raw', () => {
    const error = new ChannelApiError({ message: 'sms.ru: 207', raw: { sms: { to: '79035550123', api_id: 'A1B2C3D4-secret' } } });
    expect(JSON.stringify(error.raw)).not.toContain('79035550123');
    expect(JSON.stringify(error.raw)).not.toContain('A1B2C3D4-secret');
  });

  it('object keys are redacted in error.raw too (SMS.ru keys results by phone number)', () => {
    const error = new ChannelApiError({ message: 'sms.ru: 207', raw: { sms: { '79035550123': { status_code: 207 } } } });
    expect(JSON.stringify(error.raw)).not.toContain('79035550123');
  });
});
