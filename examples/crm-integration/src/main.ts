/**
 * One command, no accounts, no internet:
 *   npx tsx --conditions=omnidealer-source examples/crm-integration/src/main.ts
 */
import { runBookingReminders } from './booking-reminders.js';

const result = await runBookingReminders({
  // Scripted so the run shows every path; without these, the sandbox's seeded model decides.
  whatsappOutcomes: { '+79161110001': 'read', '+79161110002': 'not_on_whatsapp', '+79161110003': 'delivered' },
  log: (line) => console.log(line),
});

console.log('\nCRM table after the run:');
console.table(
  [...result.crm.values()].map((row) => ({
    crmId: row.crmId,
    name: row.fullName,
    reminder: row.reminderStatus,
    channels: [...new Set(row.timeline.flatMap((entry) => (entry.channel ? [entry.channel] : [])))].join(' → ') || '—',
  })),
);
console.log(`sandbox received ${result.whatsapp.length} WhatsApp and ${result.sms.length} SMS`);
