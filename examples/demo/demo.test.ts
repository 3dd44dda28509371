import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countSegments } from '@omnidealer/channel-sms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRealEnv, parseDemoOptions } from './src/demo-options.js';
import { formatRub } from './src/demo-summary.js';
import { type DemoResult, DemoUsageError, runDemo } from './src/run-demo.js';
import { springSaleSms } from './src/spring-sale.js';

const priceWhatsAppMinor = 1100;
const priceSmsSegmentMinor = 250;
let outDir: string;
let result: DemoResult;

const digits = (phone: string | undefined) => (phone ?? '').replace(/\D/g, '');

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'omnidealer-demo-test-'));
  result = await runDemo({
    contacts: 200,
    seed: 7,
    priceWhatsAppMinor,
    priceSmsSegmentMinor,
    outDir,
    real: false,
    waitSeconds: 0,
    whatsAppFallback: 'not_read',
  });
}, 180_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('pnpm demo (sandbox, 200 contacts, seed 7)', () => {
  const row = (channel: string) => {
    const found = result.summary.channels.find((candidate) => candidate.channel === channel);
    if (!found) throw new Error(`no ${channel} row`);
    return found;
  };

  it('finishes every cascade and reports each channel', () => {
    expect(result.summary.contacts).toBe(200);
    expect(result.summary.running).toBe(0);
    expect(result.summary.channels.map((figures) => figures.channel)).toEqual(['email', 'max', 'whatsapp', 'sms']);
  });

  it('counts as sent exactly what each sandbox provider received', () => {
    const sandbox = result.sandbox;
    if (!sandbox) throw new Error('no sandbox capture');
    const templates = sandbox.whatsapp.filter((message) => message.type === 'template');
    expect(row('whatsapp').sent).toBe(templates.length);
    expect(row('whatsapp').sent).toBe(sandbox.stats.whatsapp.accepted - 1); // + the bot's booking reply
    expect(row('sms').sent).toBe(sandbox.sms.length);
    expect(row('sms').sent).toBe(sandbox.stats.smsRu.accepted);
    expect(row('email').sent).toBe(sandbox.mailTo.length);
    expect(row('email').failed).toBe(sandbox.stats.smtp.bounced);
    expect(row('email').sent).toBeGreaterThan(0);
    // MAX: free, to the contacts linked to the bot; the sandbox accepted exactly those, with the test-drive button.
    expect(row('max').sent).toBe(sandbox.stats.max.accepted);
    expect(row('max').sent).toBeGreaterThan(20);
    expect(row('max').spendMinor).toBe(0);
    expect(row('max').reached).toBe(row('max').sent - row('max').failed);
    // Spend: WhatsApp bills delivered marketing templates, SMS.ru every accepted segment.
    expect(row('whatsapp').spendMinor).toBe(sandbox.stats.whatsapp.billable.marketing * priceWhatsAppMinor);
    expect(row('sms').spendMinor).toBe(sandbox.stats.smsRu.spendMinor);
    expect(row('whatsapp').delivered).toBe(
      templates.filter((message) => message.plannedOutcome === 'read' || message.plannedOutcome === 'delivered').length,
    );
    expect(row('sms').delivered).toBe(sandbox.stats.smsRu.delivered);
  });

  it('never messages a contact twice on the same channel', () => {
    const sandbox = result.sandbox;
    if (!sandbox) throw new Error('no sandbox capture');
    const templateRecipients = sandbox.whatsapp.filter((message) => message.type === 'template').map((message) => message.to);
    expect(new Set(templateRecipients).size).toBe(templateRecipients.length);
    const smsRecipients = sandbox.sms.map((message) => message.to);
    expect(new Set(smsRecipients).size).toBe(smsRecipients.length);
    expect(new Set(sandbox.mailTo).size).toBe(sandbox.mailTo.length);
    for (const channel of ['email', 'whatsapp', 'sms']) {
      const recipients = result.summary.recipients[channel] ?? [];
      expect(new Set(recipients).size).toBe(recipients.length);
    }
  });

  it('sends SMS only to contacts whose WhatsApp failed or went unread (or who opted out of WhatsApp)', () => {
    const sandbox = result.sandbox;
    if (!sandbox) throw new Error('no sandbox capture');
    const byDigits = new Map(result.contacts.map((contact) => [digits(contact.phone), contact]));
    const whatsAppByTo = new Map(
      sandbox.whatsapp.filter((message) => message.type === 'template').map((message) => [message.to, message]),
    );
    expect(sandbox.sms.length).toBeGreaterThan(10);
    for (const sms of sandbox.sms) {
      const whatsapp = whatsAppByTo.get(sms.to);
      if (whatsapp) expect(whatsapp.plannedOutcome).not.toBe('read');
      else expect(byDigits.get(sms.to)?.consent?.whatsapp).toBe('opted_out');
    }
    // And the other way round: every unread or failed WhatsApp template was followed by an SMS (unless SMS was refused).
    const smsTo = new Set(sandbox.sms.map((message) => message.to));
    for (const [to, whatsapp] of whatsAppByTo) {
      if (whatsapp.plannedOutcome === 'read') continue;
      if (byDigits.get(to)?.consent?.sms === 'opted_out') continue;
      expect(smsTo.has(to)).toBe(true);
    }
  });

  it('computes savings as the SMS-only cost (exact segments) minus the actual spend', () => {
    const smsOnly = result.contacts.reduce(
      (sum, contact) => sum + countSegments(springSaleSms(contact)).segments * priceSmsSegmentMinor,
      0,
    );
    const spend = result.summary.channels.reduce((sum, figures) => sum + figures.spendMinor, 0);
    expect(result.summary.smsOnlyMinor).toBe(smsOnly);
    expect(result.summary.totalSpendMinor).toBe(spend);
    expect(result.summary.savingsMinor).toBe(smsOnly - spend);
    expect(result.table).toContain(formatRub(result.summary.savingsMinor));
  });

  it('mails the same base a month later, cheaper per reached customer for what the first mailing taught', () => {
    const learning = result.learning;
    const followUp = result.followUp;
    if (!learning || !followUp) throw new Error('no second mailing');
    expect(followUp.contacts).toBe(200);
    expect(followUp.running).toBe(0);
    expect(learning.firstPerReachedMinor).toBeGreaterThan(0);
    expect(learning.secondPerReachedMinor).toBeGreaterThan(0);
    expect(learning.secondPerReachedMinor).toBeLessThan(learning.firstPerReachedMinor);
    expect(learning.savingPercent).toBeCloseTo((1 - learning.secondPerReachedMinor / learning.firstPerReachedMinor) * 100, 6);
    // Customers the first mailing's invite links brought to MAX get the second one there, for free.
    expect(learning.acquisition.invites).toBeGreaterThan(0);
    expect(learning.acquisition.links).toBeGreaterThan(0);
    const max = (summary: typeof followUp) => summary.channels.find((figures) => figures.channel === 'max')?.sent ?? 0;
    expect(max(followUp)).toBe(max(result.summary) + learning.acquisition.links);
  });

  it('runs the inbound dialogs and reports the response-time SLA', () => {
    expect(result.dialogs.join('\n')).toMatch(/Avito buyer asks about «.+»/);
    expect(result.dialogs.join('\n')).toContain('Bot books the visit');
    expect(result.dialogs.join('\n')).toContain('chat queued for sales (handler operator)');
    expect(result.sla.byResponder.anna?.answeredLate).toBe(1);
    expect(result.sla.byResponder.bot?.answered).toBe(1);
    expect(result.sla.waiting.some((entry) => entry.responder === 'unassigned' && entry.overTarget)).toBe(true);
  });

  it('writes an HTML report with the per-channel figures and an inline SVG chart', async () => {
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    expect(result.reportPath).toBe(join(outDir, 'index.html'));
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    for (const figures of result.summary.channels) {
      const rowHtml = html.match(new RegExp(`<tr><th>${figures.channel}</th>(.*?)</tr>`))?.[1] ?? '';
      expect(rowHtml).toContain(`<td>${figures.sent}</td>`);
      expect(rowHtml).toContain(`<td>${figures.failed}</td>`);
      expect(rowHtml).toContain(formatRub(figures.spendMinor));
    }
    expect(html).toContain(`<b id="savings">${formatRub(result.summary.savingsMinor)}</b>`);
  });
});

describe('determinism', () => {
  it('gives the same summary for the same seed', async () => {
    const run = () =>
      runDemo({
        contacts: 40,
        seed: 3,
        priceWhatsAppMinor: 1200,
        priceSmsSegmentMinor: 300,
        outDir,
        real: false,
        waitSeconds: 0,
        whatsAppFallback: 'not_delivered',
      });
    const first = await run();
    const second = await run();
    expect(second.table).toBe(first.table);
    expect(second.dialogs).toEqual(first.dialogs);
    // not_delivered: a delivered (even unread) template is never followed by an SMS.
    const delivered = new Set(
      (first.sandbox?.whatsapp ?? [])
        .filter((message) => message.plannedOutcome === 'read' || message.plannedOutcome === 'delivered')
        .map((message) => message.to),
    );
    expect(delivered.size).toBeGreaterThan(0);
    for (const sms of first.sandbox?.sms ?? []) expect(delivered.has(sms.to)).toBe(false);
  }, 180_000);
});

describe('command line', () => {
  it('parses flags, prices in roubles, and --help', () => {
    expect(parseDemoOptions(['--help'], 'out')).toBe('help');
    const options = parseDemoOptions(
      ['--contacts', '50', '--seed', '9', '--price-whatsapp', '9.5', '--price-sms-segment', '2,8'],
      'out',
    );
    expect(options).toMatchObject({
      contacts: 50,
      seed: 9,
      priceWhatsAppMinor: 950,
      priceSmsSegmentMinor: 280,
      outDir: 'out',
      whatsAppFallback: 'not_delivered',
    });
    expect(parseDemoOptions(['--whatsapp-fallback', 'not_read'], 'out')).toMatchObject({ whatsAppFallback: 'not_read' });
    expect(() => parseDemoOptions(['--whatsapp-fallback', 'never'], 'out')).toThrow('--whatsapp-fallback');
    expect(() => parseDemoOptions(['--contacts', 'many'], 'out')).toThrow('--contacts');
    expect(() => parseDemoOptions(['--bogus'], 'out')).toThrow();
  });

  it('refuses --real without credentials, naming the missing variables', async () => {
    expect(missingRealEnv({ WHATSAPP_ACCESS_TOKEN: 'x' })).toContain('WHATSAPP_PHONE_NUMBER_ID');
    const options = parseDemoOptions(['--real'], 'out');
    if (options === 'help') throw new Error('unexpected');
    await expect(runDemo(options, { env: {} })).rejects.toThrow(DemoUsageError);
    await expect(runDemo(options, { env: {} })).rejects.toThrow(/WHATSAPP_ACCESS_TOKEN.*SMSRU_API_ID/s);
  });
});
