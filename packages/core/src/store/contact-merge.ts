import type { Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';

/**
 * What merging two contacts writes, as {@link Store.mergeContacts} applies it in one step: the kept contact, the
 * conversations to save (re-pointed to it or changed by a fold), and the conversations folded into another (deleted,
 * their messages moved into `into`). Every message of the merged contact then belongs to the kept one.
 */
export interface ContactMerge {
  contact: Contact;
  conversations: Conversation[];
  folded: Array<{ from: string; into: string }>;
}

/**
 * Plans a merge, given both contacts and all their conversations (what a store reads inside its transaction). Called
 * once, synchronously, inside the store's critical section: it must not await.
 */
export type ContactMergePlanner = (keep: Contact, merged: Contact, conversations: Conversation[]) => ContactMerge;
