import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

const contact = { id: 'c1', name: 'Иван', phone: '+79161234567' };
const text = (n: number) => ({ type: 'text' as const, text: `Сообщение ${n}` });

describe('a read that covers earlier messages (StatusEvent.coversEarlier, VK message_read)', () => {
  it('marks read the earlier outbound messages of the conversation, also those another hub on the store sent', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = createMemoryStore();
    const channelA = createTestChannel({ id: 'vk', kind: 'vk' });
    const channelB = createTestChannel({ id: 'vk', kind: 'vk' });
    // Two processes sharing one store: the first two messages go out from A, the next two from B.
    const hubA = createOmnidealer({ channels: [channelA], store, clock });
    const hubB = createOmnidealer({ channels: [channelB], store, clock });
    const sent = [];
    for (const [index, hub] of [hubA, hubA, hubB, hubB].entries()) {
      sent.push(await hub.send({ channel: 'vk', contact, content: text(index) }));
      clock.advance(1_000);
    }
    const statuses: string[] = [];
    hubB.on('message.status', ({ message, previous }) => statuses.push(`${message.id}: ${previous}→${message.status}`));
    // Delivered already: still read. The last message is not covered by a read of the third.
    const [first, second, third, fourth] = sent as [(typeof sent)[0], (typeof sent)[0], (typeof sent)[0], (typeof sent)[0]];
    expect((await hubB.handleWebhook('vk', channelB.statusWebhook(first.providerMessageId as string, 'delivered'))).status).toBe(
      200,
    );
    const response = await hubB.handleWebhook(
      'vk',
      channelB.statusWebhook(third.providerMessageId as string, 'read', clock.now(), { coversEarlier: true }),
    );
    expect(response.status).toBe(200);
    const stored = await Promise.all(sent.map((message) => store.getMessage(message.id)));
    expect(stored.map((message) => message?.status)).toEqual(['read', 'read', 'read', 'sent']);
    expect(statuses).toEqual([
      `${first.id}: sent→delivered`,
      `${first.id}: delivered→read`,
      `${second.id}: sent→read`,
      `${third.id}: sent→read`,
    ]);
    expect(stored[1]?.statusTimes?.read).toBe(clock.now());
    expect(fourth.status).toBe('sent');
  });

  it('a read without coversEarlier marks only its own message', async () => {
    const store = createMemoryStore();
    const channel = createTestChannel({ id: 'vk', kind: 'vk' });
    const hub = createOmnidealer({ channels: [channel], store });
    const first = await hub.send({ channel: 'vk', contact, content: text(1) });
    const second = await hub.send({ channel: 'vk', contact, content: text(2) });
    await hub.handleWebhook('vk', channel.statusWebhook(second.providerMessageId as string, 'read'));
    expect((await store.getMessage(first.id))?.status).toBe('sent');
    expect((await store.getMessage(second.id))?.status).toBe('read');
  });
});
