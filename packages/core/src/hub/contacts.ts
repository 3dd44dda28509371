import type { Contact } from '../model/contact.js';
import { sameData } from '../store/same-data.js';
import type { HubContext } from './context.js';
import { holding } from './key-locks.js';

/**
 * Reads a contact again, changes it and saves it in one step, holding the contact's lock (a send's merge, an opt-out,
 * a send's canonical address and an inbound message's new facts never overwrite each other). `change` gets the stored
 * copy (undefined if there is none) and returns the contact to save, or undefined to leave it as it is; a change that
 * changes nothing is not written. Resolves with the contact as stored afterwards.
 */
export async function rewriteContact(
  hub: HubContext,
  id: string,
  change: (stored: Contact | undefined) => Contact | undefined,
): Promise<Contact | undefined> {
  return holding(hub.locks.contacts, id, () =>
    hub.atomic.updateContact(id, (stored) => {
      const changed = change(stored);
      return changed === undefined || (stored !== undefined && sameData(stored, changed)) ? undefined : changed;
    }),
  );
}

/**
 * Another process may be between claiming a key and storing what it claimed it for (a message, a contact): give it a
 * moment before concluding it died.
 */
export async function waitForStored<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const stored = await read();
    if (stored || attempt === 19) return stored;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
