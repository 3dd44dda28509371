import { createMemoryStore, type Message } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import type { CascadeState } from './cascade-state.js';
import { buildReport } from './report.js';

function message(id: string, channel: string, status: Message['status'], extra: Partial<Message> = {}): Message {
  return {
    id,
    conversationId: `conv-${id}`,
    contactId: `contact-${id}`,
    direction: 'outbound',
    channel,
    content: { type: 'text', text: 'Весенняя распродажа' },
    status,
    cost: { amountMinor: 1200, currency: 'RUB' },
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

function state(steps: Array<{ channelId: string; messageId: string }>, status: CascadeState['status']): CascadeState {
  return {
    status,
    currency: 'RUB',
    baselineMinor: 1200,
    steps: steps.map((step) => ({ ...step, status: 'sent', costMinor: 1200 })),
  } as unknown as CascadeState;
}

describe('buildReport', () => {
  it('bills SMS once accepted (even if it expired) and WhatsApp only once delivered; failed sends are not sent', async () => {
    const store = createMemoryStore();
    // WhatsApp accepted but never delivered (not billed), then SMS accepted and later expired (billed).
    await store.saveMessage(message('wa-1', 'whatsapp', 'sent', { providerMessageId: 'wamid.1', statusTimes: { sent: 1 } }));
    await store.saveMessage(
      message('sms-1', 'sms', 'failed', { providerMessageId: 'smsru-1', statusTimes: { sent: 2, failed: 3 } }),
    );
    // WhatsApp delivered and read (billed).
    await store.saveMessage(
      message('wa-2', 'whatsapp', 'read', { providerMessageId: 'wamid.2', statusTimes: { sent: 1, delivered: 2, read: 3 } }),
    );
    // SMS refused at send time (never accepted: not sent, not billed).
    await store.saveMessage(message('sms-3', 'sms', 'failed', { statusTimes: { failed: 1 } }));
    const report = await buildReport(
      store,
      [
        state(
          [
            { channelId: 'whatsapp', messageId: 'wa-1' },
            { channelId: 'sms', messageId: 'sms-1' },
          ],
          'exhausted' as never,
        ),
        state([{ channelId: 'whatsapp', messageId: 'wa-2' }], 'succeeded'),
        state([{ channelId: 'sms', messageId: 'sms-3' }], 'exhausted' as never),
      ],
      undefined,
      (channelId) => (channelId === 'whatsapp' ? 'delivered' : 'accepted'),
    );
    expect(report.perChannel.whatsapp).toEqual({
      channelId: 'whatsapp',
      sent: 2,
      delivered: 1,
      read: 1,
      failed: 0,
      spendMinor: 1200,
    });
    expect(report.perChannel.sms).toEqual({ channelId: 'sms', sent: 1, delivered: 0, read: 0, failed: 2, spendMinor: 1200 });
    expect(report.totalSpendMinor).toBe(2400);
    expect(report.reached).toBe(1);
  });
});
