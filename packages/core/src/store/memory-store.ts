import type { Contact } from '../model/contact.js';
import { addressLookupKeys, contactAddresses } from '../model/contact-addresses.js';
import type { Assignment, Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import type { MessageContent } from '../model/message-content.js';
import { sameData } from './same-data.js';
import type { ConversationQuery, ScheduledJob, Store } from './store.js';

/**
 * Deep copy of plain data (generic records): objects and arrays are copied by hand, several times faster than
 * `structuredClone`, and `undefined` properties are dropped like JSON would. Anything else that is an object
 * (a `Date`, a `Map`, a class instance) goes through `structuredClone`.
 */
function copyData<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyData) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const output: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) output[key] = copyData(inner);
  }
  return output as T;
}

/**
 * A nested value the store keeps: plain data deep-copied and frozen, which every read then shares instead of
 * copying (callers can read it, not change it). Anything else (a `Date`, a `Map`…) cannot be shared safely and is
 * kept as an {@link Unshared} clone, cloned again on each read.
 */
type Kept = unknown;

/** A stored value that is not plain data: cloned on the way out as on the way in. */
class Unshared {
  constructor(readonly value: unknown) {}
}

const notPlain = Symbol('not plain data');

function freezePlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    // map, not push: the copy gets exactly its length as capacity.
    let plain = true;
    const output = value.map((item) => {
      const kept = freezePlain(item);
      if (kept === notPlain) plain = false;
      return kept;
    });
    return plain ? Object.freeze(output) : notPlain;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return notPlain;
  const output: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    if (inner === undefined) continue;
    const kept = freezePlain(inner);
    if (kept === notPlain) return notPlain;
    output[key] = kept;
  }
  return Object.freeze(output);
}

/**
 * What the store keeps of a nested value. `previous` (what it kept before) is reused when the value comes back
 * unchanged: a message saved again as it goes queued → sent → delivered keeps one copy of its content, and the
 * re-save allocates nothing for it.
 */
function keep(value: unknown, previous?: Kept): Kept {
  if (value === previous || typeof value !== 'object' || value === null) return value;
  // A kept copy is plain data without undefined properties: sameData tells whether `value` would freeze to it.
  if (previous !== undefined && !(previous instanceof Unshared) && sameData(value, previous)) return previous;
  const frozen = freezePlain(value);
  return frozen === notPlain ? new Unshared(structuredClone(value)) : frozen;
}

/** A kept value as handed to a reader. */
function load<T>(kept: Kept): T {
  return (kept instanceof Unshared ? structuredClone(kept.value) : kept) as T;
}

/** True when `value` is a plain object whose own keys are exactly `type` and `text` (a text content, nothing else). */
function isBareText(content: MessageContent): content is { type: 'text'; text: string } {
  if (content.type !== 'text' || typeof content.text !== 'string') return false;
  let keys = 0;
  for (const _ in content) keys++;
  return keys === 2 && Object.getPrototypeOf(content) === Object.prototype;
}

/**
 * A time kept as its offset from the record's `createdAt`. Offsets are small integers, which V8 keeps inside the
 * object, where a full millisecond timestamp costs a separate 16-byte heap number. A value the offset cannot
 * give back exactly (a fraction far from `createdAt`, `NaN`, a non-number from untyped callers) is kept boxed as is.
 */
type StoredTime = number | readonly [unknown] | undefined;

function storeTime(value: unknown, base: number): StoredTime {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    const offset = value - base;
    if (base + offset === value) return offset;
  }
  return [value];
}

function loadTime(stored: StoredTime, base: number): number | undefined {
  if (stored === undefined) return undefined;
  return typeof stored === 'number' ? base + stored : (stored[0] as number);
}

/**
 * How the store keeps a message: one fixed-shape object (no per-message wrapper for text content or status
 * times), threaded into its conversation's list through `older`. Never handed out: reads build a fresh
 * {@link Message}, so callers can mutate what they get.
 */
interface StoredMessage {
  /** The previous message of the same conversation. */
  older: StoredMessage | undefined;
  id: string;
  conversationId: string;
  contactId: string;
  direction: Message['direction'];
  channel: string;
  status: Message['status'];
  /** A text message's text (content `{ type: 'text', text }`), or any other content, kept (see {@link keep}). */
  content: string | Kept;
  providerMessageId: string | undefined;
  cost: Kept;
  metadata: Kept;
  /** Every other field (idempotency key, error, replyTo, unknown fields of untyped callers), each kept. */
  extra: Record<string, Kept> | undefined;
  createdAt: number;
  updatedAt: StoredTime;
  queued: StoredTime;
  sent: StoredTime;
  delivered: StoredTime;
  read: StoredTime;
  failed: StoredTime;
}

/** Message fields with a slot of their own in {@link StoredMessage}; anything else goes to `extra`. */
const messageSlots = new Set([
  'id',
  'conversationId',
  'contactId',
  'direction',
  'channel',
  'status',
  'content',
  'providerMessageId',
  'cost',
  'metadata',
  'createdAt',
  'updatedAt',
  'statusTimes',
]);
const statusSlots = new Set(['queued', 'sent', 'delivered', 'read', 'failed']);

/** True when statusTimes can live in the five time slots (at least one known status, nothing else). */
function fitsStatusSlots(times: object): boolean {
  if (Object.getPrototypeOf(times) !== Object.prototype) return false;
  let keys = 0;
  for (const key in times) {
    if (!statusSlots.has(key)) return false;
    keys++;
  }
  return keys > 0;
}

/** A record with every slot present from the start, so all records share one compact shape (no property array). */
function emptyMessage(id: string, conversationId: string): StoredMessage {
  return {
    older: undefined,
    id,
    conversationId,
    contactId: '',
    direction: 'inbound',
    channel: '',
    status: 'queued',
    content: '',
    providerMessageId: undefined,
    cost: undefined,
    metadata: undefined,
    extra: undefined,
    createdAt: 0,
    updatedAt: undefined,
    queued: undefined,
    sent: undefined,
    delivered: undefined,
    read: undefined,
    failed: undefined,
  };
}

function messageOut(stored: StoredMessage): Message {
  const createdAt = stored.createdAt;
  const content = stored.content;
  const message: Message = {
    id: stored.id,
    conversationId: stored.conversationId,
    contactId: stored.contactId,
    direction: stored.direction,
    channel: stored.channel,
    content: typeof content === 'string' ? { type: 'text', text: content } : load(content),
    status: stored.status,
    createdAt,
    updatedAt: loadTime(stored.updatedAt, createdAt) as number,
  };
  if (stored.providerMessageId !== undefined) message.providerMessageId = stored.providerMessageId;
  if (stored.cost !== undefined) message.cost = load(stored.cost);
  if (stored.metadata !== undefined) message.metadata = load(stored.metadata);
  const { queued, sent, delivered, read, failed } = stored;
  if (queued !== undefined || sent !== undefined || delivered !== undefined || read !== undefined || failed !== undefined) {
    const times: NonNullable<Message['statusTimes']> = {};
    if (queued !== undefined) times.queued = loadTime(queued, createdAt) as number;
    if (sent !== undefined) times.sent = loadTime(sent, createdAt) as number;
    if (delivered !== undefined) times.delivered = loadTime(delivered, createdAt) as number;
    if (read !== undefined) times.read = loadTime(read, createdAt) as number;
    if (failed !== undefined) times.failed = loadTime(failed, createdAt) as number;
    message.statusTimes = times;
  }
  if (stored.extra !== undefined) {
    const output = message as Record<string, unknown>;
    for (const key in stored.extra) output[key] = load(stored.extra[key]);
  }
  return message;
}

/** How the store keeps a conversation: one fixed-shape object, times as offsets like {@link StoredMessage}. */
interface StoredConversation {
  id: string;
  contactId: string;
  channel: string;
  externalId: string | undefined;
  status: Conversation['status'];
  assignee: string | undefined;
  department: string | undefined;
  handler: Conversation['handler'];
  /** Kept (frozen, shared with readers). */
  assignments: Kept;
  unreadCount: number;
  firstResponseMs: number | undefined;
  subject: Kept;
  /** Unknown fields of untyped callers, each kept. */
  extra: Record<string, Kept> | undefined;
  createdAt: number;
  updatedAt: StoredTime;
  lastInboundAt: StoredTime;
  lastOutboundAt: StoredTime;
  firstInboundAt: StoredTime;
  awaitingReplySince: StoredTime;
}

const conversationSlots = new Set([
  'id',
  'contactId',
  'channel',
  'externalId',
  'status',
  'assignee',
  'department',
  'handler',
  'assignments',
  'unreadCount',
  'firstResponseMs',
  'subject',
  'createdAt',
  'updatedAt',
  'lastInboundAt',
  'lastOutboundAt',
  'firstInboundAt',
  'awaitingReplySince',
]);

/** Shared by every conversation without assignments. */
const noAssignments: readonly Assignment[] = Object.freeze([]);

/** A record with every slot present from the start (see {@link emptyMessage}). */
function emptyConversation(id: string): StoredConversation {
  return {
    id,
    contactId: '',
    channel: '',
    externalId: undefined,
    status: 'open',
    assignee: undefined,
    department: undefined,
    handler: 'bot',
    assignments: noAssignments,
    unreadCount: 0,
    firstResponseMs: undefined,
    subject: undefined,
    extra: undefined,
    createdAt: 0,
    updatedAt: undefined,
    lastInboundAt: undefined,
    lastOutboundAt: undefined,
    firstInboundAt: undefined,
    awaitingReplySince: undefined,
  };
}

function conversationOut(stored: StoredConversation): Conversation {
  const createdAt = stored.createdAt;
  const conversation: Conversation = {
    id: stored.id,
    contactId: stored.contactId,
    channel: stored.channel,
    status: stored.status,
    handler: stored.handler,
    assignments: load(stored.assignments),
    unreadCount: stored.unreadCount,
    createdAt,
    updatedAt: loadTime(stored.updatedAt, createdAt) as number,
  };
  if (stored.externalId !== undefined) conversation.externalId = stored.externalId;
  if (stored.assignee !== undefined) conversation.assignee = stored.assignee;
  if (stored.department !== undefined) conversation.department = stored.department;
  if (stored.lastInboundAt !== undefined) conversation.lastInboundAt = loadTime(stored.lastInboundAt, createdAt) as number;
  if (stored.lastOutboundAt !== undefined) conversation.lastOutboundAt = loadTime(stored.lastOutboundAt, createdAt) as number;
  if (stored.firstInboundAt !== undefined) conversation.firstInboundAt = loadTime(stored.firstInboundAt, createdAt) as number;
  if (stored.firstResponseMs !== undefined) conversation.firstResponseMs = stored.firstResponseMs;
  if (stored.awaitingReplySince !== undefined)
    conversation.awaitingReplySince = loadTime(stored.awaitingReplySince, createdAt) as number;
  if (stored.subject !== undefined) conversation.subject = load(stored.subject);
  if (stored.extra !== undefined) {
    const output = conversation as Record<string, unknown>;
    for (const key in stored.extra) output[key] = load(stored.extra[key]);
  }
  return conversation;
}

/** How the store keeps a contact: its fields, each kept (few contacts per conversation, so no fixed shape). */
interface StoredContact {
  id: string;
  [field: string]: Kept;
}

function contactOut(stored: StoredContact): Contact {
  const contact: Record<string, unknown> = {};
  for (const key in stored) contact[key] = load(stored[key]);
  return contact as Contact;
}

/** Fields outside `slots`, kept; undefined when there are none. */
function extraFields(
  value: object,
  slots: ReadonlySet<string>,
  previous: Record<string, Kept> | undefined,
): Record<string, Kept> | undefined {
  let extra: Record<string, Kept> | undefined;
  // for…in walks the object's enum cache without allocating a key array (Object.keys would, on every save).
  for (const key in value) {
    if (slots.has(key) || !Object.hasOwn(value, key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) (extra ??= {})[key] = keep(inner, previous?.[key]);
  }
  return extra;
}

/** Repeated low-cardinality strings (channel, status, assignee…) are shared up to this many distinct values. */
const sharedStringLimit = 10_000;

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long a webhook delivery key is remembered for de-duplication, counted back from the newest key's time. Keys
   * older than that are forgotten as new ones come, so a long-running process does not grow without bound. Keep it
   * above the providers' retry horizon (WhatsApp retries a webhook for up to 7 days). @default 7 days
   */
  webhookKeyTtlMs?: number;
}

/**
 * The store's atomic updates: reads, updates and writes in one synchronous step, so nothing else runs in between.
 * `update` gets a copy of `kept` (as `out` hands it to readers); what it returns is written, and handed back as the
 * caller made it (the store keeps copies of its fields); undefined writes nothing and hands back a fresh copy.
 */
function updateKept<K, T>(
  kept: K | undefined,
  out: (kept: K) => T,
  update: (current: T | undefined) => T | undefined,
  write: (next: T) => void,
): T | undefined {
  const next = update(kept && out(kept));
  if (next === undefined) return kept && out(kept);
  write(next);
  return next;
}

/**
 * An in-memory {@link Store}: fast, and gone when the process exits. The default for tests; use a durable store
 * (`@omnidealer/store-sqlite`) in production. Callers never share mutable state with it: what it saves is copied
 * in, and every read returns fresh top-level objects whose nested values (content, metadata, cost, identities,
 * assignments…) are frozen copies shared by all readers — readable, not writable, and not copied again per read.
 * Generic records and jobs are deep-copied both ways.
 *
 * Conversations and messages are kept in a compact form (about 1.7 KB for a conversation with three messages,
 * indexes included): one fixed-shape object per record, text content and status times inline, times as small
 * offsets, repeated strings shared, and each conversation's messages threaded as a list instead of an array.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const webhookKeyTtlMs = options.webhookKeyTtlMs ?? 7 * 24 * 60 * 60 * 1000;
  const contacts = new Map<string, StoredContact>();
  const contactByAddress = new Map<string, string>();
  const conversations = new Map<string, StoredConversation>();
  /** Conversation ids per contact, oldest first: the id itself while a contact has only one. */
  const conversationsByContact = new Map<string, string | string[]>();
  const messages = new Map<string, StoredMessage>();
  /** The newest message of each conversation; older ones follow through `older`. */
  const newestMessage = new Map<string, StoredMessage>();
  const messageByProviderId = new Map<string, Map<string, StoredMessage>>();
  const queued = new Set<string>();
  const idempotencyKeys = new Map<string, string>();
  /** Webhook delivery keys and when they were seen, in the order they came (oldest first: forgotten from the front). */
  const webhookKeys = new Map<string, number>();
  let oldestWebhookKeyAt = Number.POSITIVE_INFINITY;
  const jobs = new Map<string, ScheduledJob>();
  /** Listeners of {@link Store.watchJobs}: told of each pending job scheduled. */
  const jobWatchers = new Set<(runAt: number, kind: string) => void>();
  const records = new Map<string, Map<string, unknown>>();

  const sharedStrings = new Map<string, string>();
  const share = <T>(value: T): T => {
    if (typeof value !== 'string') return value;
    const shared = sharedStrings.get(value);
    if (shared !== undefined) return shared as T;
    if (sharedStrings.size < sharedStringLimit) sharedStrings.set(value, value);
    return value;
  };
  /** The stored copy of an id string when there is one, so a hundred messages do not hold a hundred copies. */
  const conversationIdOf = (id: string): string => conversations.get(id)?.id ?? newestMessage.get(id)?.conversationId ?? id;
  const contactIdOf = (id: string, conversation: StoredConversation | undefined): string =>
    conversation?.contactId === id ? conversation.contactId : (contacts.get(id)?.id ?? id);

  function indexConversation(contactId: string, id: string): void {
    const current = conversationsByContact.get(contactId);
    if (current === undefined) conversationsByContact.set(contactId, id);
    else conversationsByContact.set(contactId, typeof current === 'string' ? [current, id] : [...current, id]);
  }

  function unindexConversation(contactId: string, id: string): void {
    const current = conversationsByContact.get(contactId);
    if (current === id) conversationsByContact.delete(contactId);
    else if (Array.isArray(current)) {
      const rest = current.filter((other) => other !== id);
      conversationsByContact.set(contactId, rest.length === 1 ? (rest[0] as string) : rest);
    }
  }

  function writeConversation(target: StoredConversation, input: Conversation): void {
    const createdAt = input.createdAt;
    target.contactId = input.contactId;
    target.channel = share(input.channel);
    target.externalId = input.externalId;
    target.status = share(input.status);
    target.assignee = share(input.assignee);
    target.department = share(input.department);
    target.handler = share(input.handler);
    target.assignments = input.assignments?.length ? keep(input.assignments, target.assignments) : noAssignments;
    target.unreadCount = input.unreadCount;
    target.firstResponseMs = input.firstResponseMs;
    target.subject = keep(input.subject, target.subject);
    target.extra = extraFields(input, conversationSlots, target.extra);
    target.createdAt = createdAt;
    target.updatedAt = storeTime(input.updatedAt, createdAt);
    target.lastInboundAt = storeTime(input.lastInboundAt, createdAt);
    target.lastOutboundAt = storeTime(input.lastOutboundAt, createdAt);
    target.firstInboundAt = storeTime(input.firstInboundAt, createdAt);
    target.awaitingReplySince = storeTime(input.awaitingReplySince, createdAt);
  }

  function writeMessage(target: StoredMessage, input: Message, conversation: StoredConversation | undefined): void {
    const createdAt = input.createdAt;
    target.contactId = contactIdOf(input.contactId, conversation);
    target.direction = share(input.direction);
    target.channel = share(input.channel);
    target.status = share(input.status);
    target.content = isBareText(input.content) ? input.content.text : keep(input.content, target.content);
    target.providerMessageId = input.providerMessageId;
    target.cost = keep(input.cost, target.cost);
    target.metadata = keep(input.metadata, target.metadata);
    let extra = extraFields(input, messageSlots, target.extra);
    target.createdAt = createdAt;
    target.updatedAt = storeTime(input.updatedAt, createdAt);
    const times = input.statusTimes as Record<string, unknown> | undefined;
    const inSlots = times !== undefined && typeof times === 'object' && fitsStatusSlots(times);
    target.queued = inSlots ? storeTime(times.queued, createdAt) : undefined;
    target.sent = inSlots ? storeTime(times.sent, createdAt) : undefined;
    target.delivered = inSlots ? storeTime(times.delivered, createdAt) : undefined;
    target.read = inSlots ? storeTime(times.read, createdAt) : undefined;
    target.failed = inSlots ? storeTime(times.failed, createdAt) : undefined;
    if (times !== undefined && !inSlots) extra = { ...extra, statusTimes: keep(times) };
    target.extra = extra;
  }

  /** Takes a message out of its conversation's list (only when a save moves it to another conversation). */
  function unlinkMessage(stored: StoredMessage): void {
    const newest = newestMessage.get(stored.conversationId);
    if (newest === stored) {
      if (stored.older) newestMessage.set(stored.conversationId, stored.older);
      else newestMessage.delete(stored.conversationId);
      return;
    }
    for (let newer = newest; newer; newer = newer.older) {
      if (newer.older === stored) {
        newer.older = stored.older;
        return;
      }
    }
  }

  function linkMessage(stored: StoredMessage): void {
    stored.older = newestMessage.get(stored.conversationId);
    newestMessage.set(stored.conversationId, stored);
  }

  function readRecord<T>(namespace: string, key: string): T | undefined {
    const value = records.get(namespace)?.get(key);
    return value === undefined ? undefined : (copyData(value) as T);
  }

  /** Keeps a copy of a record; `undefined` deletes it, as on every store. */
  function writeRecord(namespace: string, key: string, value: unknown): void {
    if (value === undefined) {
      records.get(namespace)?.delete(key);
      return;
    }
    let space = records.get(namespace);
    if (!space) records.set(namespace, (space = new Map()));
    space.set(key, copyData(value));
  }

  function providerIndex(channel: string): Map<string, StoredMessage> {
    let byChannel = messageByProviderId.get(channel);
    if (!byChannel) messageByProviderId.set(channel, (byChannel = new Map()));
    return byChannel;
  }

  function storeConversation(conversation: Conversation): void {
    const previous = conversations.get(conversation.id);
    if (previous) {
      const contactId = previous.contactId;
      writeConversation(previous, conversation);
      if (contactId !== previous.contactId) {
        unindexConversation(contactId, previous.id);
        indexConversation(previous.contactId, previous.id);
      }
      return;
    }
    const stored = emptyConversation(newestMessage.get(conversation.id)?.conversationId ?? conversation.id);
    writeConversation(stored, conversation);
    stored.contactId = contacts.get(stored.contactId)?.id ?? stored.contactId;
    conversations.set(stored.id, stored);
    indexConversation(stored.contactId, stored.id);
  }

  function newestConversation(contactId: string, channel: string, externalId: string | undefined) {
    const ids = conversationsByContact.get(contactId);
    if (ids === undefined) return undefined;
    const list = typeof ids === 'string' ? [ids] : ids;
    for (let index = list.length - 1; index >= 0; index--) {
      const conversation = conversations.get(list[index] as string);
      if (!conversation || conversation.channel !== channel) continue;
      if (externalId !== undefined && conversation.externalId !== externalId) continue;
      return conversation;
    }
    return undefined;
  }

  function writeContact(contact: Contact): void {
    const previous = contacts.get(contact.id);
    const stored: StoredContact = { id: previous?.id ?? contact.id };
    for (const key of Object.keys(contact)) {
      const value = (contact as Record<string, unknown>)[key];
      if (value !== undefined && key !== 'id') stored[key] = keep(value, previous?.[key]);
    }
    contacts.set(stored.id, stored);
    for (const address of contactAddresses(contact)) contactByAddress.set(address, stored.id);
  }

  return {
    durable: false,
    async saveContact(contact) {
      writeContact(contact);
    },
    async updateContact(id, update) {
      return updateKept(contacts.get(id), contactOut, update, writeContact);
    },
    async getContact(id) {
      const contact = contacts.get(id);
      return contact && contactOut(contact);
    },
    async findContactByAddress(address) {
      let id: string | undefined;
      for (const key of addressLookupKeys(address)) {
        id = contactByAddress.get(key);
        if (id !== undefined) break;
      }
      const contact = id === undefined ? undefined : contacts.get(id);
      return contact && contactOut(contact);
    },

    async mergeContacts(keepId, mergeId, plan) {
      const keep = contacts.get(keepId);
      const merged = contacts.get(mergeId);
      if (!keep || !merged || keepId === mergeId) return undefined;
      const idsOf = (contactId: string) => {
        const ids = conversationsByContact.get(contactId);
        return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
      };
      const mergedIds = idsOf(mergeId);
      const before = [...idsOf(keepId), ...mergedIds].map((id) => conversationOut(conversations.get(id) as StoredConversation));
      const result = plan(contactOut(keep), contactOut(merged), before);
      for (const address of contactAddresses(contactOut(merged)))
        if (contactByAddress.get(address) === mergeId) contactByAddress.delete(address);
      contacts.delete(mergeId);
      writeContact(result.contact);
      for (const conversation of result.conversations) storeConversation(conversation);
      for (const { from, into } of result.folded) {
        const target = conversations.get(into);
        const gone = conversations.get(from);
        if (!target || !gone) continue;
        // One list, oldest first by creation, as if the messages had always been in one conversation.
        const all: StoredMessage[] = [];
        for (const id of [into, from]) {
          for (let stored = newestMessage.get(id); stored; stored = stored.older) all.push(stored);
          newestMessage.delete(id);
        }
        all.sort((a, b) => a.createdAt - b.createdAt);
        for (const stored of all) {
          stored.conversationId = target.id;
          linkMessage(stored);
        }
        conversations.delete(from);
        unindexConversation(gone.contactId, from);
      }
      const keptId = (contacts.get(keepId) as StoredContact).id;
      for (const id of mergedIds) {
        const target = result.folded.find((fold) => fold.from === id)?.into ?? id;
        for (let stored = newestMessage.get(target); stored; stored = stored.older)
          if (stored.contactId === mergeId) stored.contactId = keptId;
      }
      return result;
    },
    async saveConversation(conversation) {
      storeConversation(conversation);
    },
    async getConversation(id) {
      const conversation = conversations.get(id);
      return conversation && conversationOut(conversation);
    },
    async findConversation(contactId, channel, externalId) {
      const conversation = newestConversation(contactId, channel, externalId);
      return conversation && conversationOut(conversation);
    },
    async openConversation(contactId, channel, externalId, update) {
      return updateKept(newestConversation(contactId, channel, externalId), conversationOut, update, storeConversation);
    },
    async updateConversation(id, update) {
      return updateKept(conversations.get(id), conversationOut, update, storeConversation);
    },
    async listConversations(query: ConversationQuery = {}) {
      const result: Conversation[] = [];
      for (const conversation of conversations.values()) {
        if (query.status && conversation.status !== query.status) continue;
        if (query.channel && conversation.channel !== query.channel) continue;
        if (query.assignee && conversation.assignee !== query.assignee) continue;
        if (query.handler && conversation.handler !== query.handler) continue;
        if (query.contactId && conversation.contactId !== query.contactId) continue;
        const out = conversationOut(conversation);
        if (query.branchId && out.branchId !== query.branchId) continue;
        result.push(out);
      }
      result.sort((a, b) => b.updatedAt - a.updatedAt);
      return query.limit ? result.slice(0, query.limit) : result;
    },

    async saveMessage(message) {
      const conversation = conversations.get(message.conversationId);
      let stored = messages.get(message.id);
      if (stored) {
        const { conversationId, channel, providerMessageId } = stored;
        if (providerMessageId !== undefined && (providerMessageId !== message.providerMessageId || channel !== message.channel)) {
          const byChannel = messageByProviderId.get(channel);
          if (byChannel?.get(providerMessageId) === stored) byChannel.delete(providerMessageId);
        }
        writeMessage(stored, message, conversation);
        if (conversationId !== message.conversationId) {
          unlinkMessage(stored);
          stored.conversationId = conversation?.id ?? conversationIdOf(message.conversationId);
          linkMessage(stored);
        }
      } else {
        stored = emptyMessage(message.id, conversation?.id ?? conversationIdOf(message.conversationId));
        writeMessage(stored, message, conversation);
        messages.set(stored.id, stored);
        linkMessage(stored);
      }
      if (stored.providerMessageId !== undefined) providerIndex(stored.channel).set(stored.providerMessageId, stored);
      if (stored.direction === 'outbound' && stored.status === 'queued') queued.add(stored.id);
      else queued.delete(stored.id);
    },
    async getMessage(id) {
      const message = messages.get(id);
      return message && messageOut(message);
    },
    async findMessageByProviderId(channel, providerMessageId) {
      const message = messageByProviderId.get(channel)?.get(providerMessageId);
      return message && messageOut(message);
    },
    async listMessages(conversationId, options = {}) {
      const result: Message[] = [];
      const limit = options.limit || Number.POSITIVE_INFINITY;
      for (let stored = newestMessage.get(conversationId); stored && result.length < limit; stored = stored.older)
        result.push(messageOut(stored));
      return result.reverse();
    },
    async listQueuedMessages(limit = 1000) {
      return [...queued].slice(0, limit).map((id) => messageOut(messages.get(id) as StoredMessage));
    },

    async claimIdempotencyKey(key, messageId) {
      const existing = idempotencyKeys.get(key);
      if (existing !== undefined) return existing;
      idempotencyKeys.set(key, messageId);
      return undefined;
    },
    async markWebhookSeen(key, at) {
      if (webhookKeys.has(key)) return false;
      if (webhookKeys.size === 0) oldestWebhookKeyAt = at;
      webhookKeys.set(key, at);
      // Keys come roughly in time order: forget from the oldest end while they are past the retention (checked
      // against the oldest key's time first, so the usual call walks nothing).
      if (oldestWebhookKeyAt < at - webhookKeyTtlMs) {
        for (const [oldKey, seenAt] of webhookKeys) {
          if (seenAt >= at - webhookKeyTtlMs) {
            oldestWebhookKeyAt = seenAt;
            break;
          }
          webhookKeys.delete(oldKey);
        }
      }
      return true;
    },

    async forgetWebhookKey(key) {
      webhookKeys.delete(key);
    },

    async scheduleJob(job) {
      jobs.set(job.id, structuredClone(job));
      if (job.status !== 'pending') return;
      for (const listener of [...jobWatchers]) {
        try {
          listener(job.runAt, job.kind);
        } catch {
          // A watcher's failure is not the scheduler's: the job is stored.
        }
      }
    },
    watchJobs(listener) {
      // A new reference per call, so watching twice with one function needs two unwatch calls.
      const watcher = (runAt: number, kind: string) => listener(runAt, kind);
      jobWatchers.add(watcher);
      return () => {
        jobWatchers.delete(watcher);
      };
    },
    async getJob(id) {
      const job = jobs.get(id);
      return job && structuredClone(job);
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
      return due.map((job) => structuredClone(job));
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
      writeRecord(namespace, key, value);
    },
    async getRecord<T>(namespace: string, key: string) {
      return readRecord<T>(namespace, key);
    },
    async listRecords<T>(namespace: string, prefix = '') {
      const space = records.get(namespace);
      if (!space) return [];
      return [...space.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => ({ key, value: copyData(value) as T }));
    },
    async updateRecord<T>(namespace: string, key: string, update: (current: T | undefined) => T | undefined) {
      // Read, update and write in one synchronous step: nothing else runs in between.
      const next = update(readRecord<T>(namespace, key));
      writeRecord(namespace, key, next);
      return next === undefined ? undefined : copyData(next);
    },
  };
}
