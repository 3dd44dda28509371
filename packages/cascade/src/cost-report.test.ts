import { type Channel, createManualClock, createMemoryStore, createOmnidealer } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { perChannel } from './__fixtures__/content.js';
import { createMockChannels, createMockSms } from './__fixtures__/mock-channels.js';
import { createCascade } from './cascade.js';
import { costReport, costReportToCsv } from './cost-report.js';

const start = Date.parse('2026-03-02T07:00:00Z');

describe('costReport: every hub send in a date range, per channel, campaign and kind', () => {
  it('counts cascade and plain sends, bills WhatsApp only once delivered, leaves out other dates, exports CSV and JSON', async () => {
    const clock = createManualClock(start);
    const mocks = createMockChannels();
    const whatsapp = { ...mocks.whatsapp, capabilities: { ...mocks.whatsapp.capabilities, billedOn: 'delivered' as const } };
    const hub = createOmnidealer({
      channels: [mocks.email, whatsapp, mocks.sms] as Channel[],
      store: createMemoryStore(),
      clock,
    });
    const cascade = createCascade({ hub, clock, policy: { quietHours: false } });
    // A cascade of the March campaign: WhatsApp (never delivered), then SMS after 24 h.
    const consent = { whatsapp: 'granted', sms: 'granted' } as const;
    await cascade.send({ id: 'c1', phone: '+79161111111', consent }, perChannel(), { campaign: 'march', kind: 'marketing' });
    clock.advance(86_400_000);
    await cascade.runDueSteps();
    // A plain service SMS outside any campaign, delivered.
    const service = await hub.send({
      channel: 'sms',
      contact: { id: 'c2', phone: '+79162222222' },
      content: { type: 'text', text: 'Ваш автомобиль готов' },
      kind: 'service',
    });
    await hub.handleWebhook('sms', mocks.sms.statusWebhook(service.providerMessageId as string, 'delivered', clock.now()));
    // April: outside the range.
    clock.set(Date.parse('2026-04-02T07:00:00Z'));
    await hub.send({ channel: 'sms', contact: { id: 'c2' }, content: { type: 'text', text: 'Апрель' }, kind: 'service' });

    const report = await costReport(hub, { from: Date.parse('2026-03-01T00:00:00Z'), to: Date.parse('2026-04-01T00:00:00Z') });
    expect(report.rows).toEqual([
      {
        channel: 'sms',
        campaign: '',
        kind: 'service',
        messages: 1,
        sent: 1,
        delivered: 1,
        read: 0,
        failed: 0,
        spendMinor: 300,
        currency: 'RUB',
      },
      {
        channel: 'sms',
        campaign: 'march',
        kind: 'marketing',
        messages: 1,
        sent: 1,
        delivered: 0,
        read: 0,
        failed: 0,
        spendMinor: 1500,
        currency: 'RUB',
      },
      {
        channel: 'whatsapp',
        campaign: 'march',
        kind: 'marketing',
        messages: 1,
        sent: 1,
        delivered: 0,
        read: 0,
        failed: 0,
        spendMinor: 0,
        currency: 'RUB',
      },
    ]);
    expect(report.totalSpendMinor).toBe(1800);
    // A hub without branches: one row, the group's.
    expect(report.byBranch).toEqual([
      { branch: '', messages: 3, sent: 3, delivered: 1, read: 0, failed: 0, spendMinor: 1800, currency: 'RUB' },
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(costReportToCsv(report)).toBe(
      'from,to,channel,campaign,kind,messages,sent,delivered,read,failed,spendMinor,currency\r\n' +
        '2026-03-01T00:00:00.000Z,2026-04-01T00:00:00.000Z,sms,,service,1,1,1,0,0,300,RUB\r\n' +
        '2026-03-01T00:00:00.000Z,2026-04-01T00:00:00.000Z,sms,march,marketing,1,1,0,0,0,1500,RUB\r\n' +
        '2026-03-01T00:00:00.000Z,2026-04-01T00:00:00.000Z,whatsapp,march,marketing,1,1,0,0,0,0,RUB\r\n',
    );
    cascade.close();
  });

  it('quotes CSV fields with commas or quotes and defuses spreadsheet formulas', () => {
    const csv = costReportToCsv({
      from: undefined,
      to: undefined,
      totalSpendMinor: 0,
      currency: 'RUB',
      rows: [
        {
          channel: 'sms',
          campaign: 'Весна, "ТО"',
          kind: '=HYPERLINK("x")',
          messages: 0,
          sent: 0,
          delivered: 0,
          read: 0,
          failed: 0,
          spendMinor: 0,
          currency: 'RUB',
        },
      ],
    });
    expect(csv.split('\r\n')[1]).toBe(',,sms,"Весна, ""ТО""","\'=HYPERLINK(""x"")",0,0,0,0,0,0,RUB');
  });

  it('breaks spend down per branch: by the conversation’s branch (after a hand-off too), else the channel’s', async () => {
    const clock = createManualClock(start);
    const north = createMockSms('sms-north', 300);
    const south = createMockSms('sms-south', 200);
    const group = createMockSms('sms-group', 100);
    const hub = createOmnidealer({
      channels: [north, south, group] as Channel[],
      store: createMemoryStore(),
      clock,
      branches: [
        { id: 'north', name: 'North', channels: ['sms-north'] },
        { id: 'south', name: 'South', channels: ['sms-south'] },
      ],
    });
    const text = { type: 'text', text: 'Ваш автомобиль готов' } as const;
    await hub.send({ channel: 'sms-north', contact: { id: 'c1', phone: '+79161111111' }, content: text });
    await hub.send({ channel: 'sms-north', contact: { id: 'c1' }, content: text });
    await hub.send({ channel: 'sms-south', contact: { id: 'c2', phone: '+79162222222' }, content: text });
    await hub.send({ channel: 'sms-group', contact: { id: 'c3', phone: '+79163333333' }, content: text });
    // c2's conversation on the north number moves to the south branch: its spend is the south's.
    const moved = await hub.send({ channel: 'sms-north', contact: { id: 'c2' }, content: text });
    await hub.handOff(moved.conversationId, { branchId: 'south' });

    const report = await costReport(hub);
    expect(report.byBranch.map(({ branch, messages, spendMinor }) => ({ branch, messages, spendMinor }))).toEqual([
      { branch: '', messages: 1, spendMinor: 100 },
      { branch: 'north', messages: 2, spendMinor: 600 },
      { branch: 'south', messages: 2, spendMinor: 500 },
    ]);
    expect(report.totalSpendMinor).toBe(1200);
    expect(report.byBranch.reduce((sum, row) => sum + row.spendMinor, 0)).toBe(report.totalSpendMinor);
    // Without `branchOf` (an older caller's partial hub), messages fall back to their conversation's branch only.
    const partial = await costReport({ store: hub.store, channels: hub.channels });
    expect(partial.byBranch.map((row) => row.branch)).toEqual(['', 'north', 'south']);
  });
});
