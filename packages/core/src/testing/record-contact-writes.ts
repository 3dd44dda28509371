import type { Contact } from '../model/contact.js';
import type { Store } from '../store/store.js';

/**
 * `memory` with `onWrite(contact)` called for every contact written, whether through `saveContact` or `updateContact`
 * (the hub's tests count the writes a send or an inbound message makes). Not exported: for this package's tests.
 */
export function recordContactWrites(memory: Store, onWrite: (contact: Contact) => void): Store {
  return {
    ...memory,
    async saveContact(contact) {
      onWrite(contact);
      return memory.saveContact(contact);
    },
    ...(memory.updateContact
      ? {
          updateContact: (id: string, update: (current: Contact | undefined) => Contact | undefined) =>
            memory.updateContact!(id, (current) => {
              const written = update(current);
              if (written) onWrite(written);
              return written;
            }),
        }
      : {}),
  };
}
