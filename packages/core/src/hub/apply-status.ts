import type { Channel, StatusEvent } from '../channel.js';
import { canTransition } from '../model/message-status.js';
import { sameData } from '../store/same-data.js';
import type { HubContext } from './context.js';
import { failureReason, recordReach, recordUnreachable } from './reach-stats.js';
import { storeNamespaces } from './store-namespaces.js';

/** A status waiting for its message, with when it was parked. */
type ParkedStatus = StatusEvent & { parkedAt: number };
/** Parked statuses are swept for expired ones once per this many parks. */
const parkedSweepEvery = 256;

/**
 * Applies a provider's status to its message, forward only (a late `delivered` after `read` changes nothing but the
 * first time seen). A status for a provider id not yet known is parked: the provider's HTTP answer for that send may
 * still be on its way (see applyParked).
 */
export async function applyStatus(hub: HubContext, channel: Channel, event: StatusEvent): Promise<void> {
  const { store } = hub;
  const message = await store.findMessageByProviderId(channel.id, event.providerMessageId);
  if (!message) return parkStatus(hub, channel, event);
  if (!canTransition(message.status, event.status)) {
    // A complaint or bounce after `delivered` cannot move the message back, but it still tells us about the person.
    if (event.status === 'failed' && event.error?.reason)
      await recordUnreachable(hub, channel, message.contactId, event.error.reason);
    // Not a transition (duplicate or late), but keep the first time each status was seen for reports.
    if (message.statusTimes?.[event.status] === undefined && event.status !== 'failed' && message.status !== 'failed') {
      await store.saveMessage({ ...message, statusTimes: { ...message.statusTimes, [event.status]: event.at } });
    }
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
  hub.events.emit('message.status', { message: updated, previous });
  if (event.status === 'failed') hub.events.emit('message.failed', { message: updated, error: undefined });
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
  // Now and then, drop what waited too long (a sweep reads every parked record, so not on every park).
  if (++hub.sweeps.parkedSinceSweep >= parkedSweepEvery) {
    hub.sweeps.parkedSinceSweep = 0;
    await sweepParked(hub);
  }
  // The sender may have saved the message and looked for parked statuses while this one was being parked.
  if (
    (await hub.store.findMessageByProviderId(channel.id, event.providerMessageId)) &&
    (await applyParked(hub, channel, event.providerMessageId))
  )
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
}

/** True when merging `update` into `target` (`{ ...target, ...update }`) would leave the same plain data. */
function coversData(target: Record<string, unknown> | undefined, update: Record<string, unknown>): boolean {
  for (const key in update) if (Object.hasOwn(update, key) && !sameData(target?.[key], update[key])) return false;
  return true;
}
