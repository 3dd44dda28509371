import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

const MINUTE = 60_000;
// 2027-03-05 is a Friday; Monday 2027-03-08 is a public holiday in Russia.
const moscow = (local: string) => Date.parse(`${local}+03:00`);
const weekday = [{ from: '09:00', to: '20:00' }];

function setup() {
  const channels = ['wa-north', 'wa-south', 'sms-group'].map((id) => createTestChannel({ id }));
  const clock = createManualClock(moscow('2027-03-05T20:00'));
  const hub = createOmnidealer({
    channels,
    clock,
    store: createMemoryStore(),
    branches: [
      {
        id: 'north',
        name: 'Showroom North',
        timeZone: 'Europe/Moscow',
        workingHours: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, holidays: ['2027-03-08'] },
        channels: ['wa-north'],
      },
      { id: 'south', name: 'Service South', timeZone: 'Europe/Samara', channels: ['wa-south'] },
    ],
  });
  const write = async (channelIndex: number, from: string) => {
    const channel = channels[channelIndex]!;
    await hub.handleWebhook(channel.id, channel.inboundWebhook(from, 'Здравствуйте', { at: clock.now() }));
    const contact = await hub.store.findContactByAddress(from);
    return (await hub.store.findConversation(contact!.id, channel.id))!;
  };
  const reply = (channel: string, contactId: string, sentBy: string) =>
    hub.send({ channel, contact: { id: contactId }, content: { type: 'text', text: 'Добрый день!' }, sentBy });
  return { hub, clock, write, reply };
}

describe('SLA in working time', () => {
  it('counts only the branch’s working time across a weekend and a holiday, in the branch zone', async () => {
    const { hub, clock, write, reply } = setup();
    const conversation = await write(0, '+79161234567'); // Friday 20:00, the branch just closed
    expect(conversation.branchId).toBe('north');
    clock.set(moscow('2027-03-08T12:00')); // the holiday Monday: nothing counts yet
    expect((await hub.slaReport()).waiting).toEqual([
      expect.objectContaining({ conversationId: conversation.id, branchId: 'north', waitingMs: 0, overTarget: false }),
    ]);
    clock.set(moscow('2027-03-09T09:10')); // Tuesday 09:10: ten working minutes
    await reply('wa-north', conversation.contactId, 'anna');
    const report = await hub.slaReport({ targetMs: 15 * MINUTE });
    expect(report.overall).toMatchObject({
      answered: 1,
      answeredLate: 0,
      medianMs: 10 * MINUTE,
      medianFirstResponseMs: 10 * MINUTE,
    });
    expect(report.byResponder.anna).toMatchObject({ answered: 1, medianMs: 10 * MINUTE });
    expect((await hub.store.getConversation(conversation.id))?.firstResponseMs).toBe(10 * MINUTE);
  });

  it('reports per branch and for the group, and filters by branch', async () => {
    const { hub, clock, write, reply } = setup();
    clock.set(moscow('2027-03-09T10:00')); // a working Tuesday
    const north = await write(0, '+79161234567');
    const south = await write(1, '+79161234568');
    const group = await write(2, '+79161234570');
    clock.advance(MINUTE);
    await reply('sms-group', group.contactId, 'bot');
    clock.advance(2 * MINUTE);
    await reply('wa-north', north.contactId, 'anna');
    clock.advance(2 * MINUTE);
    await reply('wa-south', south.contactId, 'oleg');
    const second = await write(1, '+79161234569'); // still waiting in the south
    clock.advance(10 * MINUTE);

    const report = await hub.slaReport({ targetMs: 4 * MINUTE });
    expect(report.overall).toMatchObject({ answered: 3, answeredLate: 1, waitingOverTarget: 1, missed: 2 });
    expect(Object.keys(report.byBranch).sort()).toEqual(['north', 'south']);
    expect(report.byBranch.north).toMatchObject({ answered: 1, medianMs: 3 * MINUTE, missed: 0 });
    expect(report.byBranch.south).toMatchObject({
      answered: 1,
      answeredLate: 1,
      medianMs: 5 * MINUTE,
      waitingOverTarget: 1,
      missed: 2,
    });

    const southOnly = await hub.slaReport({ targetMs: 4 * MINUTE, branchId: 'south' });
    expect(southOnly.overall).toMatchObject({ answered: 1, missed: 2 });
    expect(Object.keys(southOnly.byResponder).sort()).toEqual(['bot', 'oleg']); // the new chat waits for the bot
    expect(southOnly.byBranch).toEqual({ south: southOnly.overall });
    expect(southOnly.waiting.map((entry) => entry.conversationId)).toEqual([second.id]);

    // A hand-off moves the chat, and its next reply counts for the branch it is in then.
    await hub.handOff(second.id, { branchId: 'north', operatorId: 'anna' });
    await reply('wa-south', second.contactId, 'anna');
    expect((await hub.slaReport({ branchId: 'north' })).overall.answered).toBe(2);
    await expect(hub.slaReport({ branchId: 'west' })).rejects.toMatchObject({ name: 'ValidationError', field: 'branchId' });
  });
});
