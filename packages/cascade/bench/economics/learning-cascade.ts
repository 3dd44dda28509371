// The learning cascade run for real over 12 monthly campaigns on one store, with the simulated hub.
import type { Contact, Omnidealer } from '@omnidealer/core';
import type { TestChannel } from '@omnidealer/core/test';
import type { CascadePolicy } from '../../src/cascade-policy.js';
import { assumptions, DAY_MS, type Month, type Person } from './base-generator.js';
import type { Outcome } from './baselines.js';
import { createChannels, DEEP_LINK_BASE } from './channels.js';
import { type Modules, modules } from './modules.js';
import { createSimulatedHub } from './simulated-hub.js';

/** The policy of the learning cascade in the benchmark (what a dealer would set). */
export const benchPolicy: CascadePolicy = {
  preference: ['email', 'max', 'whatsapp', 'sms'],
  acquisition: { channel: 'max', prefix: 'Мы в MAX: ' },
};

const contactOf = (person: Person, linked: boolean): Contact =>
  linked ? { ...person.contact, identities: { maxChatIds: [`max-${person.contact.id}`] } } : person.contact;

/**
 * The cascade over 12 monthly campaigns on one store: what it learns from one campaign it uses in the next. Statuses
 * come from the month's draws; reach is counted from the same draws (a WhatsApp message must be read).
 */
export async function runCascade(
  base: Person[],
  months: Month[],
  links: Uint8Array,
  policy: CascadePolicy,
  onCampaign?: (campaign: number, cascade: ReturnType<Modules['createCascade']>) => Promise<void>,
): Promise<{ outcomes: Outcome[]; linksPerCampaign: Uint8Array[] }> {
  const clock = modules.createManualClock(Date.parse('2026-03-02T07:00:00Z')); // Monday 10:00 in Moscow
  const channels = createChannels();
  const store = modules.createMemoryStore();
  const hub = createSimulatedHub(channels.all, store, clock);
  const cascade = modules.createCascade({
    hub: hub as unknown as Omnidealer,
    clock,
    channels: ['email', 'max', 'whatsapp', 'sms'],
    policy,
  });
  const indexOf = new Map(base.map((person, index) => [person.contact.id, index]));
  for (const person of base) {
    if (!person.onWhatsApp) channels.whatsapp.reject(person.contact.phone as string, 'not_on_channel');
    if (person.emailBounces) channels.email.reject(person.contact.email as string, 'bounced');
  }
  const linked = Uint8Array.from(links);
  const outcomes: Outcome[] = [];
  const linksPerCampaign: Uint8Array[] = [];
  const tested: TestChannel[] = [channels.email, channels.max, channels.whatsapp as TestChannel, channels.sms];
  for (let campaign = 0; campaign < months.length; campaign++) {
    const month = months[campaign] as Month;
    const start = Date.parse('2026-03-02T07:00:00Z') + campaign * 30 * DAY_MS;
    clock.set(start);
    linksPerCampaign.push(Uint8Array.from(linked));
    const from = new Map(tested.map((channel) => [channel, channel.sent.length]));
    const seen = new Map(from);
    const statusesOf = (channel: TestChannel, index: number): Array<'delivered' | 'read' | 'failed'> => {
      if (channel === channels.email) return ['delivered'];
      if (channel === channels.max) return [];
      if (channel.id === 'whatsapp')
        return month.whatsappRead[index] ? ['delivered', 'read'] : month.whatsappDelivered[index] ? ['delivered'] : [];
      return month.smsDelivered[index] ? ['delivered'] : ['failed'];
    };
    const deliverStatuses = async () => {
      let posted = true;
      while (posted) {
        posted = false;
        for (const channel of tested) {
          const fresh = channel.sent.slice(seen.get(channel) ?? 0);
          seen.set(channel, channel.sent.length);
          for (const message of fresh) {
            for (const status of statusesOf(channel, indexOf.get(message.contact.id) as number)) {
              await hub.applyStatus(channel.id, message.providerMessageId, status);
              posted = true;
            }
          }
        }
        await cascade.drain();
      }
    };
    const mailingId = `month-${campaign + 1}`;
    await cascade.campaign({
      mailingId,
      contacts: base.map((person, index) => contactOf(person, linked[index] === 1)),
      content: (contact) => (base[indexOf.get(contact.id) as number] as Person).content,
      concurrency: 64,
    });
    await deliverStatuses();
    for (let day = 0; day < 4; day++) {
      clock.advance(DAY_MS);
      await cascade.runDueSteps();
      await deliverStatuses();
    }
    const report = await cascade.report({ campaign: mailingId });
    // Reached: some message met its channel's condition according to the month's draws.
    const reached = new Uint8Array(base.length);
    const spendPer = new Float64Array(base.length);
    const invitesExtraPer = new Float64Array(base.length);
    const sent: Record<string, number> = {};
    let invites = 0;
    let links = 0;
    for (const channel of tested) {
      const messages = channel.sent.slice(from.get(channel) ?? 0);
      sent[channel.id] = messages.length;
      for (const message of messages) {
        const index = indexOf.get(message.contact.id) as number;
        const ok =
          channel.id === 'email' || channel.id === 'max'
            ? true
            : channel.id === 'whatsapp'
              ? month.whatsappRead[index] === 1
              : month.smsDelivered[index] === 1;
        if (ok) reached[index] = 1;
        const text = message.content.type === 'text' ? message.content.text : '';
        if (channel.id === 'sms') {
          const billed = modules.countSegments(text).segments * assumptions.smsSegmentMinor;
          spendPer[index] = (spendPer[index] as number) + billed;
          invitesExtraPer[index] = (invitesExtraPer[index] as number) + billed - (base[index] as Person).smsMinor;
        } else if (channel.id === 'whatsapp' && month.whatsappDelivered[index])
          spendPer[index] = (spendPer[index] as number) + assumptions.whatsappMinor;
        if (channel.id === 'sms' && text.includes(DEEP_LINK_BASE)) {
          invites++;
          if (month.smsDelivered[index] && !linked[index] && month.inviteTaken[index]) {
            linked[index] = 1;
            links++;
          }
        }
      }
    }
    for (let index = 0; index < base.length; index++) if (month.selfLink[index]) linked[index] = 1;
    outcomes.push({
      spendMinor: report.totalSpendMinor,
      spendPer,
      invitesExtraPer,
      reached: reached.reduce((sum, value) => sum + value, 0),
      sent,
      invites,
      links,
    });
    await onCampaign?.(campaign, cascade);
  }
  cascade.close();
  return { outcomes, linksPerCampaign };
}
