import type { Channel, IdentityEvent } from '../channel.js';
import type { Contact } from '../model/contact.js';
import { normalizePhone } from '../model/phone.js';
import { rewriteContact } from './contacts.js';
import type { HubContext } from './context.js';
import { accountAddress, phoneOfAddress } from './inbound-contact.js';
import { storeNamespaces } from './store-namespaces.js';

/**
 * Applies a sender's identity change: the contact found by the old address or account id gets the new ones (its
 * phone too, when the change reveals it) and keeps its conversations and history; the old addresses still lead to it.
 * An unknown sender changes nothing (logged).
 */
export async function applyIdentity(hub: HubContext, channel: Channel, event: IdentityEvent): Promise<void> {
  const { store } = hub;
  const known =
    (event.from ? await store.findContactByAddress(event.from) : undefined) ??
    (event.senderId ? await store.findContactByAddress(accountAddress(channel, event.senderId)) : undefined) ??
    (event.from ? await store.findContactByAddress(phoneOfAddress(event.from) ?? event.from) : undefined);
  if (!known) {
    hub.logger.info(
      {
        providerMessageId: event.providerMessageId,
      },
      `${channel.id}: identity change of a sender this hub does not know; nothing to update`,
    );
    return;
  }
  const previous = {
    phone: known.phone,
    address: typeof known.identities?.[channel.kind] === 'string' ? (known.identities[channel.kind] as string) : undefined,
    senderId: event.senderId,
  };
  const newPhone = event.newPhone ? normalizePhone(event.newPhone) : undefined;
  const updated = await rewriteContact(hub, known.id, (stored = known) => {
    const contact: Contact = { ...stored, identities: { ...stored.identities } };
    const identities = contact.identities as Record<string, string | string[]>;
    if (event.newAddress && channel.capabilities.address === 'phone') identities[channel.kind] = event.newAddress;
    if (event.newSenderId) identities[`${channel.kind}User`] = accountAddress(channel, event.newSenderId);
    // The customer's number changed: the contact's phone follows when it was the old one (or unknown).
    if (newPhone && (!stored.phone || stored.phone === phoneOfAddress(event.from ?? ''))) contact.phone = newPhone;
    return contact;
  });
  if (updated && event.newAddress && event.newAddress !== previous.address) {
    // Messages the old number sent before this change may still arrive: they must not write it back.
    await store.putRecord(storeNamespaces.numberChange, `${known.id}:${channel.kind}`, event.at);
  }
  if (updated) hub.events.emit('contact.identity_changed', { contact: updated, channel: channel.id, previous });
}
