import { createMemoryStore, createOmnidealer } from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessToken, apiVersion, messagesRoute, phoneNumberId } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import { createWhatsAppChannel } from './whatsapp-channel.js';

const api = createTestServer({ [messagesRoute]: { json: sendSuccess } });
const template = { type: 'template' as const, name: 'booking_reminder', language: 'ru' };

/** Moves fake time forward in small steps so promise chains between timers can run. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) await vi.advanceTimersByTimeAsync(Math.min(step, ms - elapsed));
}

const recipients = () => api.callsTo('/messages').map((call) => (call.json as { to: string }).to);

describe('throughput and pair limits through the core runtime', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces two messages to the same user by the pair interval (default 6 s); other users are not held', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const hub = createOmnidealer({
      channels: [createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion })],
      store: createMemoryStore(),
    });
    const contact = { id: 'c1', phone: '+79161234567' };
    const sends = [
      hub.send({ channel: 'whatsapp', contact, content: template }),
      hub.send({ channel: 'whatsapp', contact, content: template }),
      hub.send({ channel: 'whatsapp', contact: { id: 'c2', phone: '+79167654321' }, content: template }),
    ];
    await advance(1000);
    expect(recipients()).toEqual(['79161234567', '79167654321']);
    await advance(4500);
    expect(recipients()).toHaveLength(2);
    await advance(1000);
    expect(recipients()).toEqual(['79161234567', '79167654321', '79161234567']);
    await advance(500);
    expect((await Promise.all(sends)).map((message) => message.status)).toEqual(['sent', 'sent', 'sent']);
    vi.useRealTimers(); // Bottleneck's stop() waits on its own timers
    await hub.shutdown();
  });

  it('never launches more than perSecond messages in one second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const hub = createOmnidealer({
      channels: [createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion, rateLimit: { perSecond: 5 } })],
      store: createMemoryStore(),
    });
    const sends = Array.from({ length: 12 }, (_, index) =>
      hub.send({ channel: 'whatsapp', contact: { id: `c${index}`, phone: `+7916123${4500 + index}` }, content: template }),
    );
    await advance(950, 50);
    const inFirstSecond = recipients().length;
    expect(inFirstSecond).toBeLessThanOrEqual(5);
    expect(inFirstSecond).toBeGreaterThanOrEqual(4);
    await advance(3000);
    expect(recipients()).toHaveLength(12);
    await Promise.all(sends);
    vi.useRealTimers(); // Bottleneck's stop() waits on its own timers
    await hub.shutdown();
  });
});
