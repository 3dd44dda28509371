import { type Cascade, createCascade } from '@omnidealer/cascade';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel, type EmailTransporter } from '@omnidealer/channel-email';
import { createSmsChannel, createSmsRuGateway, createTwilioGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { createManualClock, createOmnidealer, type Omnidealer, OmnidealerError, ValidationError } from '@omnidealer/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts, contentFor } from './harness.js';

// The public inputs of `hub.send` and `cascade.plan`, fuzzed: random objects, wrong types, huge strings and
// prototype-pollution keys. They must reject with a typed error (ValidationError for bad input) or resolve; never
// throw anything else, never reach the network, never pollute Object.prototype.

const network: string[] = [];
const recordingFetch: typeof fetch = async (input) => {
  network.push(String(input instanceof Request ? input.url : input));
  return new Response('{"error":"no network in this suite"}', { status: 418 });
};
/** Attachment paths handed to the SMTP transport (nodemailer fetches URL paths itself). */
const attachmentPaths: string[] = [];
const mailTransport: EmailTransporter = {
  async sendMail(mail) {
    network.push(`smtp:${String(mail.to)}`);
    for (const attachment of (mail as { attachments?: Array<{ path?: unknown }> }).attachments ?? [])
      if (typeof attachment.path === 'string') attachmentPaths.push(attachment.path);
    throw new Error('no network in this suite');
  },
};

let hub: Omnidealer;
let cascade: Cascade;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(() => {
  const clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  hub = createOmnidealer({
    clock,
    retry: { retries: 0 },
    channels: [
      createWhatsAppChannel({
        phoneNumberId: '106540352242922',
        accessToken: 'EAAG-input-access-token-0123',
        appSecret: 'input-app-secret-0123',
        fetch: recordingFetch,
        rateLimit: { perSecond: 1000, perRecipientIntervalMs: 0 },
      }),
      createAvitoChannel({
        clientId: 'input-client',
        clientSecret: 'input-client-secret-0123',
        userId: 94235311,
        fetch: recordingFetch,
        webhookListingLookup: false,
        rateLimit: { perSecond: 10_000 },
      }),
      createSmsChannel({
        gateway: createSmsRuGateway({ apiId: 'INPUT-API-ID-0123', fetch: recordingFetch }),
        rateLimit: { perSecond: 10_000 },
      }),
      createSmsChannel({
        id: 'twilio',
        gateway: createTwilioGateway({
          accountSid: `AC${'a'.repeat(32)}`,
          authToken: 'input-twilio-token-0123',
          from: '+15017122661',
          fetch: recordingFetch,
        }),
        rateLimit: { perSecond: 10_000 },
      }),
      createEmailChannel({ transport: mailTransport, from: 'sales@sever-auto.example', rateLimit: { perSecond: 10_000 } }),
    ],
  });
  cascade = createCascade({ hub, policy: { quietHours: false } });
});

afterAll(async () => {
  await hub?.shutdown();
});

function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'channel', 'type', 'text', 'phone', 'kind', 'content'])
    expect(probe[key], key).toBeUndefined();
}

const huge = 'Ж'.repeat(200_000);
const pollutionKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...pollutionKeys) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'channel',
      'contact',
      'content',
      'type',
      'text',
      'phone',
      'email',
      'id',
      'kind',
      'idempotencyKey',
      'metadata',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 6 }) },
);
const leaf = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e308,
    '',
    huge,
    'polluted',
    'text',
    'sms',
    'whatsapp',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant([]),
);
/** Random values with pollution keys as real own properties (built like JSON.parse builds them). */
const hostile: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => {
      const object: Record<string, unknown> = {};
      for (const [name, value] of entries)
        Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  ),
})).value;
const polluting = fc.constantFrom(
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"contact":{"id":"c1","phone":"+79161234567","__proto__":{"isAdmin":true}}}',
  '{"channel":"sms","contact":{"id":"c1","phone":"+79161234567","identities":{"__proto__":{"polluted":1}}},"content":{"type":"text","text":"hi","__proto__":{"polluted":true}}}',
  '{"channel":"sms","contact":{"id":"c1","phone":"+79161234567"},"content":{"type":"text","text":"hi"},"metadata":{"__proto__":{"polluted":true}}}',
);

const channelId = fc.oneof(fc.constantFrom('whatsapp', 'avito', 'sms', 'twilio', 'email'), leaf);
const validContact = fc.constantFrom<unknown>(contacts.ivan, contacts.olga, { id: 'c-x', phone: '+79161234567' });
const contactInput = fc.oneof(
  validContact,
  hostile,
  fc.record({ id: leaf, phone: leaf, email: leaf, identities: hostile, consent: hostile }, { requiredKeys: [] }),
);
const contentInput = fc.oneof(
  hostile,
  fc.record(
    {
      type: fc.constantFrom('text', 'template', 'media', 'email', 'location', 'nope'),
      text: leaf,
      name: leaf,
      subject: leaf,
      url: leaf,
      params: hostile,
    },
    { requiredKeys: ['type'] },
  ),
  fc.constant({ type: 'text', text: huge }),
  fc.constant({ type: 'email', subject: huge, text: 'x' }),
);

/** Inputs built to be wrong: at least one part is hostile or of the wrong type. */
const sendInput = fc.oneof(
  hostile,
  polluting.map((text) => JSON.parse(text) as unknown),
  fc.record(
    {
      channel: channelId,
      contact: contactInput,
      content: contentInput,
      idempotencyKey: leaf,
      replyTo: leaf,
      sentBy: leaf,
      metadata: hostile,
    },
    { requiredKeys: [] },
  ),
);

describe('hub.send: hostile input', () => {
  it('rejects with a typed error (ValidationError for malformed input) or resolves; no network call for a refusal; no pollution', async () => {
    let validationErrors = 0;
    let resolved = 0;
    await fc.assert(
      fc.asyncProperty(sendInput, async (input) => {
        const before = network.length;
        try {
          await hub.send(input as never);
          resolved += 1;
        } catch (error) {
          if (!OmnidealerError.isInstance(error)) throw error;
          if (ValidationError.isInstance(error)) validationErrors += 1;
          expect(network.length, 'a refused send reached the network').toBe(before);
        }
        expectPrototypeClean();
      }),
      { numRuns: 2000 },
    );
    expect(validationErrors).toBeGreaterThan(1300);
    // Only the few valid inputs (some of the pollution payloads are valid sends) were sent.
    expect(resolved).toBeLessThan(400);
  });

  it('the refusal names the field and never echoes a huge value back', async () => {
    network.length = 0;
    const error = await hub
      .send({ channel: 'sms', contact: contacts.ivan, content: { type: 'text', text: huge } })
      .catch((caught: unknown) => caught);
    expect(error).toSatisfy(ValidationError.isInstance);
    expect((error as Error).message.length).toBeLessThan(500);
    const wrongType = await hub
      .send({ channel: 'sms', contact: { id: 1 }, content: 'hi' } as never)
      .catch((caught: unknown) => caught);
    expect(wrongType).toSatisfy(ValidationError.isInstance);
    expect((wrongType as Error).message).toMatch(/contact|content/);
    expect(network).toEqual([]);
  });
});

describe('cascade.plan: hostile input', () => {
  it('rejects with a typed error or resolves with a plan; never calls the network; no pollution', async () => {
    const content = fc
      .oneof(
        contentInput,
        fc.string({ maxLength: 20 }),
        fc.dictionary(fc.constantFrom('whatsapp', 'sms', 'email', '__proto__', 'x'), contentInput, { maxKeys: 3 }),
      )
      .filter(
        // Content shaped like already-normalised content skips validation: see the bugs below.
        // `null` / `undefined` content crashes: see the bugs below.
        (value) =>
          value !== null &&
          value !== undefined &&
          !(typeof value === 'object' && ['single', 'per_channel'].includes((value as { kind?: unknown }).kind as string)),
      );
    const options = fc.oneof(
      fc.constant(undefined),
      hostile,
      fc.record({ kind: leaf, campaign: leaf, idempotencyKey: leaf, budgetMinor: leaf, subject: leaf }, { requiredKeys: [] }),
    );
    network.length = 0;
    let plans = 0;
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(contactInput, content, options, async (contact, cascadeContent, planOptions) => {
        try {
          const planned = await cascade.plan(contact as never, cascadeContent as never, planOptions as never);
          expect(Array.isArray(planned.steps)).toBe(true);
          plans += 1;
        } catch (error) {
          if (!OmnidealerError.isInstance(error)) throw error;
          refusals += 1;
        }
        expectPrototypeClean();
      }),
      { numRuns: 2000 },
    );
    expect(refusals).toBeGreaterThan(0);
    expect(network).toEqual([]);
    expect(plans + refusals).toBe(2000);
  });

  // Was a bug (fixed: only contents normalizeContent produced skip validation): `normalizeContent` treated any object shaped
  // `{ kind: 'single', content: <object or null> }` or `{ kind: 'per_channel', contents }` as already validated, so
  // public callers skip zod. `{ kind: 'per_channel', contents: null }` then crashes in renderForChannel
  // (cascade-content.ts:70, TypeError: Cannot read properties of null); `{ kind: 'single', content: null }` or
  // `content: { type: 'nope' }` resolves with an empty plan instead of a ValidationError naming `content`.
  // Was a bug (fixed): the same function ran `Object.entries(content)` on `null` / `undefined` content (cascade-content.ts ~line 46):
  // `cascade.plan(contact, null)` throws TypeError: Cannot convert undefined or null to object.
  it.each([null, undefined])('content %s is refused with a ValidationError', async (content) => {
    const error = await cascade.plan(contacts.ivan, content as never).catch((caught: unknown) => caught);
    expect(error).toSatisfy(ValidationError.isInstance);
  });

  it('a fake "normalised" per-channel content is refused with a ValidationError', async () => {
    const error = await cascade
      .plan(contacts.ivan, { kind: 'per_channel', contents: null } as never)
      .catch((caught: unknown) => caught);
    expect(error).toSatisfy(ValidationError.isInstance);
  });

  it('a fake "normalised" single content is refused with a ValidationError', async () => {
    const error = await cascade
      .plan(contacts.ivan, { kind: 'single', content: { type: 'nope' } } as never)
      .catch((caught: unknown) => caught);
    expect(error).toSatisfy(ValidationError.isInstance);
  });

  it('plans a valid cascade without any network call', async () => {
    network.length = 0;
    const planned = await cascade.plan(contacts.ivan, {
      whatsapp: contentFor.whatsapp,
      sms: contentFor.sms,
      email: contentFor.email,
    });
    expect(planned.steps.length).toBeGreaterThan(0);
    expect(network).toEqual([]);
  });
});

describe('SSRF through media URLs', () => {
  const media = (url: string) => ({ type: 'media' as const, kind: 'image' as const, url });

  it.each(['avito', 'whatsapp', 'email'] as const)(
    '%s: only http(s) URLs are accepted, refused before any network call',
    async (channel) => {
      network.length = 0;
      for (const url of [
        'file:///etc/passwd',
        'ftp://10.0.0.1/x.jpg',
        'gopher://127.0.0.1:6379/_INFO',
        'data:image/png;base64,AAAA',
        'javascript:alert(1)',
      ]) {
        const error = await hub.send({ channel, contact: contacts.ivan, content: media(url) }).catch((caught: unknown) => caught);
        expect(error, url).toSatisfy(ValidationError.isInstance);
      }
      expect(network).toEqual([]);
    },
  );

  const privateUrls = [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://127.0.0.1:6379/car.jpg',
    'http://10.0.0.5/internal/car.jpg',
    'http://[::1]/car.jpg',
    'http://localhost:8080/car.jpg',
  ];

  // Was a bug (fixed: the hub refuses loopback/private media URLs unless `allowPrivateMediaUrls`): Avito downloaded
  // any http(s) media URL to re-upload it, cloud metadata at 169.254.169.254 and localhost included.
  it('avito: a media URL in a private or link-local range is never fetched', async () => {
    network.length = 0;
    for (const url of privateUrls)
      await hub.send({ channel: 'avito', contact: contacts.ivan, content: media(url) }).catch(() => undefined);
    for (const url of privateUrls) expect(network, url).not.toContain(url);
  });

  // Was a bug (fixed the same way): e-mail handed the URL to nodemailer as an attachment `path` to download.
  it('email: a media URL in a private or link-local range is never handed to the mailer to download', async () => {
    attachmentPaths.length = 0;
    for (const url of privateUrls)
      await hub.send({ channel: 'email', contact: contacts.ivan, content: media(url) }).catch(() => undefined);
    expect(attachmentPaths).toEqual([]);
  });
});
