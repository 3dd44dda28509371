import { countSegments, septetsOf } from '@omnidealer/channel-sms';
import { OmnidealerError, type WebhookResult } from '@omnidealer/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodiesOf } from './fuzz-bodies.js';
import {
  createHookChannels,
  type HookChannel,
  packageSignatures,
  signatureHeaders,
  signedWebhookRequest,
  validBodies,
} from './webhooks.js';

// Property-based fuzzing of every webhook parser, called directly (`channel.parseWebhook`) with validly signed
// random bytes, random JSON and mutated real payloads, so the parser body is always reached. Only a typed
// omnidealer error (WebhookError) may come out, never a TypeError or a RangeError.

const numRuns = 10_000;
const channels = createHookChannels();
const encoder = new TextEncoder();

/** Parses one body; resolves to the result, or rethrows anything that is not a typed omnidealer error. */
async function parseOnly(channel: HookChannel, body: Uint8Array): Promise<WebhookResult | OmnidealerError> {
  const request = await signedWebhookRequest(channel, body);
  try {
    return await (channels[channel] as { parseWebhook: (r: typeof request) => Promise<WebhookResult> }).parseWebhook(request);
  } catch (error) {
    if (OmnidealerError.isInstance(error)) return error;
    throw error;
  }
}

/** The contract: a typed webhook error, or a result whose events carry a type and a provider id. */
function checkResult(outcome: WebhookResult | OmnidealerError, options: { eventShape: boolean }): void {
  if (OmnidealerError.isInstance(outcome)) {
    expect(outcome.code).toMatch(/^webhook_/);
    return;
  }
  expect(Array.isArray(outcome.events)).toBe(true);
  if (!options.eventShape) return;
  for (const event of outcome.events) {
    expect(['inbound', 'status']).toContain(event.type);
    expect(typeof event.providerMessageId).toBe('string');
    expect(event.providerMessageId.length).toBeGreaterThan(0);
    expect(typeof event.at).toBe('number');
  }
}

it("the fuzz signers agree with the packages' own signers", async () => {
  const official = await packageSignatures(validBodies.twilio);
  expect((await signatureHeaders('whatsapp', encoder.encode(validBodies.twilio)))['x-hub-signature-256']).toBe(official.whatsapp);
  expect((await signatureHeaders('twilio', encoder.encode(validBodies.twilio)))['x-twilio-signature']).toBe(official.twilio);
});

describe.each(['whatsapp', 'avito', 'sms', 'twilio', 'email'] as const)('%s: parseWebhook fuzzing', (channel) => {
  it(`${numRuns} validly signed random / mutated bodies: only typed errors, well-formed events`, async () => {
    let parsedEvents = 0;
    let typedErrors = 0;
    await fc.assert(
      fc.asyncProperty(bodiesOf[channel], async (body) => {
        const outcome = await parseOnly(channel, body);
        checkResult(outcome, { eventShape: true });
        if (OmnidealerError.isInstance(outcome)) typedErrors += 1;
        else parsedEvents += outcome.events.length;
      }),
      { numRuns },
    );
    // The mutations reach both sides: some bodies still parse into events, others are refused.
    expect(parsedEvents).toBeGreaterThan(0);
    expect(typedErrors).toBeGreaterThan(0);
  });
});

describe('provider timestamps', () => {
  // Was a bug (fixed: timestamps are bounded in the wire schemas): the parsers turned any numeric
  // timestamp into `at` unchecked: `"timestamp": 1e308` (WhatsApp) or `"created": 1e308` (Avito) gives
  // `at: Infinity`, which the hub stores as a status / first-inbound time (JSON-serialised as null).
  it.each([
    ['whatsapp', validBodies.whatsapp.replace('"timestamp": "1764067200"', '"timestamp": 1e308')],
    ['avito', validBodies.avito.replace('"created": 1764046800', '"created": 1e308')],
  ] as const)('%s: an absurd timestamp is refused (or clamped), never an infinite `at`', async (channel, body) => {
    expect(body).toContain('1e308');
    const outcome = await parseOnly(channel, encoder.encode(body));
    if (!OmnidealerError.isInstance(outcome)) for (const event of outcome.events) expect(Number.isFinite(event.at)).toBe(true);
  });
});

describe('test channel (core): parseWebhook fuzzing', () => {
  // Was a bug (fixed): core/src/test-channel.ts parseWebhook read `(body as { events }).events` after JSON.parse, so a signed
  // body of `null` throws a TypeError instead of a WebhookError (answered 500 by the hub instead of 400).
  it('a signed JSON `null` body is a WebhookError', async () => {
    const outcome = await parseOnly('test', encoder.encode('null'));
    expect(OmnidealerError.isInstance(outcome)).toBe(true);
  });

  // Was a bug (fixed): the same parser returned `{ events: [{}] }` as is: events without type / providerMessageId reach the hub.
  it('a signed body with a shapeless event is a WebhookError', async () => {
    const outcome = await parseOnly('test', encoder.encode('{"events":[{}]}'));
    expect(OmnidealerError.isInstance(outcome)).toBe(true);
  });

  it(`${numRuns} validly signed random / mutated bodies (except the known \`null\` above): only typed errors`, async () => {
    await fc.assert(
      fc.asyncProperty(
        bodiesOf.test.filter((body) => new TextDecoder().decode(body).trim() !== 'null'),
        // The test channel passes events through unchecked (see the bug above), so only the error contract is checked.
        async (body) => checkResult(await parseOnly('test', body), { eventShape: false }),
      ),
      { numRuns },
    );
  });
});

describe('countSegments over random Unicode', () => {
  it(`${numRuns} texts: never throws, parts reassemble the text and respect the segment capacity`, () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({ unit: fc.constantFrom(...'абвгдеёжз AZaz09@£$¥€[]{}|~^\\\n😀👍🏽\u00a0–—…«»'.split('')), maxLength: 400 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
    );
    const options = fc.record(
      {
        smartEncoding: fc.boolean(),
        transliterate: fc.boolean(),
        concatenationReference: fc.constantFrom('8bit' as const, '16bit' as const),
        keepSurrogatePairs: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(text, options, (input, chosen) => {
        const result = countSegments(input, { ...chosen, split: true });
        const parts = result.parts ?? [];
        expect(parts.join('')).toBe(result.text);
        if (!chosen.smartEncoding && !chosen.transliterate) expect(result.text).toBe(input);
        expect(parts).toHaveLength(result.segments);
        expect(result.segments === 0).toBe(result.text === '');
        for (const part of parts) {
          const units =
            result.encoding === 'GSM-7'
              ? [...part].reduce((sum, character) => sum + septetsOf(character.codePointAt(0) as number), 0)
              : part.length;
          expect(units).toBeLessThanOrEqual(result.unitsPerSegment);
          expect(part.length).toBeGreaterThan(0);
        }
      }),
      { numRuns },
    );
  });
});
