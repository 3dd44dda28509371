import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import inboundText from './__fixtures__/webhook-inbound-text.json';
import statusLegacy from './__fixtures__/webhook-status-legacy-cbp.json';
import statusSent from './__fixtures__/webhook-status-sent.json';
import {
  whatsAppChangeValueSchema,
  whatsAppInboundMessageSchema,
  whatsAppStatusSchema,
  whatsAppWebhookSchema,
} from './whatsapp-api.js';
import {
  readWhatsAppChangeValue,
  readWhatsAppEnvelope,
  readWhatsAppInboundMessage,
  readWhatsAppStatus,
} from './whatsapp-webhook-shape.js';

/** Any JSON value of the wrong kind for most fields, plus the edge cases of the right kinds. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', 'x', '79161234567', ' 1', '1e5', '-1', '12.5', '0x10', '１２'),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{}]),
);
/** Mostly a valid value, sometimes anything. */
const orAny = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: anyJson, weight: 1 });
/** Mostly absent (as `undefined`, which the schemas treat as absent), sometimes a value. */
const rarely = (value: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: value, weight: 1 });
const text = orAny(fc.constantFrom('wamid.HBgL', 'marketing', 'Иван'));
const flag = orAny(fc.boolean());
const timestamp = fc.oneof(
  fc.constantFrom('1764067200', '0', '00', '99999999999', '100000000000', '999999999999999', ' 1764067200', '1764067200.5'),
  fc.constantFrom(0, -0, 1764067200, 1e11, 1e11 + 1, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY),
  anyJson,
);
const optional = { requiredKeys: [] as never[] };

const statusArbitrary = fc.record(
  {
    id: text,
    status: orAny(fc.constantFrom('sent', 'delivered', 'read', 'failed', 'played')),
    timestamp,
    recipient_id: text,
    recipient_user_id: rarely(orAny(fc.constantFrom('US.13491208655302741918', ''))),
    pricing: orAny(fc.record({ billable: flag, pricing_model: text, category: text, type: text }, optional)),
    conversation: orAny(
      fc.record({ id: text, origin: orAny(fc.record({ type: text }, optional)), expiration_timestamp: timestamp }, optional),
    ),
    errors: rarely(orAny(fc.constant([{ code: 131026, title: 'Message undeliverable' }]))),
    biz_opaque_callback_data: text,
    unknown_field: anyJson,
  },
  optional,
);

const inboundArbitrary = fc.record(
  {
    from: orAny(fc.constant('79161234567')),
    from_user_id: rarely(orAny(fc.constantFrom('US.13491208655302741918', ''))),
    from_parent_user_id: rarely(text),
    id: text,
    timestamp,
    type: orAny(fc.constantFrom('text', 'image', 'system', 'unknown')),
    text: orAny(fc.record({ body: orAny(fc.constantFrom('', 'Здравствуйте')) }, optional)),
    image: rarely(orAny(fc.constant({ id: 'media-1' }))),
    location: rarely(orAny(fc.constant({ latitude: '55.75', longitude: 37.61 }))),
    interactive: rarely(orAny(fc.constant({ type: 'button_reply', button_reply: { id: 'yes', title: 'Да' } }))),
    referral: rarely(anyJson),
    system: rarely(orAny(fc.constant({ type: 'user_changed_number', wa_id: '79031234567' }))),
    errors: rarely(orAny(fc.constant([{ code: 131051 }]))),
    context: orAny(fc.record({ from: text, id: text, forwarded: flag, frequently_forwarded: flag }, optional)),
    unknown_field: anyJson,
  },
  optional,
);

const changeValueArbitrary = fc.record(
  {
    messaging_product: text,
    metadata: orAny(fc.record({ display_phone_number: text, phone_number_id: text }, optional)),
    contacts: orAny(
      fc.array(
        orAny(
          fc.record(
            {
              wa_id: text,
              user_id: rarely(text),
              parent_user_id: rarely(text),
              profile: orAny(fc.record({ name: text, username: rarely(text) }, optional)),
            },
            optional,
          ),
        ),
      ),
    ),
    messages: orAny(fc.array(anyJson, { maxLength: 2 })),
    statuses: orAny(fc.array(anyJson, { maxLength: 2 })),
    errors: rarely(orAny(fc.constant([{ code: 131000 }]))),
  },
  optional,
);

const envelopeArbitrary = fc.record(
  {
    object: orAny(fc.constant('whatsapp_business_account')),
    entry: orAny(
      fc.array(
        orAny(
          fc.record(
            { id: text, changes: orAny(fc.array(orAny(fc.record({ field: text, value: anyJson }, optional)), { maxLength: 2 })) },
            optional,
          ),
        ),
        { maxLength: 2 },
      ),
    ),
  },
  optional,
);

/**
 * The contract of a reader: never accepts what the schema rejects, and what it accepts reads exactly as the schema's
 * output. Returns whether the reader took the value (so a run can check the fast path was exercised at all).
 */
function agreesWithSchema(schema: z.ZodType, read: (value: unknown) => unknown, value: unknown): boolean {
  const expected = schema.safeParse(structuredClone(value));
  const actual = read(structuredClone(value));
  if (!expected.success) expect(actual).toBeUndefined();
  else if (actual !== undefined) expect(actual).toEqual(expected.data);
  return actual !== undefined;
}

function checkAgainst(schema: z.ZodType, read: (value: unknown) => unknown, arbitrary: fc.Arbitrary<unknown>): void {
  // Counted so a generator that never reaches the hand-written path fails instead of passing vacuously.
  let taken = 0;
  fc.assert(
    fc.property(arbitrary, (value) => {
      if (agreesWithSchema(schema, read, value)) taken += 1;
    }),
    { numRuns: 3000 },
  );
  expect(taken).toBeGreaterThan(30);
}

const statusesOf = (envelope: { entry: Array<{ changes: Array<{ value: { statuses: unknown[] } }> }> }) =>
  envelope.entry[0]?.changes[0]?.value.statuses ?? [];

describe('hand-written webhook shape checks agree with the zod schemas', () => {
  it('statuses', () => checkAgainst(whatsAppStatusSchema, readWhatsAppStatus, statusArbitrary));
  it('inbound messages', () => checkAgainst(whatsAppInboundMessageSchema, readWhatsAppInboundMessage, inboundArbitrary));
  it('change values', () => checkAgainst(whatsAppChangeValueSchema, readWhatsAppChangeValue, changeValueArbitrary));
  it('envelopes', () => checkAgainst(whatsAppWebhookSchema, readWhatsAppEnvelope, envelopeArbitrary));
});

describe('real payloads take the hand-written path', () => {
  it('PMP and legacy CBP statuses, timestamps coerced as the schema does', () => {
    for (const status of [...statusesOf(statusSent), ...statusesOf(statusLegacy)]) {
      expect(agreesWithSchema(whatsAppStatusSchema, readWhatsAppStatus, status)).toBe(true);
    }
    const legacy = readWhatsAppStatus(structuredClone(statusesOf(statusLegacy)[0]));
    expect(legacy?.timestamp).toBe(1719936000);
    expect(legacy?.conversation?.expiration_timestamp).toBe(1720022400);
  });

  it('a text message, its change value and envelope', () => {
    const value = inboundText.entry[0]?.changes[0]?.value;
    expect(agreesWithSchema(whatsAppWebhookSchema, readWhatsAppEnvelope, inboundText)).toBe(true);
    expect(agreesWithSchema(whatsAppChangeValueSchema, readWhatsAppChangeValue, value)).toBe(true);
    expect(agreesWithSchema(whatsAppInboundMessageSchema, readWhatsAppInboundMessage, value?.messages[0])).toBe(true);
  });

  it('leaves failed statuses, media and interactive messages to the schema, untouched', () => {
    const failed = { id: 'wamid.1', status: 'failed', timestamp: '1764067200', errors: [{ code: 131026 }] };
    const image = { from: '79161234567', id: 'wamid.2', timestamp: '1764066000', type: 'image', image: { id: 'media-1' } };
    expect(readWhatsAppStatus(failed)).toBeUndefined();
    expect(readWhatsAppInboundMessage(image)).toBeUndefined();
    expect(failed.timestamp).toBe('1764067200');
    expect(image.timestamp).toBe('1764066000');
  });
});
