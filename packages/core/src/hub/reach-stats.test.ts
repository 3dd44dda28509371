import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

describe('reach stats: what the cascade’s reach model learns from', () => {
  it('counts accepted sends, deliveries, reads (a read without a delivery counts both) and failures, per contact and in the channel totals', async () => {
    const clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const whatsapp = createTestChannel({ id: 'whatsapp' });
    const hub = createOmnidealer({ channels: [whatsapp], store: createMemoryStore(), clock });
    const text = { type: 'text', text: 'Здравствуйте' } as const;
    const first = await hub.send({ channel: 'whatsapp', contact: { id: 'c1', phone: '+79161234567' }, content: text });
    const second = await hub.send({ channel: 'whatsapp', contact: { id: 'c1' }, content: text });
    const other = await hub.send({ channel: 'whatsapp', contact: { id: 'c2', phone: '+79161234568' }, content: text });
    const status = (id: string | undefined, value: 'delivered' | 'read' | 'failed') =>
      hub.handleWebhook('whatsapp', whatsapp.statusWebhook(id as string, value, clock.now()));
    await status(first.providerMessageId, 'delivered');
    clock.advance(60_000);
    await status(first.providerMessageId, 'read');
    await status(second.providerMessageId, 'read');
    await status(other.providerMessageId, 'failed');
    expect(await hub.reachStats('c1', 'whatsapp')).toEqual({ sent: 2, delivered: 2, read: 2, failed: 0, lastAt: clock.now() });
    expect(await hub.reachStats('c2', 'whatsapp')).toMatchObject({ sent: 1, delivered: 0, failed: 1 });
    expect(await hub.reachTotals('whatsapp')).toEqual({ sent: 3, delivered: 2, read: 2, failed: 1, lastAt: clock.now() });
    expect(await hub.reachTotals('sms')).toEqual({ delivered: 0, failed: 0 });
  });
});
