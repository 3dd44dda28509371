import type { Store } from '../store/store.js';

/**
 * A store as it is, and the same store without its optional atomic updates (`updateContact`, `openConversation`,
 * `updateConversation`), for which the hub takes its own per-process locks: the hub's race tests run on both. Not
 * exported: for this package's tests.
 */
export const atomicityVariants: Array<[string, (store: Store) => Store]> = [
  ['a store with atomic updates', (store) => store],
  [
    'a store without atomic updates (the hub locks)',
    (store) => {
      const { updateContact: _contact, openConversation: _open, updateConversation: _update, ...plain } = store;
      return plain;
    },
  ],
];
