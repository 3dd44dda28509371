// The baselines the cascade is measured against (SMS only, a fixed order, the hindsight optimum), computed from the
// same draws with the same billing, and where the cascade's excess over hindsight goes.
import { assumptions, type Month, type Person } from './base-generator.js';

/** One campaign's figures for one scenario. */
export interface Outcome {
  spendMinor: number;
  /** Per contact: what this scenario spent on them (the cascade and hindsight). */
  spendPer?: Float64Array;
  /** Per contact: the extra SMS segments invite links cost (the cascade). */
  invitesExtraPer?: Float64Array;
  reached: number;
  sent: Record<string, number>;
  invites?: number;
  links?: number;
}

/** SMS only: every contact gets the SMS; SMS is billed once accepted. */
export function smsOnly(base: Person[], month: Month): Outcome {
  let spendMinor = 0;
  let reached = 0;
  base.forEach((person, index) => {
    spendMinor += person.smsMinor;
    reached += month.smsDelivered[index] as number;
  });
  return { spendMinor, reached, sent: { sms: base.length } };
}

/** The fixed order people configure by hand: MAX when linked, else WhatsApp, then SMS when WhatsApp is not read in 24 h. */
export function fixedOrder(base: Person[], month: Month, linked: Uint8Array): Outcome {
  let spendMinor = 0;
  let reached = 0;
  const sent: Record<string, number> = { max: 0, whatsapp: 0, sms: 0 };
  base.forEach((person, index) => {
    if (linked[index]) {
      sent.max = (sent.max ?? 0) + 1;
      reached++;
      return;
    }
    if (person.onWhatsApp) {
      sent.whatsapp = (sent.whatsapp ?? 0) + 1;
      if (month.whatsappDelivered[index]) spendMinor += assumptions.whatsappMinor;
      if (month.whatsappRead[index]) {
        reached++;
        return;
      }
    }
    sent.sms = (sent.sms ?? 0) + 1;
    spendMinor += person.smsMinor;
    if (month.smsDelivered[index]) reached++;
  });
  return { spendMinor, reached, sent };
}

/** The cheapest channel whose condition this month's draws meet (e-mail not bounced, MAX linked, WhatsApp read, SMS delivered). */
export function hindsight(base: Person[], month: Month, linked: Uint8Array): Outcome {
  let spendMinor = 0;
  let reached = 0;
  const sent: Record<string, number> = { email: 0, max: 0, whatsapp: 0, sms: 0 };
  const spendPer = new Float64Array(base.length);
  base.forEach((person, index) => {
    let best: [string, number] | undefined;
    const offer = (channel: string, minor: number) => {
      if (!best || minor < best[1]) best = [channel, minor];
    };
    if (person.email && !person.emailBounces) offer('email', 0);
    if (linked[index]) offer('max', 0);
    if (month.whatsappRead[index]) offer('whatsapp', assumptions.whatsappMinor);
    if (month.smsDelivered[index]) offer('sms', person.smsMinor);
    if (!best) return;
    reached++;
    spendMinor += best[1];
    spendPer[index] = best[1];
    sent[best[0]] = (sent[best[0]] ?? 0) + 1;
  });
  return { spendMinor, reached, sent, spendPer };
}

/** Who a contact is, for the breakdown of the cascade's excess over hindsight. */
function groupOf(person: Person, linked: boolean): string {
  if (person.email && !person.emailBounces) return 'e-mail';
  if (linked) return 'MAX linked';
  if (!person.smsLive) return 'dead SMS number';
  const segments = `${person.smsMinor / assumptions.smsSegmentMinor}-segment SMS`;
  return `${segments}, ${person.reader ? 'WhatsApp reader' : person.onWhatsApp ? 'WhatsApp non-reader' : 'no WhatsApp'}`;
}

/**
 * Where the cascade spends more than hindsight, per group of contacts, in ₽ over the given campaigns: what it paid
 * for them minus what hindsight paid, with the part that is invite links' extra SMS segments shown apart.
 */
export function lossBreakdown(
  base: Person[],
  entries: Array<{ cascade: Outcome; best: Outcome; linked: Uint8Array; invitesExtraPer: Float64Array }>,
): Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }> {
  const groups: Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }> = {};
  for (const entry of entries) {
    base.forEach((person, index) => {
      const group = groupOf(person, entry.linked[index] === 1);
      const row = (groups[group] ??= { contacts: 0, excessRub: 0, inviteSegmentsRub: 0 });
      row.contacts++;
      row.excessRub += ((entry.cascade.spendPer?.[index] ?? 0) - (entry.best.spendPer?.[index] ?? 0)) / 100;
      row.inviteSegmentsRub += (entry.invitesExtraPer[index] ?? 0) / 100;
    });
  }
  for (const row of Object.values(groups)) {
    row.contacts = Math.round(row.contacts / Math.max(1, entries.length));
    row.excessRub = Math.round(row.excessRub);
    row.inviteSegmentsRub = Math.round(row.inviteSegmentsRub);
  }
  return groups;
}
