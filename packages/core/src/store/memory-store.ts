import type { Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import type { ConversationQuery, ScheduledJob, Store } from './store.js';

/**
 * An in-memory {@link Store}: fast, and gone when the process exits. The default for tests; use a durable store
 * (`@omnidealer/store-sqlite`) in production. Objects are copied in and out so callers never share state with it.
 */
const internedKeys = ['channel', 'direction', 'status', 'handler', 'conversationId', 'contactId', 'assignee', 'department'];

/** Deep copy of plain JSON-like data (what the model schemas produce); drops `undefined` like JSON would. */
function plainCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plainCopy);
  const output: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) output[key] = plainCopy(inner);
  }
  return output;
}

export function createMemoryStore(): Store {
  const contacts = new Map<string, Contact>();
  const contactByAddress = new Map<string, string>();
  const conversations = new Map<string, Conversation>();
  const conversationsByContact = new Map<string, string[]>();
  const messages = new Map<string, Message>();
  // Indexes hold references to the stored objects and reuse their strings as keys: at 100 000 conversations,
  // concatenated keys and duplicate id strings cost more than the messages themselves.
  const messagesByConversation = new Map<string, Message[]>();
  const messageByProviderId = new Map<string, Map<string, Message>>();
  const queued = new Set<string>();
  const idempotencyKeys = new Map<string, string>();
  const webhookKeys = new Map<string, number>();
  const jobs = new Map<string, ScheduledJob>();
  const records = new Map<string, Map<string, unknown>>();

  const copy = <T>(value: T): T => structuredClone(value);
  // Model objects are stored compacted: a JSON round trip gives V8 fast shared-shape objects, and low-cardinality or
  // repeated strings (channel, status, conversation and contact ids…) are shared instead of copied per message.
  // At 100 000 conversations this halves the heap compared with structuredClone copies.
  // (A JSON.parse reviver would do it generically but costs ~40 µs per message; a few direct fields cost ~1 µs.)
  const interned = new Map<string, string>();
  const intern = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const shared = interned.get(value);
    if (shared !== undefined) return shared;
    interned.set(value, value);
    return value;
  };
  const compact = <T>(value: T): T => {
    const copied = plainCopy(value) as Record<string, unknown>;
    for (const key of internedKeys) if (key in copied) copied[key] = intern(copied[key]);
    const content = copied.content as Record<string, unknown> | undefined;
    if (content && typeof content === 'object') content.type = intern(content.type);
    return copied as T;
  };
  // Model objects (plain JSON data) are copied out with plainCopy as well: several times faster than structuredClone.
  const copyModel = <T>(value: T): T => plainCopy(value) as T;
  const addresses = (contact: Contact): string[] => {
    const list: string[] = [];
    if (contact.phone) list.push(contact.phone);
    if (contact.email) list.push(contact.email.toLowerCase());
    for (const value of Object.values(contact.identities ?? {})) {
      if (Array.isArray(value)) list.push(...value);
      else if (typeof value === 'string') list.push(value);
    }
    return list;
  };

  return {
    durable: false,
    async saveContact(contact) {
      contacts.set(contact.id, compact(contact));
      for (const address of addresses(contact)) contactByAddress.set(address, contact.id);
    },
    async getContact(id) {
      const contact = contacts.get(id);
      return contact && copyModel(contact);
    },
    async findContactByAddress(address) {
      const id = contactByAddress.get(address) ?? contactByAddress.get(address.toLowerCase());
      const contact = id === undefined ? undefined : contacts.get(id);
      return contact && copyModel(contact);
    },

    async saveConversation(conversation) {
      if (!conversations.has(conversation.id)) {
        const list = conversationsByContact.get(conversation.contactId) ?? [];
        list.push(conversation.id);
        conversationsByContact.set(conversation.contactId, list);
      }
      conversations.set(conversation.id, compact(conversation));
    },
    async getConversation(id) {
      const conversation = conversations.get(id);
      return conversation && copyModel(conversation);
    },
    async findConversation(contactId, channel, externalId) {
      const ids = conversationsByContact.get(contactId) ?? [];
      for (let index = ids.length - 1; index >= 0; index--) {
        const conversation = conversations.get(ids[index] as string);
        if (!conversation || conversation.channel !== channel) continue;
        if (externalId !== undefined && conversation.externalId !== externalId) continue;
        return copyModel(conversation);
      }
      return undefined;
    },
    async listConversations(query: ConversationQuery = {}) {
      const result: Conversation[] = [];
      for (const conversation of conversations.values()) {
        if (query.status && conversation.status !== query.status) continue;
        if (query.channel && conversation.channel !== query.channel) continue;
        if (query.assignee && conversation.assignee !== query.assignee) continue;
        if (query.handler && conversation.handler !== query.handler) continue;
        if (query.contactId && conversation.contactId !== query.contactId) continue;
        result.push(copyModel(conversation));
      }
      result.sort((a, b) => b.updatedAt - a.updatedAt);
      return query.limit ? result.slice(0, query.limit) : result;
    },

    async saveMessage(input) {
      const message = compact(input);
      const previous = messages.get(message.id);
      const list = messagesByConversation.get(message.conversationId);
      if (!list) messagesByConversation.set(message.conversationId, [message]);
      else if (!previous) list.push(message);
      else list[list.lastIndexOf(previous)] = message;
      messages.set(message.id, message);
      if (message.providerMessageId) {
        let byChannel = messageByProviderId.get(message.channel);
        if (!byChannel) messageByProviderId.set(message.channel, (byChannel = new Map()));
        byChannel.set(message.providerMessageId, message);
      }
      if (message.direction === 'outbound' && message.status === 'queued') queued.add(message.id);
      else queued.delete(message.id);
    },
    async getMessage(id) {
      const message = messages.get(id);
      return message && copyModel(message);
    },
    async findMessageByProviderId(channel, providerMessageId) {
      const message = messageByProviderId.get(channel)?.get(providerMessageId);
      return message && copyModel(message);
    },
    async listMessages(conversationId, options = {}) {
      const list = messagesByConversation.get(conversationId) ?? [];
      const selected = options.limit ? list.slice(-options.limit) : list;
      return selected.map(copyModel);
    },
    async listQueuedMessages(limit = 1000) {
      return [...queued].slice(0, limit).map((id) => copyModel(messages.get(id) as Message));
    },

    async claimIdempotencyKey(key, messageId) {
      const existing = idempotencyKeys.get(key);
      if (existing !== undefined) return existing;
      idempotencyKeys.set(key, messageId);
      return undefined;
    },
    async markWebhookSeen(key, at) {
      if (webhookKeys.has(key)) return false;
      webhookKeys.set(key, at);
      return true;
    },

    async scheduleJob(job) {
      jobs.set(job.id, copy(job));
    },
    async getJob(id) {
      const job = jobs.get(id);
      return job && copy(job);
    },
    async claimDueJobs(now, limit, leaseMs, kinds) {
      const due = [...jobs.values()]
        .filter(
          (job) =>
            (!kinds || kinds.includes(job.kind)) &&
            ((job.status === 'pending' && job.runAt <= now) || (job.status === 'running' && (job.leaseUntil ?? 0) <= now)),
        )
        .sort((a, b) => a.runAt - b.runAt)
        .slice(0, limit);
      for (const job of due) {
        job.status = 'running';
        job.leaseUntil = now + leaseMs;
        job.attempts += 1;
      }
      return due.map(copy);
    },
    async completeJob(id) {
      const job = jobs.get(id);
      if (job) job.status = 'done';
    },
    async cancelJob(id) {
      const job = jobs.get(id);
      if (job && job.status !== 'done') job.status = 'cancelled';
    },

    async putRecord(namespace, key, value) {
      let space = records.get(namespace);
      if (!space) records.set(namespace, (space = new Map()));
      space.set(key, copy(value));
    },
    async getRecord<T>(namespace: string, key: string) {
      const value = records.get(namespace)?.get(key);
      return value === undefined ? undefined : (copy(value) as T);
    },
    async listRecords<T>(namespace: string, prefix = '') {
      const space = records.get(namespace);
      if (!space) return [];
      return [...space.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => ({ key, value: copy(value) as T }));
    },
  };
}
