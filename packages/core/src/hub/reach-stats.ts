import type { Channel } from '../channel.js';
import { UnreachableRecipientError } from '../errors/unreachable-recipient-error.js';
import { recordOptOut } from './consent.js';
import type { HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';
import type { ReachStats } from './types.js';

/** What one call of {@link recordReach} counts. `read` also counts a delivery when `alsoDelivered` is set. */
export type ReachOutcome = 'sent' | 'delivered' | 'read' | 'failed';

function count(stats: ReachStats, outcome: ReachOutcome, at: number, alsoDelivered: boolean): void {
  if (outcome === 'sent') stats.sent = (stats.sent ?? 0) + 1;
  else if (outcome === 'delivered') stats.delivered += 1;
  else if (outcome === 'read') {
    stats.read = (stats.read ?? 0) + 1;
    if (alsoDelivered) stats.delivered += 1;
  } else stats.failed += 1;
  stats.lastAt = at;
}

/**
 * Counts an accepted send, a delivery, a read or a failure of a message to a contact on a channel (what the cascade's
 * reach model learns from). {@link reachTotals} sums them over every contact (the model's prior).
 */
export async function recordReach(
  hub: HubContext,
  contactId: string,
  channelId: string,
  outcome: ReachOutcome,
  failure?: string,
  options: { alsoDelivered?: boolean } = {},
): Promise<void> {
  const at = hub.clock.now();
  const alsoDelivered = options.alsoDelivered === true;
  // Atomic: two outcomes for one contact and channel (a webhook batch, several workers) both count.
  await hub.store.updateRecord<ReachStats>(storeNamespaces.reach, `${contactId}:${channelId}`, (current) => {
    const stats = current ?? { delivered: 0, failed: 0 };
    count(stats, outcome, at, alsoDelivered);
    if (outcome === 'failed' && failure) {
      stats.lastFailure = failure;
      stats.lastFailureAt = at;
    }
    return stats;
  });
}

export async function reachStats(hub: HubContext, contactId: string, channelId: string): Promise<ReachStats> {
  return (
    (await hub.store.getRecord<ReachStats>(storeNamespaces.reach, `${contactId}:${channelId}`)) ?? { delivered: 0, failed: 0 }
  );
}

/**
 * A channel's reach counts summed over every contact, read by scanning the per-contact counts. Not kept as a running
 * total: that would be one record every send and status of the channel writes, a lock all senders queue on. It is
 * the reach model's prior, which moves slowly, so readers cache it (the cascade: `reachTotalsTtlMs`).
 */
export async function reachTotals(hub: HubContext, channelId: string): Promise<ReachStats> {
  const totals: ReachStats = { delivered: 0, failed: 0 };
  const suffix = `:${channelId}`;
  for (const { key, value } of await hub.store.listRecords<ReachStats>(storeNamespaces.reach)) {
    if (!key.endsWith(suffix)) continue;
    totals.delivered += value.delivered;
    totals.failed += value.failed;
    if (value.sent) totals.sent = (totals.sent ?? 0) + value.sent;
    if (value.read) totals.read = (totals.read ?? 0) + value.read;
    if (value.lastAt !== undefined && value.lastAt > (totals.lastAt ?? Number.NEGATIVE_INFINITY)) totals.lastAt = value.lastAt;
  }
  return totals;
}

/** The reason a failure is counted under in reach stats (`not_on_channel`, `opted_out`, an error code…). */
export function failureReason(
  error: { code: string; providerCode?: string | number | undefined; reason?: string | undefined } | undefined,
  fromError?: unknown,
): string | undefined {
  if (UnreachableRecipientError.isInstance(fromError)) return fromError.reason;
  if (!error) return undefined;
  if (error.reason) return error.reason;
  if (error.code === 'unreachable_recipient') return 'not_on_channel';
  return error.code;
}

/** Records a permanent failure for the cascade; an opt-out also becomes the contact's consent on that channel. */
export async function recordUnreachable(hub: HubContext, channel: Channel, contactId: string, reason: string): Promise<void> {
  await recordReach(hub, contactId, channel.id, 'failed', reason);
  if (reason === 'opted_out') await recordOptOut(hub, contactId, [channel.kind], 'provider');
}
