import { HOUR_MS } from '@omnidealer/cascade';
import { describe, expect, it } from 'vitest';
import { reminderSmsText, runBookingReminders } from './booking-reminders.js';
import type { CrmContact } from './crm-table.js';

const startMs = Date.parse('2026-03-02T07:00:00Z');
const events = (row: CrmContact | undefined) =>
  row?.timeline.map((entry) => `${entry.event}${entry.channel ? `:${entry.channel}` : ''}`);
const firstAt = (row: CrmContact | undefined, event: string, channel: string) =>
  row?.timeline.find((entry) => entry.event === event && entry.channel === channel)?.at;

describe('crm-integration: booking reminders on the sandbox', () => {
  it('writes each contact’s timeline back to the CRM and sends exactly the expected messages', async () => {
    const { crm, whatsapp, sms } = await runBookingReminders({
      startMs,
      whatsappOutcomes: { '+79161110001': 'read', '+79161110002': 'not_on_whatsapp', '+79161110003': 'delivered' },
      smsOutcomes: { '+79161110002': 'delivered', '+79161110003': 'delivered' },
    });
    const read = crm.get('crm-1001');
    const notOnWhatsApp = crm.get('crm-1002');
    const unread = crm.get('crm-1003');
    const optedOut = crm.get('crm-1004');

    // Read the WhatsApp reminder: no SMS at all.
    expect(events(read)).toEqual([
      'reminder.sent:whatsapp',
      'reminder.delivered:whatsapp',
      'reminder.read:whatsapp',
      'reminder.reached:whatsapp',
    ]);
    expect(read?.reminderStatus).toBe('reached');

    // Not on WhatsApp: the 131026 failure falls back to SMS at once (well before the 3 h deadline).
    expect(events(notOnWhatsApp)).toEqual([
      'reminder.sent:whatsapp',
      'reminder.failed:whatsapp',
      'reminder.fallback:whatsapp',
      'reminder.sent:sms',
      'reminder.delivered:sms',
      'reminder.reached:sms',
    ]);
    expect(notOnWhatsApp?.timeline[1]?.detail).toBe('unreachable_recipient');
    expect(notOnWhatsApp?.timeline[2]?.detail).toBe('unreachable → sms');
    expect(firstAt(notOnWhatsApp, 'reminder.sent', 'sms')).toBeLessThan(startMs + HOUR_MS);

    // Delivered but never read: the SMS goes out exactly at the 3 h deadline.
    expect(events(unread)).toEqual([
      'reminder.sent:whatsapp',
      'reminder.delivered:whatsapp',
      'reminder.fallback:whatsapp',
      'reminder.sent:sms',
      'reminder.delivered:sms',
      'reminder.reached:sms',
    ]);
    expect(unread?.timeline[2]?.detail).toBe('not_read → sms');
    expect(firstAt(unread, 'reminder.sent', 'sms')).toBe(startMs + 3 * HOUR_MS);

    // The CRM's do-not-contact flag became `opted_out` consent: nothing is sent.
    expect(events(optedOut)).toEqual(['reminder.unreached']);
    expect(optedOut?.reminderStatus).toBe('unreached');

    // What the providers received: three templates, two SMS, nothing for the opted-out client.
    expect(whatsapp.map((message) => [message.to, message.template])).toEqual([
      ['79161110001', 'booking_reminder'],
      ['79161110002', 'booking_reminder'],
      ['79161110003', 'booking_reminder'],
    ]);
    expect(whatsapp[0]?.request).toMatchObject({
      template: {
        name: 'booking_reminder',
        language: { code: 'ru' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Иван' },
              { type: 'text', text: '3 марта в 11:00' },
            ],
          },
        ],
      },
    });
    const smsText = (crmId: string) => reminderSmsText(crm.get(crmId) as CrmContact);
    expect(sms.map((message) => [message.to, message.text])).toEqual([
      ['79161110002', smsText('crm-1002')],
      ['79161110003', smsText('crm-1003')],
    ]);
    expect(smsText('crm-1003')).toBe('Олег, напоминаем о визите в «Автосалон Север» 3 марта в 15:00. Перенести: +74951204567');
  });
});
