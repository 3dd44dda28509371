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

/**
 * The id a chat channel of kind `channelKind` reaches a contact at: `identities[channelKind]` (set by the CRM, or when
 * a deep link linked the contact) when it matches `pattern`, else the latest matching id the hub recorded from their
 * messages (`identities[channelKind + 'ChatIds']`). For reply-only channels that address a user by id (MAX, Telegram,
 * VK): `canReach` is true only when there is one.
 * @example
 * ```ts
 * chatIdentityOf({ id: 'c1', identities: { maxChatIds: ['111', '222'] } }, 'max', /^\d{1,19}$/); // → '222'
 * ```
 */
export function chatIdentityOf(contact: Contact, channelKind: string, pattern: RegExp): string | undefined {
  const identities = contact.identities ?? {};
  const direct = identities[channelKind];
  if (typeof direct === 'string' && pattern.test(direct)) return direct;
  const chats = identities[`${channelKind}ChatIds`];
  if (Array.isArray(chats)) {
    for (let index = chats.length - 1; index >= 0; index--) {
      const id = chats[index];
      if (typeof id === 'string' && pattern.test(id)) return id;
    }
  }
  return undefined;
}
