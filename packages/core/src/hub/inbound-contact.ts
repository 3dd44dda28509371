import type { Channel, IdentityEvent, InboundEvent } from '../channel.js';
import { createId } from '../id.js';
import type { Contact } from '../model/contact.js';
import { normalizePhone } from '../model/phone.js';
import { rewriteContact, waitForStored } from './contacts.js';
import type { HubContext } from './context.js';
import { isHubContactId, mergeContacts } from './merge-contacts.js';
import { storeNamespaces } from './store-namespaces.js';

/** A provider's account id as the hub keeps it among identities: namespaced so it never matches a phone or a chat id. */
export function accountAddress(channel: Channel, senderId: string): string {
  return `${channel.kind}-user:${senderId}`;
}

/** The E.164 phone a phone channel's address stands for (WhatsApp's `wa_id` is the number without its plus), if any. */
export function phoneOfAddress(address: string): string | undefined {
  return normalizePhone(`+${address.replace(/^\+/, '')}`);
}

/** The sender's account id when the provider gives one (see accountAddress). */
function senderAccount(channel: Channel, event: InboundEvent): string | undefined {
  return event.senderId ? accountAddress(channel, event.senderId) : undefined;
}

/**
 * Who sent an inbound message, as one key: the account id when the provider gives one, else the phone or address. A
 * number is keyed without its plus, so `+79161234567` (a phone) and `79161234567` (a `wa_id`) are one sender.
 */
export function senderKey(channel: Channel, event: InboundEvent): string {
  const account = senderAccount(channel, event);
  if (account) return account;
  if (event.phone) return withoutPlus(event.phone);
  return channel.capabilities.address === 'phone' ? withoutPlus(event.from) : event.from;
}

/**
 * The sender keys an identity change holds: every key a message of the same sender may hold (its account id, its old
 * number), sorted so two changes never take them in opposite orders. A change and a message then apply one after
 * the other, and a message read before the change cannot write the old number back.
 */
export function identityKeys(channel: Channel, event: IdentityEvent): string[] {
  const keys: string[] = [];
  if (event.senderId) keys.push(accountAddress(channel, event.senderId));
  if (event.from) keys.push(channel.capabilities.address === 'phone' ? withoutPlus(event.from) : event.from);
  if (keys.length === 0) keys.push(event.providerMessageId);
  return keys.sort();
}

function withoutPlus(number: string): string {
  return number.startsWith('+') ? number.slice(1) : number;
}

/** The stored contact an inbound event's sender already is, found by any address the event carries. */
export async function findSender(hub: HubContext, channel: Channel, event: InboundEvent): Promise<Contact | undefined> {
  const { store } = hub;
  const sender = senderAccount(channel, event);
  const findByPhoneAddress = async (from: string) => {
    const phone = phoneOfAddress(from);
    return phone && phone !== from ? store.findContactByAddress(phone) : undefined;
  };
  return (
    (await store.findContactByAddress(event.from)) ??
    (event.conversationExternalId ? await store.findContactByAddress(event.conversationExternalId) : undefined) ??
    (sender ? await store.findContactByAddress(sender) : undefined) ??
    (event.phone ? await store.findContactByAddress(normalizePhone(event.phone) ?? event.phone) : undefined) ??
    // A phone channel's address is the number without its plus (WhatsApp `wa_id`): a CRM contact has it in E.164.
    (channel.capabilities.address === 'phone' && !event.phone ? await findByPhoneAddress(event.from) : undefined)
  );
}

/**
 * The contact who sent an inbound message: found by any address the event carries, or created. What the event tells
 * about the person (name, phone, identities) is added to the stored contact.
 */
export async function contactForInbound(hub: HubContext, channel: Channel, event: InboundEvent): Promise<Contact> {
  const sender = senderAccount(channel, event);
  const find = () => findSender(hub, channel, event);
  let found = await find();
  if (!found) {
    const contact: Contact = { id: createId('contact') };
    // A new customer's home branch is the branch whose channel they first wrote to.
    const branch = hub.branchOfChannel.get(channel.id);
    if (branch) contact.branchId = branch.id;
    learnFromInbound(channel, event, sender, contact);
    found = await createSenderContact(hub, channel, event, contact, find);
    if (found === contact) return contact;
  }
  // A found contact is the store's copy, ours to change. Usually the event tells nothing new and nothing is written;
  // otherwise the change is made again on a fresh read under the contact's lock (an opt-out may be being saved).
  const known = found;
  if (!learnFromInbound(channel, event, sender, { ...known })) return known;
  return learnInto(hub, channel, event, known);
}

/** Adds what an inbound event shows about its sender to a stored contact, on a fresh read under its lock. */
async function learnInto(hub: HubContext, channel: Channel, event: InboundEvent, known: Contact): Promise<Contact> {
  const sender = senderAccount(channel, event);
  const keepAddress = await sentBeforeNumberChange(hub, channel, event, known);
  const updated = await rewriteContact(hub, known.id, (stored = known) => {
    const contact = { ...stored };
    return learnFromInbound(channel, event, sender, contact, keepAddress) ? contact : undefined;
  });
  return updated ?? known;
}

/**
 * True when a message from another number than the contact's was sent before the contact's last number change (a
 * late or redelivered message from the old number): it must not write the old number back.
 */
async function sentBeforeNumberChange(hub: HubContext, channel: Channel, event: InboundEvent, known: Contact) {
  const address = known.identities?.[channel.kind];
  if (channel.capabilities.address !== 'phone' || typeof address !== 'string' || address === event.from) return false;
  const changedAt = await hub.store.getRecord<number>(storeNamespaces.numberChange, `${known.id}:${channel.kind}`);
  return changedAt !== undefined && event.at <= changedAt;
}

/**
 * Makes an inbound event's sender the given contact (a deep link's Start): their account on the channel joins its
 * identities. When the hub had already made a contact for the same account (they wrote before pressing Start), that
 * one is merged into it: one person, one contact.
 */
export async function linkSender(hub: HubContext, channel: Channel, event: InboundEvent, target: Contact): Promise<Contact> {
  const existing = await findSender(hub, channel, event);
  if (existing && existing.id !== target.id && isHubContactId(existing.id)) await mergeContacts(hub, target.id, existing.id);
  return learnInto(hub, channel, event, (await hub.store.getContact(target.id)) ?? target);
}

/**
 * Saves the contact of a new sender and returns it, or returns the sender's contact another process created meanwhile.
 * Within this process the sender's lock (see applyDelivered) already keeps a second message from creating another;
 * on a durable store, which other processes may share, the first to claim the sender creates it. The claim is a
 * record, taken atomically (updateRecord) and deleted once the contact is saved.
 */
async function createSenderContact(
  hub: HubContext,
  channel: Channel,
  event: InboundEvent,
  contact: Contact,
  find: () => Promise<Contact | undefined>,
): Promise<Contact> {
  const { store } = hub;
  if (!hub.durable) {
    await store.saveContact(contact);
    return contact;
  }
  const key = `${channel.kind}:${senderKey(channel, event)}`;
  const claimedBy =
    (await store.updateRecord<string>(storeNamespaces.senderClaim, key, (claimed) => claimed ?? contact.id)) ?? contact.id;
  if (claimedBy !== contact.id) {
    const theirs = await waitForStored(() => store.getContact(claimedBy));
    if (theirs) return theirs;
    // The process that claimed the sender died before saving its contact: take the claim over under its id.
    hub.logger.warn({ contactId: claimedBy }, 'a new sender was claimed by a contact that was never stored; taking it over');
    contact.id = claimedBy;
  } else {
    // Created by another process, which released its claim before this one was taken.
    const created = await find();
    if (created) {
      await store.putRecord(storeNamespaces.senderClaim, key, undefined);
      return created;
    }
  }
  await store.saveContact(contact);
  await store.putRecord(storeNamespaces.senderClaim, key, undefined);
  return contact;
}

/**
 * Adds to `contact` what an inbound message shows about its sender; true if anything was new. `keepAddress`: the
 * message predates a number change, so its number is not the contact's any more.
 */
function learnFromInbound(
  channel: Channel,
  event: InboundEvent,
  sender: string | undefined,
  contact: Contact,
  keepAddress = false,
): boolean {
  let changed = false;
  const address = channel.capabilities.address;
  if (address === 'chat') {
    const key = `${channel.kind}ChatIds`;
    const chatId = event.conversationExternalId ?? event.from;
    const list = Array.isArray(contact.identities?.[key]) ? (contact.identities[key] as string[]) : [];
    if (!list.includes(chatId)) {
      contact.identities = { ...contact.identities, [key]: [...list, chatId] };
      changed = true;
    }
  } else if (address === 'phone' && !keepAddress && contact.identities?.[channel.kind] !== event.from) {
    contact.identities = { ...contact.identities, [channel.kind]: event.from };
    changed = true;
  }
  if (sender && contact.identities?.[`${channel.kind}User`] !== sender) {
    contact.identities = { ...contact.identities, [`${channel.kind}User`]: sender };
    changed = true;
  }
  if (contact.identities === undefined) {
    contact.identities = {};
    changed = true;
  }
  if (contact.name === undefined && event.profileName) {
    contact.name = event.profileName;
    changed = true;
  }
  if (contact.phone === undefined) {
    const phone = event.phone ? normalizePhone(event.phone) : address === 'phone' ? phoneOfAddress(event.from) : undefined;
    if (phone) {
      contact.phone = phone;
      changed = true;
    }
  }
  if (contact.email === undefined && address === 'email') {
    contact.email = event.from.toLowerCase();
    changed = true;
  }
  return changed;
}
