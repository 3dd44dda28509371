import type { ContactInput } from '@omnidealer/core';

/** Contact `index` of the example campaign: a phone on WhatsApp and SMS (`+7916` and seven digits). */
export function campaignContact(index: number): ContactInput & { phone: string } {
  return { id: `c-${index}`, phone: `+7916${String(index).padStart(7, '0')}` };
}

/** The campaign's `count` contacts, in order. */
export function campaignContacts(count: number): Array<ContactInput & { phone: string }> {
  return Array.from({ length: count }, (_, index) => campaignContact(index));
}
