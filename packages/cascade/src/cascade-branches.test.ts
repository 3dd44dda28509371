import { type BranchInput, type Channel, createManualClock, createMemoryStore, createOmnidealer } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { perChannel } from './__fixtures__/content.js';
import { createMockSms, createMockWhatsApp } from './__fixtures__/mock-channels.js';
import { type Cascade, createCascade } from './cascade.js';
import { type CascadePolicy, DAY_MS } from './cascade-policy.js';
import { plan } from './planner.js';
import { quietHoursTimeZone } from './quiet-hours.js';

const start = Date.parse('2027-03-02T07:00:00Z'); // 10:00 in Moscow, a Tuesday
const branches: BranchInput[] = [
  { id: 'north', name: 'Showroom North', timeZone: 'Europe/Moscow', channels: ['wa-north'] },
  { id: 'south', name: 'Service South', timeZone: 'Asia/Vladivostok', channels: ['wa-south'] },
];

const open: Cascade[] = [];
afterEach(() => {
  for (const cascade of open.splice(0)) cascade.close();
});

function setup(policy?: CascadePolicy) {
  const north = createMockWhatsApp('wa-north');
  const south = createMockWhatsApp('wa-south', 1000); // cheaper: without branch scope it would win
  const sms = createMockSms('sms-group');
  const clock = createManualClock(start);
  const hub = createOmnidealer({
    channels: [north, south, sms] as Channel[],
    store: createMemoryStore(),
    clock,
    branches,
  });
  const cascade = createCascade({ hub, clock, ...(policy ? { policy } : {}) });
  open.push(cascade);
  return { hub, clock, cascade, north, south, sms };
}

const northContact = { id: 'c1', phone: '+79161234567', branchId: 'north' };

describe('cascade branch scope', () => {
  it('a contact of branch north never gets the south WhatsApp number, even when it is cheaper or the north one fails', async () => {
    const { cascade, north, south, sms, hub } = setup();
    const planned = await cascade.plan(northContact, perChannel());
    expect(planned.steps.map((step) => step.channelId)).toEqual(['wa-north', 'sms-group']);
    expect(planned.excluded).toEqual([
      { channelId: 'wa-south', reason: 'other_branch', detail: "bound to branch south, the contact's is north" },
    ]);

    await cascade.send(northContact, perChannel());
    expect(north.sent).toHaveLength(1);
    const sent = north.sent[0]!;
    await hub.handleWebhook('wa-north', north.statusWebhook(sent.providerMessageId, 'failed', hub.clock.now()));
    await cascade.drain();
    expect(sms.sent).toHaveLength(1);
    expect(south.sent).toHaveLength(0);
    expect(south.attempts).toHaveLength(0);
  });

  it('takes the home branch from the stored contact, and a contact without one uses every channel', async () => {
    const { cascade, hub } = setup();
    await hub.upsertContact(northContact);
    expect((await cascade.plan({ id: 'c1' }, perChannel())).steps.map((step) => step.channelId)).toEqual([
      'wa-north',
      'sms-group',
    ]);
    const anyone = await cascade.plan({ id: 'c2', phone: '+79161234568' }, perChannel());
    expect(anyone.steps.map((step) => step.channelId)).toEqual(['wa-south', 'wa-north', 'sms-group']);
  });

  it("a send's branchId overrides the contact's, and an unknown one is refused", async () => {
    const { cascade, north, south } = setup();
    const planned = await cascade.plan(northContact, perChannel(), { branchId: 'south' });
    expect(planned.steps.map((step) => step.channelId)).toEqual(['wa-south', 'sms-group']);
    expect(planned.excluded.map((entry) => [entry.channelId, entry.reason])).toEqual([['wa-north', 'other_branch']]);
    const state = await cascade.send(northContact, perChannel(), { branchId: 'south' });
    expect(state.branchId).toBe('south');
    expect(south.sent).toHaveLength(1);
    expect(north.sent).toHaveLength(0);
    await expect(cascade.send(northContact, perChannel(), { branchId: 'west' })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'options.branchId',
    });
  });

  it("keeps the branch of a send's branchId for its later steps", async () => {
    const { cascade, clock, north, south, sms } = setup();
    await cascade.send(northContact, perChannel(), { branchId: 'south' });
    clock.advance(DAY_MS);
    await cascade.runDueSteps();
    expect(sms.sent).toHaveLength(1);
    expect(north.sent).toHaveLength(0);
    expect(south.sent).toHaveLength(1);
  });

  it("branchScope 'group' considers every channel", async () => {
    const { cascade } = setup({ branchScope: 'group' });
    const planned = await cascade.plan(northContact, perChannel());
    expect(planned.steps.map((step) => step.channelId)).toEqual(['wa-south', 'wa-north', 'sms-group']);
    expect(planned.excluded).toEqual([]);
  });
});

describe('quiet hours in the branch zone', () => {
  // 03:00 UTC: 06:00 in Moscow (quiet, the policy's default zone), 13:00 in Vladivostok (the south branch's).
  const at = Date.parse('2027-03-02T03:00:00Z');

  it("uses the contact's home branch zone when the contact has none", async () => {
    const { hub } = setup();
    const channels = [...hub.channels.values()];
    const southContact = { id: 'c1', phone: '+79161234567', branchId: 'south' };
    const southPlan = plan(southContact, perChannel(), { channels, now: at, branches: hub.branches });
    expect(southPlan.steps.map((step) => [step.channelId, step.notBefore])).toEqual([
      ['wa-south', undefined],
      ['sms-group', undefined],
    ]);
    const northPlan = plan(northContact, perChannel(), { channels, now: at, branches: hub.branches });
    expect(northPlan.steps.map((step) => [step.channelId, step.notBefore])).toEqual([
      ['wa-north', Date.parse('2027-03-02T06:00:00Z')],
      ['sms-group', Date.parse('2027-03-02T06:00:00Z')],
    ]);
    // The contact's own zone wins.
    const own = plan({ ...southContact, timeZone: 'Europe/Moscow' }, perChannel(), { channels, now: at, branches: hub.branches });
    expect(own.steps[0]?.notBefore).toBe(Date.parse('2027-03-02T06:00:00Z'));
  });

  it("else the zone of the channel's branch (the group's channels keep the default)", async () => {
    const { hub } = setup();
    const channels = [...hub.channels.values()];
    const nobody = plan({ id: 'c9', phone: '+79161234569' }, perChannel(), { channels, now: at, branches: hub.branches });
    expect(Object.fromEntries(nobody.steps.map((step) => [step.channelId, step.notBefore]))).toEqual({
      'wa-south': undefined,
      'wa-north': Date.parse('2027-03-02T06:00:00Z'),
      'sms-group': Date.parse('2027-03-02T06:00:00Z'),
    });
    expect(quietHoursTimeZone({}, 'wa-south', hub.branches, 'Europe/Moscow')).toBe('Asia/Vladivostok');
    expect(quietHoursTimeZone({}, 'sms-group', hub.branches, 'Europe/Kaliningrad')).toBe('Europe/Kaliningrad');
    expect(quietHoursTimeZone({ branchId: 'north' }, 'wa-south', hub.branches, 'UTC')).toBe('Europe/Moscow');
  });
});
