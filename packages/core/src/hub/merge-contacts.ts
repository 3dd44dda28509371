import { ValidationError } from '../errors/validation-error.js';
import type { Consent, Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { ContactMerge } from '../store/contact-merge.js';
import type { HubContext } from './context.js';
import { holding } from './key-locks.js';
import { storeNamespaces } from './store-namespaces.js';
import type { MailingRecord, ReachStats } from './types.js';

/** Contact ids the hub makes for a sender nobody knew (`contact_` and 32 hex digits, see createId). */
const hubContactId = /^contact_[0-9a-f]{32}$/;

/** True for a contact id the hub made itself for an unknown sender, which a CRM's own id may replace. */
export function isHubContactId(id: string): boolean {
  return hubContactId.test(id);
}

/**
 * Merges contact `mergeId` into `keepId`: one step on a store with `mergeContacts` (atomic across processes), else
 * step by step under this process's locks. Then reach statistics, mailing history and the consent audit follow, and
 * `mergeId` leads to `keepId` from now on.
 */
export async function mergeContacts(hub: HubContext, keepId: string, mergeId: string): Promise<Contact> {
  if (keepId === mergeId)
    throw new ValidationError({ field: 'mergeId', message: `cannot merge contact "${keepId}" with itself` });
  const [first, second] = [keepId, mergeId].sort() as [string, string];
  const merge = await holding(hub.locks.contacts, first, () =>
    holding(hub.locks.contacts, second, () => applyMerge(hub, keepId, mergeId)),
  );
  if (!merge) {
    const missing = (await hub.store.getContact(keepId)) ? mergeId : keepId;
    throw new ValidationError({ field: missing === keepId ? 'keepId' : 'mergeId', message: `unknown contact "${missing}"` });
  }
  await moveRecords(hub, keepId, mergeId);
  hub.events.emit('contact.merged', { contact: merge.contact, mergedId: mergeId });
  return merge.contact;
}

async function applyMerge(hub: HubContext, keepId: string, mergeId: string): Promise<ContactMerge | undefined> {
  const planner = (keep: Contact, merged: Contact, conversations: Conversation[]) =>
    planContactMerge(keep, merged, conversations);
  if (hub.store.mergeContacts) return hub.store.mergeContacts(keepId, mergeId, planner);
  // A store without the atomic merge: the same writes one by one (atomic within this process only).
  const keep = await hub.store.getContact(keepId);
  const merged = await hub.store.getContact(mergeId);
  if (!keep || !merged) return undefined;
  const conversations = [
    ...(await hub.store.listConversations({ contactId: keepId })),
    ...(await hub.store.listConversations({ contactId: mergeId })),
  ];
  const plan = planContactMerge(keep, merged, conversations);
  await hub.store.saveContact(plan.contact);
  for (const conversation of plan.conversations) await hub.store.saveConversation(conversation);
  for (const conversation of conversations.filter((each) => each.contactId === mergeId)) {
    const into = plan.folded.find((fold) => fold.from === conversation.id)?.into ?? conversation.id;
    for (const message of await hub.store.listMessages(conversation.id))
      await hub.store.saveMessage({ ...message, contactId: keepId, conversationId: into });
  }
  return plan;
}

/** Reach statistics, mailing history and consent audit of `mergeId` join `keepId`'s; `mergeId` becomes an alias. */
async function moveRecords(hub: HubContext, keepId: string, mergeId: string): Promise<void> {
  const { store } = hub;
  for (const channelId of hub.channels.keys()) {
    const from = await store.getRecord<ReachStats>(storeNamespaces.reach, `${mergeId}:${channelId}`);
    if (!from) continue;
    await store.updateRecord<ReachStats>(storeNamespaces.reach, `${keepId}:${channelId}`, (into) => addReach(into, from));
    await store.putRecord(storeNamespaces.reach, `${mergeId}:${channelId}`, undefined);
  }
  const history = await store.getRecord<MailingRecord[]>(storeNamespaces.mailingHistory, mergeId);
  if (history) {
    await store.updateRecord<MailingRecord[]>(storeNamespaces.mailingHistory, keepId, (kept) =>
      [...(kept ?? []), ...history].sort((a, b) => a.at - b.at),
    );
    await store.putRecord(storeNamespaces.mailingHistory, mergeId, undefined);
  }
  for (const { key, value } of await store.listRecords(storeNamespaces.consentAudit, `${mergeId}:`)) {
    await store.putRecord(storeNamespaces.consentAudit, `${keepId}:${key.slice(mergeId.length + 1)}`, {
      ...(value as object),
      contactId: keepId,
      mergedFrom: mergeId,
    });
    await store.putRecord(storeNamespaces.consentAudit, key, undefined);
  }
  await store.putRecord(storeNamespaces.contactAlias, mergeId, keepId);
}

function addReach(into: ReachStats | undefined, from: ReachStats): ReachStats {
  const newer = (into?.lastFailureAt ?? 0) >= (from.lastFailureAt ?? 0) ? into : from;
  return {
    delivered: (into?.delivered ?? 0) + from.delivered,
    failed: (into?.failed ?? 0) + from.failed,
    ...(into?.sent !== undefined || from.sent !== undefined ? { sent: (into?.sent ?? 0) + (from.sent ?? 0) } : {}),
    ...(into?.read !== undefined || from.read !== undefined ? { read: (into?.read ?? 0) + (from.read ?? 0) } : {}),
    ...(into?.lastAt !== undefined || from.lastAt !== undefined ? { lastAt: Math.max(into?.lastAt ?? 0, from.lastAt ?? 0) } : {}),
    ...(newer?.lastFailure ? { lastFailure: newer.lastFailure, lastFailureAt: newer.lastFailureAt } : {}),
  };
}

/** Consent order when two records of one person disagree: an opt-out wins, then a grant, then nothing known. */
const restrictiveness: Record<Consent, number> = { opted_out: 2, granted: 1, unknown: 0 };

/**
 * The merge of two contacts of one person. The kept contact's fields win; the merged one fills what is missing.
 * Identities and tags join; per channel the most restrictive consent wins (an opt-out on either record stays). A
 * conversation of the merged contact on a channel (and thread) where the kept one has one is folded into it: one
 * conversation per contact and channel.
 */
export function planContactMerge(keep: Contact, merged: Contact, conversations: Conversation[]): ContactMerge {
  const contact: Contact = { ...merged, ...keep };
  const identities = { ...merged.identities };
  for (const [key, value] of Object.entries(keep.identities ?? {})) {
    const other = identities[key];
    identities[key] =
      Array.isArray(value) && Array.isArray(other) ? [...new Set([...other, ...value])] : (value as string | string[]);
  }
  if (keep.identities || merged.identities) contact.identities = identities;
  const consent: Record<string, Consent> = { ...merged.consent };
  for (const [channel, state] of Object.entries(keep.consent ?? {})) {
    const other = consent[channel];
    if (other === undefined || restrictiveness[state] >= restrictiveness[other]) consent[channel] = state;
  }
  if (keep.consent || merged.consent) contact.consent = consent;
  if (keep.tags || merged.tags) contact.tags = [...new Set([...(keep.tags ?? []), ...(merged.tags ?? [])])];
  const kept = conversations.filter((conversation) => conversation.contactId === keep.id);
  const saved: Conversation[] = [];
  const folded: ContactMerge['folded'] = [];
  for (const conversation of conversations.filter((each) => each.contactId === merged.id)) {
    const target = kept.find(
      (candidate) => candidate.channel === conversation.channel && candidate.externalId === conversation.externalId,
    );
    if (!target) {
      saved.push({ ...conversation, contactId: keep.id });
      continue;
    }
    const index = saved.indexOf(target);
    const into = foldConversation(index >= 0 ? (saved[index] as Conversation) : target, conversation);
    if (index >= 0) saved[index] = into;
    else saved.push(into);
    kept[kept.indexOf(target)] = into;
    folded.push({ from: conversation.id, into: target.id });
  }
  return { contact, conversations: saved, folded };
}

/** One conversation of two on the same channel: the counters add up, the timers keep the earliest wait. */
function foldConversation(into: Conversation, from: Conversation): Conversation {
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const max = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const newer = from.updatedAt > into.updatedAt ? from : into;
  const folded: Conversation = {
    ...into,
    status: into.status === 'open' || from.status === 'open' ? 'open' : 'closed',
    handler: newer.handler,
    assignments: [...into.assignments, ...from.assignments].sort((a, b) => a.at - b.at),
    unreadCount: into.unreadCount + from.unreadCount,
    createdAt: Math.min(into.createdAt, from.createdAt),
    updatedAt: Math.max(into.updatedAt, from.updatedAt),
  };
  const times = {
    lastInboundAt: max(into.lastInboundAt, from.lastInboundAt),
    lastOutboundAt: max(into.lastOutboundAt, from.lastOutboundAt),
    firstInboundAt: min(into.firstInboundAt, from.firstInboundAt),
    awaitingReplySince: min(into.awaitingReplySince, from.awaitingReplySince),
    firstResponseMs: into.firstResponseMs ?? from.firstResponseMs,
  };
  for (const [key, value] of Object.entries(times)) if (value !== undefined) (folded as Record<string, unknown>)[key] = value;
  const assignee = newer.assignee ?? into.assignee ?? from.assignee;
  const department = newer.department ?? into.department ?? from.department;
  if (assignee) folded.assignee = assignee;
  if (department) folded.department = department;
  if (into.subject || from.subject) folded.subject = { ...from.subject, ...into.subject };
  return folded;
}
