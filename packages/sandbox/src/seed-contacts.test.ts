import { contactSchema, isMobilePhone } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { seedContacts } from './seed-contacts.js';

describe('seedContacts', () => {
  const contacts = seedContacts({ count: 2000, seed: 7 });

  it('produces valid core contacts with unique Russian mobile numbers', () => {
    expect(contacts).toHaveLength(2000);
    expect(new Set(contacts.map((contact) => contact.phone)).size).toBe(2000);
    for (const contact of contacts.slice(0, 300)) {
      const parsed = contactSchema.parse(contact);
      expect(parsed.phone).toMatch(/^\+79\d{9}$/);
      expect(parsed.phone).toBe(contact.phone);
      expect(isMobilePhone(parsed.phone as string)).toBe(true);
      expect(contact.name).toMatch(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$/);
    }
    expect(new Set(contacts.map((contact) => contact.id)).size).toBe(2000);
  }, 30_000);

  it('has about 10 % e-mails, some Avito chats, a few opt-outs and mostly Moscow time', () => {
    const share = (predicate: (contact: (typeof contacts)[number]) => boolean) =>
      contacts.filter(predicate).length / contacts.length;
    expect(share((contact) => contact.email !== undefined)).toBeGreaterThan(0.07);
    expect(share((contact) => contact.email !== undefined)).toBeLessThan(0.13);
    expect(share((contact) => (contact.identities?.avitoChatIds?.length ?? 0) > 0)).toBeGreaterThan(0.05);
    expect(share((contact) => Object.values(contact.consent ?? {}).includes('opted_out'))).toBeGreaterThan(0.01);
    expect(share((contact) => contact.timeZone === 'Europe/Moscow')).toBeGreaterThan(0.7);
    expect(share((contact) => contact.timeZone === 'Europe/Moscow')).toBeLessThan(0.9);
    const email = contacts.find((contact) => contact.email)?.email;
    expect(email).toMatch(/^[a-z]+[._]?[a-z]+\d+@[a-z]+\.(ru|com)$/);
  });

  it('is deterministic, and a longer list starts with the shorter one', () => {
    expect(seedContacts({ count: 2000, seed: 7 })).toEqual(contacts);
    expect(seedContacts({ count: 50, seed: 7 })).toEqual(contacts.slice(0, 50));
    expect(seedContacts({ count: 50, seed: 8 })).not.toEqual(contacts.slice(0, 50));
    expect(() => seedContacts({ count: -1, seed: 1 })).toThrow(RangeError);
  });
});

describe('seedContacts maxShare', () => {
  it('links a share of contacts to MAX without changing anything else', () => {
    const plain = seedContacts({ count: 400, seed: 11 });
    const linked = seedContacts({ count: 400, seed: 11, maxShare: 0.3 });
    const withMax = linked.filter((contact) => contact.identities?.max !== undefined);
    expect(withMax.length / linked.length).toBeGreaterThan(0.2);
    expect(withMax.length / linked.length).toBeLessThan(0.4);
    for (const contact of withMax) {
      expect(contact.identities?.max).toMatch(/^3\d{8}$/);
      expect(contact.consent?.max).toBe('granted');
    }
    const strip = (contact: (typeof linked)[number]) => {
      const { max: _max, ...identities } = contact.identities ?? {};
      const { max: _consent, ...consent } = contact.consent ?? {};
      return { ...contact, identities, consent };
    };
    expect(linked.map(strip)).toEqual(
      plain.map((contact) => ({ ...contact, identities: contact.identities ?? {}, consent: contact.consent })),
    );
  });
});
