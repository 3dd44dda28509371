import type { Channel, StatusEvent } from '../channel.js';
import type { Message } from '../model/message.js';
import { canTransition } from '../model/message-status.js';
import { sameData } from '../store/same-data.js';
import type { HubContext } from './context.js';
import { failureReason, recordReach, recordUnreachable } from './reach-stats.js';
import { storeNamespaces } from './store-namespaces.js';

/** A status waiting for its message, with when it was parked. */
type ParkedStatus = StatusEvent & { parkedAt: number };
/** Where a status that named our message id was parked (see parkStatus). */
type ParkedPointer = { providerMessageId: string; parkedAt: number };
/** Parked statuses are swept for expired ones once per this many parks. */
const parkedSweepEvery = 256;

/**
 * Applies a provider's status to its message, forward only (a late `delivered` after `read` changes nothing but the
 * first time seen). A status for a provider id not yet known is parked: the provider's HTTP answer for that send may
 * still be on its way (see applyParked).
 */
export async function applyStatus(hub: HubContext, channel: Channel, event: StatusEvent): Promise<void> {
  const { store } = hub;
  let message = await findMessage(hub, channel, event.providerMessageId);
  let reconciled = false;
  if (!message && event.messageId !== undefined) {
    message = await reconcilable(hub, channel, event);
    reconciled = message !== undefined;
  }
  if (!message) return parkStatus(hub, channel, event);
  if (event.coversEarlier && event.status === 'read') await readEarlier(hub, channel, message, event.at);
  if (!canTransition(message.status, event.status)) {
    // A complaint or bounce after `delivered` cannot move the message back, but it still tells us about the person.
    if (event.status === 'failed' && event.error?.reason)
      await recordUnreachable(hub, channel, message.contactId, event.error.reason);
    // Not a transition (duplicate or late), but keep the first time each status was seen for reports.
    if (message.statusTimes?.[event.status] === undefined && event.status !== 'failed' && message.status !== 'failed') {
      await store.saveMessage({ ...message, statusTimes: { ...message.statusTimes, [event.status]: event.at } });
    } else if (reconciled) {
      await store.saveMessage(message);
    }
    if (reconciled) await afterReconcile(hub, channel, message);
    return;
  }
  const previous = message.status;
  // The store handed out a copy: it is ours to update (in place: this runs for every status webhook).
  const updated = message;
  const statusTimes = { ...message.statusTimes, [event.status]: event.at };
  // A status that skipped steps implies them (read implies delivered).
  if (event.status === 'read' && statusTimes.delivered === undefined) statusTimes.delivered = event.at;
  updated.status = event.status;
  updated.updatedAt = hub.clock.now();
  updated.statusTimes = statusTimes;
  // Repeated pricing (read after delivered) leaves the stored values as they are, so the store need not copy them.
  if (event.cost && !sameData(message.cost, event.cost)) updated.cost = event.cost;
  if (event.error) updated.error = event.error;
  if (event.metadata && !coversData(message.metadata, event.metadata))
    updated.metadata = { ...message.metadata, ...event.metadata };
  await store.saveMessage(updated);
  if (event.status === 'delivered') {
    await recordReach(hub, message.contactId, channel.id, 'delivered');
  } else if (event.status === 'read') {
    await recordReach(hub, message.contactId, channel.id, 'read', undefined, { alsoDelivered: previous !== 'delivered' });
  } else if (event.status === 'failed') {
    if (event.error?.reason) await recordUnreachable(hub, channel, message.contactId, event.error.reason);
    else await recordReach(hub, message.contactId, channel.id, 'failed', failureReason(event.error));
  }
  // Emitted once everything above is stored.
  if (reconciled) await afterReconcile(hub, channel, updated);
  hub.events.emit('message.status', { message: updated, previous });
  if (event.status === 'failed') hub.events.emit('message.failed', { message: updated, error: undefined });
}

/** How far back a read that covers earlier messages looks in the conversation (see StatusEvent.coversEarlier). */
const earlierReadsLimit = 50;

/**
 * The outbound messages of `message`'s conversation on this channel sent before it and not read yet: each gets the
 * read too (a status of its own, so reach statistics and `message.status` events follow as for any read).
 */
async function readEarlier(hub: HubContext, channel: Channel, message: Message, at: number): Promise<void> {
  const messages = await hub.store.listMessages(message.conversationId, { limit: earlierReadsLimit });
  for (const earlier of messages) {
    if (earlier.id === message.id) break;
    if (
      earlier.direction === 'outbound' &&
      earlier.channel === channel.id &&
      earlier.providerMessageId !== undefined &&
      canTransition(earlier.status, 'read')
    )
      await applyStatus(hub, channel, { type: 'status', providerMessageId: earlier.providerMessageId, status: 'read', at });
  }
}

/** The message with this provider id, or with the id a provider alias leads to (Amazon SES's own message id). */
async function findMessage(hub: HubContext, channel: Channel, providerMessageId: string): Promise<Message | undefined> {
  const message = await hub.store.findMessageByProviderId(channel.id, providerMessageId);
  if (message) return message;
  const alias = await hub.store.getRecord<string>(storeNamespaces.providerAlias, `${channel.id}:${providerMessageId}`);
  return alias === undefined ? undefined : hub.store.findMessageByProviderId(channel.id, alias);
}

/**
 * The message a status names by our own id (`event.messageId`), with the provider's id filled in, when it is an
 * outbound message of this channel recorded sent without a provider id (unconfirmed). Undefined otherwise: a
 * message still `queued` is being sent (the status is parked for its sender), and one with another provider id is
 * never taken over.
 */
async function reconcilable(hub: HubContext, channel: Channel, event: StatusEvent): Promise<Message | undefined> {
  const message = await hub.store.getMessage(event.messageId as string);
  if (!message || message.channel !== channel.id || message.direction !== 'outbound') return undefined;
  if (message.providerMessageId !== undefined) {
    if (message.providerMessageId !== event.providerMessageId)
      hub.logger.warn(
        { id: message.id },
        `${channel.id}: a status names this message but carries another provider id; left unmatched`,
      );
    return undefined;
  }
  if (message.status === 'queued') return undefined;
  const { unconfirmed: _, ...metadata } = message.metadata ?? {};
  // The store handed out a copy: it is ours to change. `applyStatus` stores it.
  message.providerMessageId = event.providerMessageId;
  message.metadata = { ...metadata, reconciled: true };
  return message;
}

/** A message just reconciled: `message.reconciled`, then the statuses parked for its provider id. */
async function afterReconcile(hub: HubContext, channel: Channel, message: Message): Promise<void> {
  const providerMessageId = message.providerMessageId as string;
  hub.logger.info({ id: message.id }, `${channel.id}: unconfirmed send reconciled with the provider's id`);
  hub.events.emit('message.reconciled', { message, providerMessageId });
  await applyParked(hub, channel, providerMessageId);
}

/**
 * A send was just recorded without the provider's id (unconfirmed): applies what was parked for it while it was
 * still `queued`, when a parked status named it by our id (see parkStatus).
 */
export async function applyParkedForMessage(hub: HubContext, channel: Channel, messageId: string): Promise<boolean> {
  const key = `${channel.id}:${messageId}`;
  const pointer = await hub.store.getRecord<ParkedPointer>(storeNamespaces.parkedForMessage, key);
  if (pointer === undefined) return false;
  await hub.store.updateRecord<ParkedPointer>(storeNamespaces.parkedForMessage, key, () => undefined);
  return applyParked(hub, channel, pointer.providerMessageId);
}

/**
 * Applies the statuses parked for a provider id. They are taken and deleted in one atomic step, so when the sender
 * and a webhook both look, exactly one of them applies each status. Resolves with whether there were any.
 */
export async function applyParked(hub: HubContext, channel: Channel, providerMessageId: string): Promise<boolean> {
  const key = `${channel.id}:${providerMessageId}`;
  // A plain read first: nearly always nothing is parked, and the atomic take is a write (a commit on a durable
  // store). Seeing nothing is safe — a status parked after this read finds the message already saved and applies
  // itself (see parkStatus).
  if ((await hub.store.getRecord<ParkedStatus[]>(storeNamespaces.parkedStatus, key)) === undefined) return false;
  let parked: ParkedStatus[] | undefined;
  await hub.store.updateRecord<ParkedStatus[]>(storeNamespaces.parkedStatus, key, (current) => {
    parked = current;
    return undefined;
  });
  const events: ParkedStatus[] = parked ?? [];
  for (const { parkedAt: _, ...event } of events) await applyStatus(hub, channel, event);
  return events.length > 0;
}

async function parkStatus(hub: HubContext, channel: Channel, event: StatusEvent): Promise<void> {
  const key = `${channel.id}:${event.providerMessageId}`;
  const entry: ParkedStatus = { ...event, parkedAt: hub.clock.now() };
  await hub.store.updateRecord<ParkedStatus[]>(storeNamespaces.parkedStatus, key, (parked) => [...(parked ?? []), entry]);
  if (event.messageId !== undefined) {
    // Its message may be `queued` with its provider call cut short by a crash: once the outbox resume records it
    // sent, unconfirmed, it looks here (applyParkedForMessage). Written before the look below, as the resume saves
    // before it looks: one of the two sees the other.
    const pointer: ParkedPointer = { providerMessageId: event.providerMessageId, parkedAt: entry.parkedAt };
    await hub.store.putRecord(storeNamespaces.parkedForMessage, `${channel.id}:${event.messageId}`, pointer);
    const named = await hub.store.getMessage(event.messageId);
    if (
      named?.channel === channel.id &&
      named.status !== 'queued' &&
      named.providerMessageId === undefined &&
      (await applyParked(hub, channel, event.providerMessageId))
    )
      return;
  }
  // Now and then, drop what waited too long (a sweep reads every parked record, so not on every park).
  if (++hub.sweeps.parkedSinceSweep >= parkedSweepEvery) {
    hub.sweeps.parkedSinceSweep = 0;
    await sweepParked(hub);
  }
  // The sender may have saved the message and looked for parked statuses while this one was being parked.
  if ((await findMessage(hub, channel, event.providerMessageId)) && (await applyParked(hub, channel, event.providerMessageId)))
    return;
  hub.events.emit('message.status.unmatched', {
    channel: channel.id,
    providerMessageId: event.providerMessageId,
    status: event.status,
  });
}

/** Drops parked statuses older than `parkedStatusTtlMs`: their message was never sent by this hub. */
async function sweepParked(hub: HubContext): Promise<void> {
  const cutoff = hub.clock.now() - hub.parkedStatusTtlMs;
  // Statuses parked by an older version carry no time: they count as expired.
  const expired = (parked: ParkedStatus[] | undefined) => parked?.every((event) => (event.parkedAt ?? 0) < cutoff) === true;
  for (const { key, value } of await hub.store.listRecords<ParkedStatus[]>(storeNamespaces.parkedStatus)) {
    if (expired(value))
      await hub.store.updateRecord<ParkedStatus[]>(storeNamespaces.parkedStatus, key, (current) =>
        expired(current) ? undefined : current,
      );
  }
  for (const { key, value } of await hub.store.listRecords<ParkedPointer>(storeNamespaces.parkedForMessage)) {
    if (value.parkedAt < cutoff)
      await hub.store.updateRecord<ParkedPointer>(storeNamespaces.parkedForMessage, key, (current) =>
        current && current.parkedAt < cutoff ? undefined : current,
      );
  }
}

/** True when merging `update` into `target` (`{ ...target, ...update }`) would leave the same plain data. */
function coversData(target: Record<string, unknown> | undefined, update: Record<string, unknown>): boolean {
  for (const key in update) if (Object.hasOwn(update, key) && !sameData(target?.[key], update[key])) return false;
  return true;
}
