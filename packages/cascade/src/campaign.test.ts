import {
  type Channel,
  type ContactInput,
  contactSchema,
  createManualClock,
  createMemoryStore,
  createOmnidealer,
  type MessageContent,
} from '@omnidealer/core';
import { parseInput } from '@omnidealer/core/provider-utils';
import type { TestChannel } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { longText, perChannel } from './__fixtures__/content.js';
import { createMockChannels } from './__fixtures__/mock-channels.js';
import { createCascade } from './cascade.js';
import type { CampaignProgress } from './cascade-events.js';
import { DAY_MS, HOUR_MS } from './cascade-policy.js';

const consent = { email: 'granted', whatsapp: 'granted', sms: 'granted' } as const;

function setup() {
  const clock = createManualClock(Date.parse('2026-03-02T07:00:00Z'));
  const store = createMemoryStore();
  const mocks = createMockChannels();
  const hub = createOmnidealer({ channels: mocks.all as Channel[], store, clock });
  const cascade = createCascade({ hub, clock });
  const status = async (channel: TestChannel, providerMessageId: string, value: 'delivered' | 'read' | 'failed') => {
    await hub.handleWebhook(channel.id, channel.statusWebhook(providerMessageId, value, clock.now()));
    await cascade.drain();
  };
  return { clock, store, mocks, hub, cascade, status };
}

const contacts: ContactInput[] = [
  { id: 'email', email: 'anna@example.ru', phone: '+79160000001', consent },
  { id: 'reader', phone: '+79160000002', consent },
  { id: 'not-on-wa', phone: '+79160000003', consent },
  { id: 'ignorer', phone: '+79160000004', consent },
  { id: 'no-consent', phone: '+79160000005' },
  { id: 'short', phone: '+79160000006', consent },
];

/** Each contact gets the long text except `short`, whose SMS is one segment. */
const contentFor = (contact: ContactInput) =>
  perChannel(contact.id === 'short' ? 'Иван, скидка 10% на ТО до 31 марта.' : longText);

async function* slowly(list: ContactInput[]) {
  for (const contact of list) yield contact;
}

describe('cascade.campaign', () => {
  it('runs a mailing with progress; the report matches what the channels actually sent', async () => {
    const { clock, mocks, cascade, status } = setup();
    mocks.whatsapp.reject('+79160000003', 'not_on_channel');
    const progress: CampaignProgress[] = [];
    const result = await cascade.campaign({
      mailingId: 'spring-service',
      contacts: slowly(contacts),
      content: contentFor,
      concurrency: 3,
      onProgress: (event) => progress.push(event),
    });
    expect(result).toMatchObject({ processed: 6, started: 5, skipped: 1, errors: 0, cancelled: false });
    expect(progress.map((event) => event.processed)).toEqual([1, 2, 3, 4, 5, 6]);
    // Statuses: e-mail delivered, the reader reads WhatsApp, the ignorer's WhatsApp is only delivered.
    await status(mocks.email, mocks.email.sent[0]!.providerMessageId, 'delivered');
    const waOf = (id: string) => mocks.whatsapp.sent.find((message) => message.contact.id === id)!;
    await status(mocks.whatsapp, waOf('reader').providerMessageId, 'read');
    await status(mocks.whatsapp, waOf('ignorer').providerMessageId, 'delivered');
    for (const message of mocks.sms.sent) await status(mocks.sms, message.providerMessageId, 'delivered');
    const smsBefore = mocks.sms.sent.length;
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    for (const message of mocks.sms.sent.slice(smsBefore)) await status(mocks.sms, message.providerMessageId, 'delivered');

    expect(mocks.email.sent.map((message) => message.contact.id)).toEqual(['email']);
    expect(mocks.whatsapp.sent.map((message) => message.contact.id).sort()).toEqual(['ignorer', 'reader']);
    expect(mocks.sms.sent.map((message) => message.contact.id).sort()).toEqual(['ignorer', 'not-on-wa', 'short']);

    const report = await cascade.report({ campaign: 'spring-service' });
    const priceOf = (channel: TestChannel, sent: { content: MessageContent; contact: ContactInput }[]) =>
      sent.reduce(
        (sum, message) =>
          sum + channel.estimateCost(message.content, parseInput(contactSchema, message.contact, 'c')).money.amountMinor,
        0,
      );
    const spend = {
      email: priceOf(mocks.email, mocks.email.sent),
      whatsapp: priceOf(mocks.whatsapp, mocks.whatsapp.sent),
      sms: priceOf(mocks.sms, mocks.sms.sent),
    };
    expect(spend).toEqual({ email: 0, whatsapp: 2400, sms: 1500 + 1500 + 300 });
    expect(report.perChannel).toEqual({
      email: { channelId: 'email', sent: 1, delivered: 1, read: 0, failed: 0, spendMinor: spend.email },
      whatsapp: {
        channelId: 'whatsapp',
        sent: mocks.whatsapp.sent.length,
        delivered: 2,
        read: 1,
        failed: mocks.whatsapp.attempts.length - mocks.whatsapp.sent.length,
        spendMinor: spend.whatsapp,
      },
      sms: { channelId: 'sms', sent: mocks.sms.sent.length, delivered: 3, read: 0, failed: 0, spendMinor: spend.sms },
    });
    expect(report.totalSpendMinor).toBe(spend.email + spend.whatsapp + spend.sms);
    // SMS-only baseline, exact per contact: five long texts (5 segments) and one short (1 segment); `no-consent` is
    // counted too, since SMS alone would have been sent to the same list.
    const baseline = contacts.reduce((sum, contact) => {
      const parsed = parseInput(contactSchema, contact, 'c');
      const text = (contentFor(contact).sms as { text: string }).text;
      return sum + mocks.sms.estimateCost({ type: 'text', text }, parsed).money.amountMinor;
    }, 0);
    expect(baseline).toBe(5 * 1500 + 300);
    expect(report.smsBaselineMinor).toBe(baseline);
    expect(report.savingsMinor).toBe(baseline - report.totalSpendMinor);
    // Fixed order email → WhatsApp → SMS (the hub order without a preference: avito, email, whatsapp, sms): the first
    // step is e-mail for `email` (0), WhatsApp for the four phone-only contacts (4 × 1200), nothing for `no-consent`.
    expect(report.fixedOrderFirstStepMinor).toBe(0 + 4 * 1200);
    expect(report).toMatchObject({ cascades: 6, reached: 5, notReached: 1, running: 0 });
    expect(report.costPerReachedMinor).toBeCloseTo(report.totalSpendMinor / 5);
  });

  it('never sends the same mailing twice, and caps marketing to one per 30 days across mailings', async () => {
    const { clock, mocks, cascade } = setup();
    const list = contacts.slice(1, 2);
    await cascade.campaign({ mailingId: 'm1', contacts: list, content: perChannel() });
    await cascade.campaign({ mailingId: 'm1', contacts: list, content: perChannel() });
    expect(mocks.whatsapp.sent).toHaveLength(1);
    clock.advance(29 * DAY_MS);
    const capped = await cascade.campaign({ mailingId: 'm2', contacts: list, content: perChannel() });
    expect(capped).toMatchObject({ started: 0, skipped: 1 });
    clock.advance(DAY_MS + HOUR_MS);
    const allowed = await cascade.campaign({ mailingId: 'm3', contacts: list, content: perChannel() });
    expect(allowed).toMatchObject({ started: 1, skipped: 0 });
    expect(mocks.whatsapp.sent).toHaveLength(2);
  });

  it('stops taking contacts when cancelled and enforces a campaign budget', async () => {
    const { mocks, cascade } = setup();
    const controller = new AbortController();
    const many = Array.from({ length: 20 }, (_, index) => ({
      id: `c${index}`,
      phone: `+7916000${String(index).padStart(4, '0')}`,
      consent,
    }));
    const result = await cascade.campaign({
      mailingId: 'big',
      contacts: many,
      content: perChannel(),
      concurrency: 1,
      onProgress: (event) => {
        if (event.processed === 5) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result).toMatchObject({ processed: 5, cancelled: true });
    expect(mocks.whatsapp.sent).toHaveLength(5);

    const budgeted = await cascade.campaign({
      mailingId: 'budgeted',
      contacts: many.map((contact) => ({ ...contact, id: `b-${contact.id}` })),
      content: perChannel(),
      budgetMinor: 3 * 1200,
      concurrency: 1, // the budget is checked before each send: with more at once, sends in flight may all pass
    });
    expect(budgeted).toMatchObject({ processed: 20, started: 3, skipped: 17 });
    expect((await cascade.report({ campaign: 'budgeted' })).totalSpendMinor).toBe(3600);
  });

  it('counts an invalid contact as an error without stopping the campaign', async () => {
    const { cascade } = setup();
    const result = await cascade.campaign({
      mailingId: 'bad',
      contacts: [{ id: 'x', phone: '+7 123' }, contacts[1]!],
      content: perChannel(),
    });
    expect(result).toMatchObject({ processed: 2, started: 1, errors: 1 });
  });
});
