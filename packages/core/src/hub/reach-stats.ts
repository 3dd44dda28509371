import type { Channel } from '../channel.js';
import { UnreachableRecipientError } from '../errors/unreachable-recipient-error.js';
import { recordOptOut } from './consent.js';
import type { HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';
import type { ReachStats } from './types.js';

/** Counts a delivery or a failure of a message to a contact on a channel (what the cascade weights plans with). */
export async function recordReach(
  hub: HubContext,
  contactId: string,
  channelId: string,
  outcome: 'delivered' | 'failed',
  failure?: string,
): Promise<void> {
  const failedAt = hub.clock.now();
  // Atomic: two outcomes for one contact and channel (a webhook batch, several workers) both count.
  await hub.store.updateRecord<ReachStats>(storeNamespaces.reach, `${contactId}:${channelId}`, (current) => {
    const stats = current ?? { delivered: 0, failed: 0 };
    if (outcome === 'delivered') stats.delivered += 1;
    else {
      stats.failed += 1;
      if (failure) {
        stats.lastFailure = failure;
        stats.lastFailureAt = failedAt;
      }
    }
    return stats;
  });
}

export async function reachStats(hub: HubContext, contactId: string, channelId: string): Promise<ReachStats> {
  return (
    (await hub.store.getRecord<ReachStats>(storeNamespaces.reach, `${contactId}:${channelId}`)) ?? { delivered: 0, failed: 0 }
  );
}

/** The reason a failure is counted under in reach stats (`not_on_channel`, `opted_out`, an error code…). */
export function failureReason(
  error: { code: string; providerCode?: string | number | undefined; reason?: string | undefined } | undefined,
  fromError?: unknown,
): string | undefined {
  if (fromError instanceof UnreachableRecipientError) return fromError.reason;
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
