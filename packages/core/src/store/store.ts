import type { Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import type { ContactMerge, ContactMergePlanner } from './contact-merge.js';

/** A durable piece of deferred work (a cascade deadline). */
export interface ScheduledJob {
  id: string;
  /** Who runs it, e.g. `cascade.step`. */
  kind: string;
  runAt: number;
  payload: Record<string, unknown>;
  status: 'pending' | 'running' | 'done' | 'cancelled';
  /** Until when the current runner holds the job; an expired lease makes it runnable again. */
  leaseUntil?: number | undefined;
  attempts: number;
}

/** Filter for {@link Store.listConversations}. */
export interface ConversationQuery {
  status?: Conversation['status'];
  channel?: string;
  assignee?: string;
  handler?: Conversation['handler'];
  contactId?: string;
  /** Conversations of this branch of a dealer group (`Conversation.branchId`). */
  branchId?: string;
  limit?: number;
}

/**
 * Where the hub keeps its state. Every method is async so SQLite, Postgres or Redis implementations fit.
 * Implementations must pass `testStoreContract` from `@omnidealer/core/test`.
 */
export interface Store {
  /**
   * False for stores that lose their state with the process (the memory store). The hub then skips writes that only
   * matter after a restart, such as the "provider call started" mark on each outbound message. @default true
   */
  readonly durable?: boolean;
  saveContact(contact: Contact): Promise<void>;
  getContact(id: string): Promise<Contact | undefined>;
  /** Finds a contact by a channel address (phone, e-mail, WhatsApp id, Avito chat id). */
  findContactByAddress(address: string): Promise<Contact | undefined>;
  /**
   * Atomically reads a contact, passes it to `update` (undefined when there is none) and saves what `update` returns,
   * as `saveContact` would; returning undefined leaves the contact as it is. Resolves with the contact as stored
   * afterwards. No other update of the same contact, from this process or another one sharing the store, can come
   * between the read and the write: an opt-out the provider reports is not overwritten by an inbound message or a send
   * changing the same contact at once. `update` runs synchronously inside the store's critical section, once: it must
   * not await. Optional so older stores still fit; without it the hub reads and saves under a lock of its own, which
   * only holds within one process.
   */
  updateContact?(id: string, update: (current: Contact | undefined) => Contact | undefined): Promise<Contact | undefined>;

  /**
   * Atomically merges contact `mergeId` into `keepId`: reads both contacts and all their conversations, passes them to
   * `plan` (synchronous, called once) and applies what it returns — saves the kept contact, deletes the merged one
   * (its addresses then find the kept one), saves the conversations, deletes each folded conversation after moving its
   * messages into the one it was folded into, and gives every remaining message of `mergeId` to `keepId`. Resolves
   * with the plan applied, or undefined (nothing written) when either contact does not exist. Optional: without it the
   * hub writes the same step by step, atomic only within one process.
   */
  mergeContacts?(keepId: string, mergeId: string, plan: ContactMergePlanner): Promise<ContactMerge | undefined>;
  saveConversation(conversation: Conversation): Promise<void>;
  getConversation(id: string): Promise<Conversation | undefined>;
  /** The newest conversation of a contact on a channel (optionally with a provider thread id). */
  findConversation(contactId: string, channel: string, externalId?: string): Promise<Conversation | undefined>;
  listConversations(query?: ConversationQuery): Promise<Conversation[]>;
  /**
   * Atomically reads a conversation, passes it to `update` (undefined when there is none) and saves what `update`
   * returns; undefined leaves it as it is. Resolves with the conversation as stored afterwards. Like
   * {@link Store.openConversation}, optional: a store shared by several processes implements both, so no process
   * overwrites another's change to a conversation (an inbound message's unread count, a send's last outbound time, an
   * operator's assignment). `update` runs synchronously inside the store's critical section, once: it must not await.
   */
  updateConversation?(
    id: string,
    update: (current: Conversation | undefined) => Conversation | undefined,
  ): Promise<Conversation | undefined>;
  /**
   * Atomically finds the conversation `findConversation` would, passes it to `update` (undefined when there is none)
   * and saves what `update` returns: the found one changed, or a new conversation to open; undefined saves nothing.
   * Resolves with the conversation as stored afterwards. Two processes opening a conversation for one contact at once
   * then open one, not two. Without it the hub finds and opens under a lock of its own, which holds within one process.
   */
  openConversation?(
    contactId: string,
    channel: string,
    externalId: string | undefined,
    update: (newest: Conversation | undefined) => Conversation | undefined,
  ): Promise<Conversation | undefined>;

  saveMessage(message: Message): Promise<void>;
  getMessage(id: string): Promise<Message | undefined>;
  findMessageByProviderId(channel: string, providerMessageId: string): Promise<Message | undefined>;
  /** Messages of a conversation, oldest first. */
  listMessages(conversationId: string, options?: { limit?: number }): Promise<Message[]>;
  /** Outbound messages still `queued` (accepted but not confirmed by the provider): the outbox. */
  listQueuedMessages(limit?: number): Promise<Message[]>;

  /** Claims an idempotency key for a message. Returns the id of the message that already holds it, or undefined. */
  claimIdempotencyKey(key: string, messageId: string): Promise<string | undefined>;
  /** Records a webhook delivery key. Returns false when it was seen before (a duplicate). */
  markWebhookSeen(key: string, at: number): Promise<boolean>;
  /**
   * Forgets a webhook delivery key, so the next delivery carrying it counts as new. The hub calls it when applying an
   * event failed after its key was recorded (the store was unreachable, say): it answers the provider 500, and the
   * provider's redelivery must then be applied, not dropped as a duplicate. Optional so older stores still fit; a
   * store without it loses such an event when its redelivery comes (the hub logs a warning).
   */
  forgetWebhookKey?(key: string): Promise<void>;

  scheduleJob(job: ScheduledJob): Promise<void>;
  getJob(id: string): Promise<ScheduledJob | undefined>;
  /**
   * Atomically leases up to `limit` due jobs (pending and runAt ≤ now, or running with an expired lease), oldest
   * first. With `kinds`, only jobs of those kinds: several runners (cascade, your trigger chains) share one table.
   */
  claimDueJobs(now: number, limit: number, leaseMs: number, kinds?: readonly string[]): Promise<ScheduledJob[]>;
  completeJob(id: string): Promise<void>;
  cancelJob(id: string): Promise<void>;
  /**
   * Tells `listener` when jobs are scheduled, so a runner wakes up on time instead of polling {@link Store.claimDueJobs}
   * tightly: it is called with the run time and kind of each pending job scheduled from now on, by this process or
   * another sharing the store, once the job is stored. After the store lost its connection to the notifications (and
   * when watching starts), it also calls it for jobs already pending, earliest first (possibly not all of them), since
   * what was scheduled meanwhile was not told. Best effort: a runner keeps a slow safety poll. Returns a function that
   * stops watching. Optional: without it runners poll (the cascade every `pollIntervalMs`).
   * @example
   * const unwatch = store.watchJobs?.((runAt, kind) => {
   *   if (kind === 'cascade.step') wakeAt(runAt);
   * });
   */
  watchJobs?(listener: (runAt: number, kind: string) => void): () => void;

  /** Generic records for extensions (cascade state, frequency caps). */
  /** Stores a generic record; `undefined` deletes it. */
  putRecord(namespace: string, key: string, value: unknown): Promise<void>;
  getRecord<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  listRecords<T = unknown>(namespace: string, prefix?: string): Promise<Array<{ key: string; value: T }>>;
  /**
   * Atomically reads a record, passes it to `update` and stores what `update` returns (`undefined` deletes it); resolves
   * with the stored value. No other update of the same record, from this process or another one sharing the store,
   * can come between the read and the write, so counters, lists and budgets lose nothing under concurrency.
   * `update` runs synchronously inside the store's critical section, once: it must not await, and it may keep what it
   * was given (to take a record and delete it in one step).
   */
  updateRecord<T = unknown>(
    namespace: string,
    key: string,
    update: (current: T | undefined) => T | undefined,
  ): Promise<T | undefined>;

  close?(): Promise<void>;
}
