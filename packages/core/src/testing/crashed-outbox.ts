import type { Store } from '../store/store.js';
import { createTestChannel, type TestChannel } from '../test-channel.js';

/**
 * What a crashed process left in a store: a contact, an SMS conversation and `count` queued messages its provider never
 * got (ids `msg-00`, `msg-01`, …). Resolves with their ids.
 */
export async function crashedOutbox(store: Store, count: number, at: number): Promise<string[]> {
  await store.saveContact({ id: 'c1', phone: '+79161234567', identities: {} });
  await store.saveConversation({
    id: 'conv-1',
    contactId: 'c1',
    channel: 'sms',
    status: 'open',
    handler: 'bot',
    assignments: [],
    unreadCount: 0,
    createdAt: at,
    updatedAt: at,
  });
  const ids = Array.from({ length: count }, (_, index) => `msg-${String(index).padStart(2, '0')}`);
  for (const id of ids) {
    await store.saveMessage({
      id,
      conversationId: 'conv-1',
      contactId: 'c1',
      direction: 'outbound',
      channel: 'sms',
      content: { type: 'text', text: 'Напоминаем о записи на ТО' },
      status: 'queued',
      createdAt: at,
      updatedAt: at,
    });
  }
  return ids;
}

/** An SMS test channel whose provider answers after a real pause, so two machines' resumes overlap. */
export function slowChannel(): TestChannel {
  const channel = createTestChannel({ id: 'sms', kind: 'sms' });
  const send = channel.doSend.bind(channel);
  channel.doSend = async (message, options) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return send(message, options);
  };
  return channel;
}
