import { createId } from '../id.js';
import type { Message } from '../model/message.js';
import type { HubContext } from './context.js';
import { dispatch, recordUnconfirmed } from './dispatch.js';
import { trackInFlight } from './send.js';
import { withStatus } from './status-change.js';
import { storeNamespaces } from './store-namespaces.js';
import type { ResumeOutboxOptions } from './types.js';

/** A machine's hold on a message it resumes (record `outbox-claim/<message id>`). */
interface OutboxClaim {
  token: string;
  until: number;
}

/**
 * Finishes outbound messages a crash left `queued`. One whose provider call never started is sent now; one whose call
 * had started is recorded sent, unconfirmed (at most once), unless the channel or the caller says to resend.
 *
 * Several machines may run it at once: each message is first claimed in the store (`updateRecord`, atomic across the
 * processes sharing it) with a lease of `claimMs`, then read again, and resumed only if it is still queued; the claim
 * is released once the message is finished. A message another machine holds is left to it.
 */
export async function resumeOutbox(hub: HubContext, options: ResumeOutboxOptions): Promise<Message[]> {
  const { store, clock } = hub;
  const cutoff = clock.now() - (options.olderThanMs ?? 60_000);
  const claimMs = options.claimMs ?? 600_000;
  await dropOrphanedClaims(hub);
  const queued = (await store.listQueuedMessages(options.limit ?? 1000)).filter(
    (message) => message.direction === 'outbound' && message.createdAt <= cutoff && !hub.inFlightIds.has(message.id),
  );
  const results: Message[] = [];
  for (const listed of queued) {
    const token = createId('resume');
    const now = clock.now();
    const claim = await store.updateRecord<OutboxClaim>(storeNamespaces.outboxClaim, listed.id, (current) =>
      current !== undefined && current.until > now ? current : { token, until: now + claimMs },
    );
    if (claim?.token !== token) {
      hub.logger.info({ id: listed.id }, 'outbox: another process is resuming this message; left to it');
      continue;
    }
    try {
      // Read again under the claim: another machine may have finished it since the list was read.
      const message = await store.getMessage(listed.id);
      if (message?.direction !== 'outbound' || message.status !== 'queued') continue;
      const result = await resumeOne(hub, options, message);
      if (result) results.push(result);
    } finally {
      await store.updateRecord<OutboxClaim>(storeNamespaces.outboxClaim, listed.id, (current) =>
        current?.token === token ? undefined : current,
      );
    }
  }
  return results;
}

/**
 * Deletes the claims a process left when it died between finishing a message and releasing its claim: lease run out,
 * message no longer queued. (A claim on a still-queued message is taken over above, and released then.)
 */
async function dropOrphanedClaims(hub: HubContext): Promise<void> {
  const { store, clock } = hub;
  const now = clock.now();
  for (const { key, value } of await store.listRecords<OutboxClaim>(storeNamespaces.outboxClaim)) {
    if (value.until > now) continue;
    const message = await store.getMessage(key);
    if (message?.status === 'queued') continue;
    // Deleted only if nobody claimed it again meanwhile.
    await store.updateRecord<OutboxClaim>(storeNamespaces.outboxClaim, key, (current) =>
      current !== undefined && current.until > now ? current : undefined,
    );
  }
}

/** Resumes one queued message this process holds the claim of; undefined when it cannot be resumed. */
async function resumeOne(hub: HubContext, options: ResumeOutboxOptions, message: Message): Promise<Message | undefined> {
  const { store, clock } = hub;
  const channel = hub.channels.get(message.channel);
  const contact = await store.getContact(message.contactId);
  const conversation = await store.getConversation(message.conversationId);
  if (!channel || !contact || !conversation) {
    hub.logger.warn({ id: message.id }, 'outbox: cannot resume a message whose channel, contact or conversation is gone');
    return undefined;
  }
  const interrupted = options.interrupted ?? channel.capabilities.interruptedSend ?? 'assume-sent';
  if (message.dispatchedAt !== undefined && interrupted === 'assume-sent') {
    hub.logger.warn(
      {
        id: message.id,
      },
      `${channel.id}: outbox: the provider call had started before the crash; not resending`,
    );
    return recordUnconfirmed(hub, channel, message, { unconfirmed: true, interrupted: true });
  }
  const reach = channel.canReach({ contact, content: message.content, now: clock.now(), conversation });
  if (!reach.reachable) {
    const failed = withStatus(message, 'failed', clock.now(), {
      error: { code: reach.reason, message: reach.detail, retryable: false },
    });
    await store.saveMessage(failed);
    hub.events.emit('message.failed', { message: failed, error: undefined });
    return failed;
  }
  return trackInFlight(hub, message.id, dispatch(hub, channel, message, contact, conversation, reach.address));
}
