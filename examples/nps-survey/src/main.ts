/**
 * One command, no accounts, no internet:
 *   pnpm --filter @omnidealer/example-nps-survey start
 */
import { runScenario } from './scenario.js';

const started = performance.now();
const { report, customers } = await runScenario((line) => console.log(line));
const names = new Map(customers.map((customer) => [customer.contact.id, customer.contact.name]));
const label = (channelId: string | undefined) => (channelId === 'max' ? 'MAX' : channelId === 'sms' ? 'SMS' : '—');

console.log(
  `\nNPS ${report.nps ?? '—'}: ${report.answered} of ${report.asked} answered — ${report.promoters} promoters, ` +
    `${report.passives} passives, ${report.detractors} detractors; ${report.fellBack} moved from MAX to SMS after 24 h`,
);
console.table(
  Object.fromEntries(
    Object.entries(report.byChannel).map(([channelId, line]) => [
      label(channelId),
      { asked: line.asked, answered: line.answered, NPS: line.nps ?? '—' },
    ]),
  ),
);
console.table(
  report.rows.map((row) => ({
    customer: names.get(row.contactId),
    visit: row.visitId,
    asked: row.askedOn.map(label).join(' → '),
    score: row.score ?? '—',
    answered: row.score === undefined ? '—' : `${label(row.answeredOn)} (${row.via})`,
  })),
);
console.log(`(two simulated days in ${Math.round(performance.now() - started)} ms)`);
