import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { ValidationError } from '../errors/validation-error.js';
import { createOmnidealer } from '../hub.js';
import type { BranchInput } from '../model/branch.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

const branches: BranchInput[] = [
  {
    id: 'north',
    name: 'Showroom North',
    timeZone: 'Europe/Moscow',
    workingHours: { mon: [{ from: '09:00', to: '20:00' }] },
    channels: ['wa-north', 'sms-north'],
  },
  { id: 'south', name: 'Service South', timeZone: 'Europe/Samara', channels: ['wa-south'] },
];

function setup(branchInput: BranchInput[] = branches) {
  const channels = ['wa-north', 'sms-north', 'wa-south', 'email-group'].map((id) => createTestChannel({ id }));
  const store = createMemoryStore();
  const clock = createManualClock(Date.parse('2027-03-01T09:00:00Z'));
  const hub = createOmnidealer({ channels, store, clock, branches: branchInput });
  return { hub, store, clock, channels };
}

function constructionError(branchInput: unknown): ValidationError {
  try {
    setup(branchInput as BranchInput[]);
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('branches option', () => {
  it('binds channels to branches; an unbound channel belongs to the group', () => {
    const { hub } = setup();
    expect([...hub.branches.keys()]).toEqual(['north', 'south']);
    expect(hub.branches.get('north')).toMatchObject({ name: 'Showroom North', channels: ['wa-north', 'sms-north'] });
    expect(hub.branchOf('wa-south')?.id).toBe('south');
    expect(hub.branchOf('sms-north')?.id).toBe('north');
    expect(hub.branchOf('email-group')).toBeUndefined();
    expect(hub.branchOf('nope')).toBeUndefined();
  });

  it('has no branches by default', () => {
    const hub = createOmnidealer({ channels: [createTestChannel({ id: 'sms' })] });
    expect(hub.branches.size).toBe(0);
    expect(hub.branchOf('sms')).toBeUndefined();
  });

  it('refuses an unknown channel id, a channel in two branches, a duplicate id, a bad zone and from ≥ to', () => {
    expect(constructionError([{ id: 'a', name: 'A', channels: ['wa-west'] }])).toMatchObject({
      field: 'branches.0.channels.0',
      message: expect.stringContaining('unknown channel "wa-west"'),
    });
    expect(
      constructionError([
        { id: 'a', name: 'A', channels: ['wa-north'] },
        { id: 'b', name: 'B', channels: ['sms-north', 'wa-north'] },
      ]),
    ).toMatchObject({ field: 'branches.1.channels.1', message: expect.stringContaining('already bound to branch "a"') });
    expect(
      constructionError([
        { id: 'a', name: 'A' },
        { id: 'a', name: 'A again' },
      ]),
    ).toMatchObject({ field: 'branches.1.id' });
    expect(constructionError([{ id: 'a', name: 'A', timeZone: 'Mars/Olympus' }])).toMatchObject({
      field: 'branches.0.timeZone',
    });
    expect(constructionError([{ id: 'a', name: 'A', workingHours: { mon: [{ from: '18:00', to: '09:00' }] } }])).toMatchObject({
      field: 'branches.0.workingHours.mon.0',
    });
    expect(constructionError([{ id: 'a', name: 'A', workingHours: { mon: [{ from: '09:00', to: '09:00' }] } }])).toMatchObject({
      field: 'branches.0.workingHours.mon.0',
    });
    expect(constructionError([{ id: 'a', name: 'A', workingHours: { mon: [{ from: '9:00', to: '18:00' }] } }])).toMatchObject({
      field: 'branches.0.workingHours.mon.0.from',
    });
    expect(
      constructionError([
        {
          id: 'a',
          name: 'A',
          workingHours: {
            tue: [
              { from: '09:00', to: '13:00' },
              { from: '12:00', to: '18:00' },
            ],
          },
        },
      ]),
    ).toMatchObject({ field: 'branches.0.workingHours.tue' });
    expect(constructionError([{ id: 'a', name: 'A', workingHours: { holidays: ['01.01.2027'] } }])).toMatchObject({
      field: 'branches.0.workingHours.holidays.0',
    });
    expect(constructionError([{ id: 'a', name: 'A', workingHours: { monday: [] } }])).toMatchObject({
      field: 'branches.0.workingHours',
    });
  });

  it('accepts an interval ending at 24:00', () => {
    const { hub } = setup([{ id: 'a', name: 'A', workingHours: { fri: [{ from: '20:00', to: '24:00' }] } }]);
    expect(hub.branches.get('a')?.workingHours?.fri).toEqual([{ from: '20:00', to: '24:00' }]);
  });
});

describe('conversation branch', () => {
  it('is the channel’s branch when a send opens the conversation; none on a group channel', async () => {
    const { hub, store } = setup();
    const north = await hub.send({
      channel: 'wa-north',
      contact: { id: 'c1', phone: '+79161234567' },
      content: { type: 'text', text: 'Hi' },
    });
    const south = await hub.send({ channel: 'wa-south', contact: { id: 'c1' }, content: { type: 'text', text: 'Hi' } });
    const group = await hub.send({
      channel: 'email-group',
      contact: { id: 'c1', email: 'ivan@example.ru' },
      content: { type: 'text', text: 'Hi' },
    });
    expect((await store.getConversation(north.conversationId))?.branchId).toBe('north');
    expect((await store.getConversation(south.conversationId))?.branchId).toBe('south');
    expect((await store.getConversation(group.conversationId))?.branchId).toBeUndefined();
    // One person across the group, a conversation per branch and channel.
    expect(new Set([north.contactId, south.contactId, group.contactId])).toEqual(new Set(['c1']));
    expect(new Set([north.conversationId, south.conversationId, group.conversationId]).size).toBe(3);
  });

  it('is the channel’s branch when an inbound message opens it, and a new customer’s home branch is that branch', async () => {
    const { hub, channels } = setup();
    const opened: Array<string | undefined> = [];
    hub.on('conversation.opened', ({ conversation }) => opened.push(conversation.branchId));
    const south = channels[2]!;
    const response = await hub.handleWebhook('wa-south', south.inboundWebhook('+79161234567', 'Запишите на ТО'));
    expect(response.status).toBe(200);
    const [conversation] = await hub.store.listConversations({ channel: 'wa-south' });
    expect(conversation?.branchId).toBe('south');
    expect(opened).toEqual(['south']);
    expect((await hub.getContact(conversation!.contactId))?.branchId).toBe('south');
  });

  it('keeps the contact’s home branch and refuses an unknown one', async () => {
    const { hub } = setup();
    await hub.upsertContact({ id: 'c1', branchId: 'north' });
    expect((await hub.getContact('c1'))?.branchId).toBe('north');
    await expect(hub.upsertContact({ id: 'c2', branchId: 'west' })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'contact.branchId',
    });
    await expect(
      hub.send({
        channel: 'wa-north',
        contact: { id: 'c3', phone: '+79161234567', branchId: 'west' },
        content: { type: 'text', text: 'Hi' },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await hub.getContact('c3')).toBeUndefined();
  });
});

describe('hub.handOff', () => {
  async function opened() {
    const context = setup();
    const { hub, clock } = context;
    const first = await hub.send({
      channel: 'wa-north',
      contact: { id: 'c1', phone: '+79161234567' },
      content: { type: 'text', text: 'Hi' },
    });
    await hub.assign(first.conversationId, { assignee: 'anna', department: 'sales' });
    clock.advance(60_000);
    return { ...context, message: first, conversationId: first.conversationId };
  }

  it('moves the conversation to another branch, keeping its messages and history, and emits conversation.handed_off', async () => {
    const { hub, store, conversationId, message, clock } = await opened();
    const events: unknown[] = [];
    hub.on('conversation.handed_off', (event) => events.push(event));
    const moved = await hub.handOff(conversationId, { branchId: 'south', operatorId: 'oleg', by: 'anna', note: 'service' });
    expect(moved).toMatchObject({
      id: conversationId,
      channel: 'wa-north',
      branchId: 'south',
      assignee: 'oleg',
      department: 'sales',
      handler: 'operator',
      handOffs: [{ at: clock.now(), from: 'north', to: 'south', operatorId: 'oleg', by: 'anna', note: 'service' }],
    });
    expect(moved.assignments.map((entry) => entry.assignee)).toEqual(['anna', 'oleg']);
    expect(moved.assignments[1]?.note).toBe('handed off to branch south: service');
    expect(await store.getConversation(conversationId)).toEqual(moved);
    expect((await store.listMessages(conversationId)).map((m) => m.id)).toEqual([message.id]);
    expect(events).toEqual([{ conversation: moved, from: 'north', to: 'south', operatorId: 'oleg' }]);
  });

  it('clears the assignee when no operator is named: the chat waits in the new branch’s queue', async () => {
    const { hub, store, channels, conversationId } = await opened();
    const moved = await hub.handOff(conversationId, { branchId: 'south' });
    expect(moved.assignee).toBeUndefined();
    expect(moved.handler).toBe('operator');
    expect(moved.handOffs).toEqual([expect.objectContaining({ from: 'north', to: 'south' })]);
    // The customer's next message on the north number lands in the same conversation, now the south branch's.
    await hub.handleWebhook('wa-north', channels[0]!.inboundWebhook('+79161234567', 'Когда можно приехать?'));
    expect((await store.listConversations({ channel: 'wa-north' })).map((c) => [c.id, c.branchId])).toEqual([
      [conversationId, 'south'],
    ]);
    const back = await hub.handOff(conversationId, { branchId: 'north', operatorId: 'anna' });
    expect(back.handOffs?.map((entry) => `${entry.from}→${entry.to}`)).toEqual(['north→south', 'south→north']);
  });

  it('refuses an unknown branch, the branch it is in and an unknown conversation, changing nothing', async () => {
    const { hub, store, conversationId } = await opened();
    const before = await store.getConversation(conversationId);
    const events: unknown[] = [];
    hub.on('conversation.handed_off', (event) => events.push(event));
    await expect(hub.handOff(conversationId, { branchId: 'west' })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'handOff.branchId',
      message: expect.stringContaining('unknown branch "west"'),
    });
    await expect(hub.handOff(conversationId, { branchId: 'north' })).rejects.toMatchObject({
      field: 'handOff.branchId',
      message: expect.stringContaining('already in branch "north"'),
    });
    await expect(hub.handOff('conv-nope', { branchId: 'south' })).rejects.toMatchObject({ field: 'conversationId' });
    expect(await store.getConversation(conversationId)).toEqual(before);
    expect(events).toEqual([]);
  });

  it('a throwing listener does not undo the hand-off', async () => {
    const { hub, store, conversationId } = await opened();
    hub.on('conversation.handed_off', () => {
      throw new Error('listener bug');
    });
    const moved = await hub.handOff(conversationId, { branchId: 'south' });
    expect((await store.getConversation(conversationId))?.branchId).toBe('south');
    expect(moved.branchId).toBe('south');
  });
});
