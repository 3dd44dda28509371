import { describe, expect, it } from 'vitest';
import type { Channel } from './channel.js';
import { createOmnidealer } from './hub.js';
import type { RateLimiter, RateLimiterFactory, RateLimiterOptions } from './runtime/rate-limiter.js';
import { createTestChannel } from './test-channel.js';

const contact = { id: 'c1', phone: '8 (916) 123-45-67' };
const text = { type: 'text', text: 'Добрый день!' } as const;

/** A factory whose limiters hold every task until the test lets it go, recording what they were given. */
function createHeldRateLimiter() {
  const made: RateLimiterOptions[] = [];
  const scheduled: string[] = [];
  const held: Array<() => void> = [];
  let stopped = 0;
  const factory: RateLimiterFactory = (options) => {
    made.push(options);
    const limiter: RateLimiter = {
      schedule(recipient, task) {
        scheduled.push(recipient);
        return new Promise((resolve, reject) => held.push(() => task().then(resolve, reject)));
      },
      async stop() {
        stopped++;
      },
    };
    return limiter;
  };
  return {
    factory,
    made,
    scheduled,
    releaseAll: () => {
      for (const release of held.splice(0)) release();
    },
    stopped: () => stopped,
  };
}

describe('createOmnidealer({ rateLimiter })', () => {
  it('runs every send through the limiter the factory made for the channel, with its rate limit and id', async () => {
    const channel: Channel & { sent: unknown[]; attempts: unknown[] } = {
      ...createTestChannel({ id: 'sms' }),
      rateLimit: { perSecond: 5, perRecipientIntervalMs: 6000, maxConcurrent: 2 },
    };
    const limiter = createHeldRateLimiter();
    const hub = createOmnidealer({ channels: [channel], rateLimiter: limiter.factory });

    const first = hub.send({ channel: 'sms', contact, content: text });
    const second = hub.send({ channel: 'sms', contact: { id: 'c2', phone: '+79167654321' }, content: text });
    await expect.poll(() => limiter.scheduled).toEqual(['+79161234567', '+79167654321']);
    // Held by the custom limiter: nothing reached the provider yet.
    expect(channel.attempts).toHaveLength(0);
    limiter.releaseAll();
    await expect(first).resolves.toMatchObject({ status: 'sent' });
    await expect(second).resolves.toMatchObject({ status: 'sent' });
    expect(channel.sent).toHaveLength(2);

    // One limiter per channel account, made on first use, with the channel's limits and the account's id.
    expect(limiter.made).toEqual([
      { id: 'omnidealer:sms:sms-account', perSecond: 5, perRecipientIntervalMs: 6000, maxConcurrent: 2 },
    ]);
    await hub.shutdown();
    expect(limiter.stopped()).toBe(1);
  });

  it('makes one limiter per channel, each with its own id', async () => {
    const limiter = createHeldRateLimiter();
    const hub = createOmnidealer({
      channels: [createTestChannel({ id: 'sms' }), createTestChannel({ id: 'whatsapp' })],
      rateLimiter: limiter.factory,
    });
    const sends = [
      hub.send({ channel: 'sms', contact, content: text }),
      hub.send({ channel: 'whatsapp', contact, content: text }),
    ];
    await expect.poll(() => limiter.scheduled).toHaveLength(2);
    limiter.releaseAll();
    await Promise.all(sends);
    expect(limiter.made.map((options) => options.id)).toEqual([
      'omnidealer:sms:sms-account',
      'omnidealer:whatsapp:whatsapp-account',
    ]);
    await hub.shutdown();
  });

  it('fails a send the limiter refuses, without calling the provider', async () => {
    const channel = createTestChannel({ id: 'sms' });
    const hub = createOmnidealer({
      channels: [channel],
      retry: { retries: 0 },
      rateLimiter: () => ({
        schedule: () => Promise.reject(new Error('gate unreachable')),
        stop: async () => {},
      }),
    });
    // A failure the hub cannot classify: the message is recorded as failed, never sent around the limiter.
    await expect(hub.send({ channel: 'sms', contact, content: text })).resolves.toMatchObject({
      status: 'failed',
      error: { code: 'internal', retryable: false },
    });
    expect(channel.attempts).toHaveLength(0);
    await hub.shutdown();
  });
});
