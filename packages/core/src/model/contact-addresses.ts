import type { Contact } from './contact.js';

/**
 * Every address a contact can be found by, as a `Store` indexes it for `findContactByAddress`: the phone, the
 * e-mail lower-cased, and each channel identity (a WhatsApp `wa_id`, every Avito chat id…). Stores call it when they
 * save a contact, so every store matches the same addresses.
 * @example
 * ```ts
 * contactAddresses({ id: 'c1', phone: '+79161234567', email: 'Ivan@Example.ru', identities: { avitoChatIds: ['u2i-1'] } });
 * // → ['+79161234567', 'ivan@example.ru', 'u2i-1']
 * ```
 */
export function contactAddresses(contact: Contact): string[] {
  const list: string[] = [];
  if (contact.phone) list.push(contact.phone);
  if (contact.email) list.push(contact.email.toLowerCase());
  for (const value of Object.values(contact.identities ?? {})) {
    if (Array.isArray(value)) list.push(...value);
    else if (typeof value === 'string') list.push(value);
  }
  return list;
}

/**
 * The keys a store looks an address up by, in order, to match what {@link contactAddresses} indexed: the address as
 * given, then lower-cased when that differs (e-mails are indexed lower-cased; a phone or an id has nothing to lower).
 * @example
 * ```ts
 * addressLookupKeys('Ivan@Example.ru'); // → ['Ivan@Example.ru', 'ivan@example.ru']
 * addressLookupKeys('+79161234567'); // → ['+79161234567']
 * ```
 */
export function addressLookupKeys(address: string): string[] {
  const lower = address.toLowerCase();
  return lower === address ? [address] : [address, lower];
}
