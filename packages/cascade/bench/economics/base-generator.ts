// The seeded synthetic dealer base: the generator's assumptions, the people it draws from them, and each month's luck.
import type { Contact, ContactInput, MessageContentInput } from '@omnidealer/core';
import type { NormalizedContent } from '../../src/cascade-content.js';
import { modules } from './modules.js';

/** A day in milliseconds: the campaigns are 30 days apart. */
export const DAY_MS = 86_400_000;

/**
 * The generator's assumptions, fixed before the reach model was tuned (see bench/README.md): who has which channel and
 * how each person behaves, the same every month; per-message luck is drawn per month.
 */
export const assumptions = {
  /** Share of contacts with an e-mail address. */
  emailShare: 0.1,
  /** Share of those e-mails that bounce (every time: a dead mailbox). */
  emailBounce: 0.1,
  /** Share of phone numbers that are dead for SMS (every SMS fails). */
  smsDead: 0.02,
  /** Chance a live number's SMS is delivered, per message. */
  smsDelivered: 0.99,
  /** Share of phones on WhatsApp. */
  onWhatsApp: 0.85,
  /** Chance a WhatsApp template is delivered (phone online within the day), per message. */
  whatsappDelivered: 0.97,
  /** Share of WhatsApp users who read the dealer's messages; the rest never read messenger mailings. */
  whatsappReaders: 0.7,
  /** Chance a reader reads a delivered message within 24 h. */
  readerReads: 0.9,
  /** Chance a non-reader reads one. */
  nonReaderReads: 0.03,
  /** Share of contacts with MAX installed (who would link to the dealer's bot if invited). */
  maxUsers: 0.55,
  /** Share of the base linked to the dealer's MAX bot before the first campaign (wrote to it earlier). */
  maxLinkedAtStart: 0.03,
  /** Chance an unlinked MAX user links on their own in a month (a QR code in the showroom). */
  maxSelfLinkPerMonth: 0.01,
  /** Chance an unlinked MAX user links after an invite link in a delivered SMS. */
  maxInviteTaken: 0.08,
  /** Prices in kopecks: SMS per segment (billed once accepted), WhatsApp marketing template (billed once delivered). */
  smsSegmentMinor: 300,
  whatsappMinor: 1200,
} as const;

/** One contact of the base and how they behave, the same every month. */
export interface Person {
  contact: Contact;
  content: NormalizedContent;
  email: boolean;
  emailBounces: boolean;
  smsLive: boolean;
  onWhatsApp: boolean;
  reader: boolean;
  maxUser: boolean;
  smsMinor: number;
}

/** One month's luck per person: the same for every scenario. */
export interface Month {
  whatsappDelivered: Uint8Array;
  whatsappRead: Uint8Array;
  smsDelivered: Uint8Array;
  selfLink: Uint8Array;
  inviteTaken: Uint8Array;
}

/** mulberry32: a tiny seeded PRNG so every run sees the same base. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const words = [
  'Иван',
  'Петрович',
  'приглашаем',
  'на',
  'плановое',
  'ТО',
  'вашего',
  'автомобиля',
  'скидка',
  'на',
  'работы',
  'и',
  'запчасти',
  'до',
  'конца',
  'месяца',
  'запишитесь',
  'по',
  'телефону',
  'ждём',
  'вас',
  'в',
  'сервисе',
  'дилерского',
  'центра',
];

/** A Cyrillic text of 4–5 SMS segments (202–335 UTF-16 units). */
function mailingText(next: () => number): string {
  const length = 202 + Math.floor(next() * 134);
  let text = '';
  while (text.length < length) text += `${words[Math.floor(next() * words.length)]} `;
  return text.slice(0, length).trimEnd().padEnd(length, '!');
}

/** The seeded base: `contacts` people drawn from {@link assumptions}, each with their contact and mailing text. */
export function buildBase(contacts: number, seed: number): Person[] {
  const next = random(seed);
  const base: Person[] = [];
  for (let index = 0; index < contacts; index++) {
    const email = next() < assumptions.emailShare;
    const input: ContactInput = {
      id: `c${index}`,
      phone: `+7916${String(1_000_000 + index).slice(-7)}`,
      ...(email ? { email: `client${index}@example.ru` } : {}),
      consent: { email: 'granted', whatsapp: 'granted', sms: 'granted', max: 'granted' },
    };
    const text = mailingText(next);
    const content: Record<string, MessageContentInput> = {
      whatsapp: { type: 'template', name: 'service_offer', language: 'ru', params: ['Иван'], fallbackText: text },
      sms: { type: 'text', text },
      max: { type: 'text', text },
      email: { type: 'email', subject: 'Плановое ТО со скидкой', text },
    };
    const onWhatsApp = next() < assumptions.onWhatsApp;
    base.push({
      contact: modules.parseInput(modules.contactSchema, input, 'contact'),
      content: modules.normalizeContent(content),
      email,
      emailBounces: email && next() < assumptions.emailBounce,
      smsLive: next() >= assumptions.smsDead,
      onWhatsApp,
      reader: onWhatsApp && next() < assumptions.whatsappReaders,
      maxUser: next() < assumptions.maxUsers,
      smsMinor: modules.countSegments(text).segments * assumptions.smsSegmentMinor,
    });
  }
  return base;
}

/** One month's draws for every person of the base, from the seed and the month. */
export function drawMonth(base: Person[], seed: number, month: number): Month {
  const next = random(seed + 1_000_003 * (month + 1));
  const size = base.length;
  const draws: Month = {
    whatsappDelivered: new Uint8Array(size),
    whatsappRead: new Uint8Array(size),
    smsDelivered: new Uint8Array(size),
    selfLink: new Uint8Array(size),
    inviteTaken: new Uint8Array(size),
  };
  base.forEach((person, index) => {
    const delivered = person.onWhatsApp && next() < assumptions.whatsappDelivered;
    const reads = next() < (person.reader ? assumptions.readerReads : assumptions.nonReaderReads);
    draws.whatsappDelivered[index] = delivered ? 1 : 0;
    draws.whatsappRead[index] = delivered && reads ? 1 : 0;
    draws.smsDelivered[index] = person.smsLive && next() < assumptions.smsDelivered ? 1 : 0;
    draws.selfLink[index] = person.maxUser && next() < assumptions.maxSelfLinkPerMonth ? 1 : 0;
    draws.inviteTaken[index] = person.maxUser && next() < assumptions.maxInviteTaken ? 1 : 0;
  });
  return draws;
}

/** Who is linked to the dealer's MAX bot before the first campaign (1 = linked), per person of the base. */
export function initialLinks(base: Person[], seed: number): Uint8Array {
  const next = random(seed ^ 0x5bd1e995);
  const linked = new Uint8Array(base.length);
  // Everyone linked at the start has MAX; the share is of the whole base.
  const share = assumptions.maxLinkedAtStart / assumptions.maxUsers;
  base.forEach((person, index) => {
    linked[index] = person.maxUser && next() < share ? 1 : 0;
  });
  return linked;
}
