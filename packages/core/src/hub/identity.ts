import type { Contact } from '../model/contact.js';
import { contactAddresses } from '../model/contact-addresses.js';
import { rewriteContact } from './contacts.js';
import type { HubContext } from './context.js';
import { isHubContactId, mergeContacts } from './merge-contacts.js';
import { storeNamespaces } from './store-namespaces.js';

/** A contact by id, following the alias a merge left (the hub's id of a sender the CRM since named). */
export async function getContact(hub: HubContext, id: string): Promise<Contact | undefined> {
  const stored = await hub.store.getContact(id);
  if (stored) return stored;
  const alias = await hub.store.getRecord<string>(storeNamespaces.contactAlias, id);
  return alias === undefined ? undefined : hub.store.getContact(alias);
}

/**
 * Resolves the contact a CRM names with an id the hub has not stored, before a send or an upsert creates it:
 * - an id merged into another leads to that one;
 * - when one of its addresses (phone, e-mail, a channel identity) belongs to a contact the hub made for a customer who
 *   wrote first, that contact becomes the CRM's: it is merged into the CRM's id, with its conversations (so the reply
 *   lands in the open 24 h window), and its old id leads to the CRM's from then on.
 * A contact the CRM created under another id is left alone: two CRM records for one phone may be two people (a
 * family phone); `hub.mergeContacts` joins them when the CRM says so. Resolves with the id to use.
 */
export async function resolveNewContact(hub: HubContext, input: Contact): Promise<string> {
  return (await resolveNewContactId(hub, input)).id;
}

/** {@link resolveNewContact}, also telling whether it found or stored a contact (else none is stored under `id`). */
export async function resolveNewContactId(
  hub: HubContext,
  input: Contact,
  /** The alias record of `input.id`, when the caller has read it already (`hub.send` reads it with the contact). */
  read?: { alias: string | undefined },
): Promise<{ id: string; stored: boolean }> {
  const alias = read ? read.alias : await hub.store.getRecord<string>(storeNamespaces.contactAlias, input.id);
  if (alias !== undefined) return { id: alias, stored: true };
  const match = await findByAddresses(hub, input);
  if (!match || match.id === input.id || !isHubContactId(match.id)) return { id: input.id, stored: match?.id === input.id };
  await rewriteContact(hub, input.id, (current) => current ?? input);
  await mergeContacts(hub, input.id, match.id);
  return { id: input.id, stored: true };
}

async function findByAddresses(hub: HubContext, contact: Contact): Promise<Contact | undefined> {
  for (const address of contactAddresses(contact)) {
    const found = await hub.store.findContactByAddress(address);
    if (found) return found;
  }
  return undefined;
}
