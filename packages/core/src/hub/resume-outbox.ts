import type { Message } from '../model/message.js';
import type { HubContext } from './context.js';
import { dispatch, recordUnconfirmed } from './dispatch.js';
import { trackInFlight } from './send.js';
import { withStatus } from './status-change.js';
import type { ResumeOutboxOptions } from './types.js';

/**
 * Finishes outbound messages a crash left `queued`. One whose provider call never started is sent now; one whose call
 * had started is recorded sent, unconfirmed (at most once), unless the channel or the caller says to resend.
 */
export async function resumeOutbox(hub: HubContext, options: ResumeOutboxOptions): Promise<Message[]> {
  const { store, clock } = hub;
  const cutoff = clock.now() - (options.olderThanMs ?? 60_000);
  const queued = (await store.listQueuedMessages(options.limit ?? 1000)).filter(
    (message) => message.direction === 'outbound' && message.createdAt <= cutoff && !hub.inFlightIds.has(message.id),
  );
  const results: Message[] = [];
  for (const message of queued) {
    const channel = hub.channels.get(message.channel);
    const contact = await store.getContact(message.contactId);
    const conversation = await store.getConversation(message.conversationId);
    if (!channel || !contact || !conversation) {
      hub.logger.warn({ id: message.id }, 'outbox: cannot resume a message whose channel, contact or conversation is gone');
      continue;
    }
    const interrupted = options.interrupted ?? channel.capabilities.interruptedSend ?? 'assume-sent';
    if (message.dispatchedAt !== undefined && interrupted === 'assume-sent') {
      hub.logger.warn(
        {
          id: message.id,
        },
        `${channel.id}: outbox: the provider call had started before the crash; not resending`,
      );
      results.push(await recordUnconfirmed(hub, channel, message, { unconfirmed: true, interrupted: true }));
      continue;
    }
    const reach = channel.canReach({ contact, content: message.content, now: clock.now(), conversation });
    if (!reach.reachable) {
      const failed = withStatus(message, 'failed', clock.now(), {
        error: { code: reach.reason, message: reach.detail, retryable: false },
      });
      await store.saveMessage(failed);
      hub.events.emit('message.failed', { message: failed, error: undefined });
      results.push(failed);
      continue;
    }
    results.push(await trackInFlight(hub, message.id, dispatch(hub, channel, message, contact, conversation, reach.address)));
  }
  return results;
}
