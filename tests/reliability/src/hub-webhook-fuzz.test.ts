import { createManualClock, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodiesOf } from './fuzz-bodies.js';
import { createHookChannels, signedRequest } from './webhooks.js';

// The same hostile bodies, validly signed, through `hub.handleWebhook`: whatever a parser lets through must be
// stored without crashing. A 500 means our own failure (the hub's catch-all), so it must never happen.

const numRuns = 1000;
let hub: Omnidealer;
const internalErrors: string[] = [];

beforeAll(() => {
  hub = createOmnidealer({
    channels: Object.values(createHookChannels()).filter((channel) => channel.id !== 'test'),
    clock: createManualClock(Date.parse('2026-03-02T09:00:00Z')),
    logger: {
      debug() {},
      info() {},
      warn() {},
      error: (data, message) => internalErrors.push(`${message} ${JSON.stringify(data)}`),
    },
  });
});

afterAll(async () => {
  await hub.shutdown();
});

describe.each(['whatsapp', 'avito', 'sms', 'twilio', 'email'] as const)('%s: hub.handleWebhook fuzzing', (channel) => {
  it(`${numRuns} validly signed hostile bodies: answered 2xx/400/401/413, never 500`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(bodiesOf[channel], async (body) => {
        const response = await hub.handleWebhook(channel, await signedRequest(channel, body));
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect([200, 204, 400, 401, 413]).toContain(response.status);
      }),
      { numRuns },
    );
    expect(internalErrors).toEqual([]);
    // Both paths were exercised: some deliveries were applied, some refused as malformed.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });
});
