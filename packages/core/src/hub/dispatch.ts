import type { Channel, OutboundMessage, SendResult } from '../channel.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import type { Contact } from '../model/contact.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import { withRetry } from '../runtime/retry.js';
import { applyParked, applyParkedForMessage } from './apply-status.js';
import { rewriteContact } from './contacts.js';
import { type HubContext, limiterOf } from './context.js';
import { rewriteConversation } from './conversations.js';
import { releaseFrequency } from './frequency-cap.js';
import { failureReason, recordReach, recordUnreachable } from './reach-stats.js';
import { conversationWaitedMs, recordResponse } from './sla-records.js';
import { withStatus } from './status-change.js';
import { storeNamespaces } from './store-namespaces.js';

/**
 * Calls the provider for a message already in the outbox (`queued`), under the channel's rate limit and the retry
 * policy, and records the outcome. Once the provider accepted the message it is `sent`, whatever happens after: a
 * bookkeeping write that fails or a listener that throws is logged and reported on `error`, never turned into a
 * failure (a cascade would then send a second message to the person).
 */
export async function dispatch(
  hub: HubContext,
  channel: Channel,
  queued: Message,
  contact: Contact,
  conversation: Conversation,
  to: string,
  /** `queued` is not stored yet: its outbox write is made here (see {@link dispatch}'s body). */
  unstored = false,
): Promise<Message> {
  let message = queued;
  const outbound: OutboundMessage = {
    id: message.id,
    to,
    contact,
    content: message.content,
    conversation,
  };
  if (message.replyTo) outbound.replyTo = message.replyTo;
  const limiter = limiterOf(hub, channel);
  // The outbox write of a new message. When the limiter starts the call at once (inside `limiter.schedule`, before
  // it returns: the in-process limiter with room does), the row is written with its dispatch mark in ONE commit and
  // the call follows it with nothing but microtasks in between, exactly as it follows the separate mark today: a crash
  // after that commit leaves `dispatchedAt` set, "the call may have started", which is what the outbox resume must
  // assume at that point either way. When the limiter makes the call wait (a rate limit, a shared limiter that asks
  // Redis), the row is written at once WITHOUT the mark, and the mark is written on its own when the call starts: a
  // crash during the wait leaves a row without mark, "the call never started", which the resume sends. So
  // `dispatchedAt` still means exactly what resume-outbox.ts reads in it.
  let outbox: Promise<void> | undefined;
  const call = withRetry(
    () =>
      limiter.schedule(to, async () => {
        if (unstored && outbox === undefined) {
          if (hub.durable) message = Object.assign({}, message, { dispatchedAt: hub.clock.now() });
          outbox = hub.store.saveMessage(message);
        }
        if (outbox) await outbox.catch(abortCall);
        if (hub.durable && message.dispatchedAt === undefined) {
          // Committed before the call: after a crash the outbox knows the provider may already have it.
          message = Object.assign({}, message, { dispatchedAt: hub.clock.now() });
          await hub.store.saveMessage(message);
        }
        return channel.doSend(outbound, {});
      }),
    hub.options.retry,
    (error, attempt) =>
      hub.logger.warn(
        {
          code: error.code,
          providerCode: error.providerCode,
        },
        `${channel.id}: attempt ${attempt} failed, retrying`,
      ),
  );
  // Handled here so a call cancelled with its outbox write (below) is never an unhandled rejection; awaited below.
  call.catch(() => undefined);
  if (unstored && outbox === undefined) outbox = hub.store.saveMessage(message);
  // The send settles only once its outbox row is written, and fails as it always has when that write fails: the
  // provider is then not called (a call waiting in the limiter is cancelled by `abortCall`).
  if (outbox) await outbox;
  let result: SendResult;
  try {
    result = await call;
  } catch (error) {
    return recordRefused(hub, channel, message, contact, error);
  }
  return recordAccepted(hub, channel, message, contact, conversation, result);
}

/** Inside the limiter's slot, when the outbox write failed: the provider is not called, and nothing retries. */
function abortCall(): never {
  throw new OutboxWriteFailed();
}

/** Thrown inside the limiter's slot when the outbox write failed: the provider is not called (not retryable). */
class OutboxWriteFailed extends Error {
  override readonly name = 'OutboxWriteFailed';
}

/** The provider accepted the message: it is stored `sent` with the bookkeeping, then `message.sent` is emitted. */
async function recordAccepted(
  hub: HubContext,
  channel: Channel,
  message: Message,
  contact: Contact,
  conversation: Conversation,
  result: SendResult,
): Promise<Message> {
  const now = hub.clock.now();
  const changes: Partial<Message> = { providerMessageId: result.providerMessageId };
  if (result.cost) changes.cost = result.cost;
  const sent = withStatus(message, result.status, now, changes);
  // The message and the bookkeeping (a reach record, the contact, the conversation) are different keys: they are
  // written at once, so a durable store that batches them commits them together instead of one after the other.
  await Promise.all([
    // If this fails, the store keeps it `queued` with its dispatch mark: the outbox resume will not send it twice.
    hub.store.saveMessage(sent).catch((error: unknown) => hub.events.report(`${channel.id}: saving a sent message`, error)),
    // The trials of the cascade's reach model: what it learns a contact reads or gets is counted against these.
    recordReach(hub, contact.id, channel.id, 'sent').catch((error: unknown) =>
      hub.events.report(`${channel.id}: counting a sent message in reach stats`, error),
    ),
    recordCanonicalAddress(hub, channel, contact, result).catch((error: unknown) =>
      hub.events.report(`${channel.id}: recording a sent message's canonical address`, error),
    ),
    recordAfterSend(hub, sent, conversation, now).catch((error: unknown) =>
      hub.events.report(`${channel.id}: recording a sent message's conversation and response time`, error),
    ),
  ]);
  hub.events.emit('message.sent', { message: sent });
  // A status webhook may have raced ahead of the provider's HTTP answer: apply what was parked for this id.
  try {
    let applied = await applyParked(hub, channel, result.providerMessageId);
    for (const alias of result.alternateProviderMessageIds ?? []) {
      // Kept for good: a complaint can come weeks later. Written after the message, so a status that finds it finds the message.
      if (alias !== result.providerMessageId) {
        await hub.store.putRecord(storeNamespaces.providerAlias, `${channel.id}:${alias}`, result.providerMessageId);
        applied = (await applyParked(hub, channel, alias)) || applied;
      }
    }
    if (applied) return (await hub.store.getMessage(message.id)) ?? sent;
  } catch (error) {
    hub.events.report(`${channel.id}: applying statuses parked for a sent message`, error);
  }
  return sent;
}

/** The contact's canonical address on the channel, as the provider answered it (a WhatsApp wa_id). */
async function recordCanonicalAddress(hub: HubContext, channel: Channel, contact: Contact, result: SendResult): Promise<void> {
  const address = result.canonicalAddress;
  if (address && channel.capabilities.address === 'phone' && contact.identities?.[channel.kind] !== address) {
    // Read again: `contact` is from before the provider call, and an opt-out may have come in since.
    await rewriteContact(hub, contact.id, (stored = contact) =>
      stored.identities?.[channel.kind] === address
        ? undefined
        : Object.assign({}, stored, { identities: Object.assign({}, stored.identities, { [channel.kind]: address }) }),
    );
  }
}

/** The conversation's reply timer and the SLA record after a send. */
async function recordAfterSend(hub: HubContext, sent: Message, conversation: Conversation, now: number): Promise<void> {
  const { current: fresh } = await rewriteConversation(hub, conversation, (fresh) => {
    // Copied key by key, not `{ ...rest, key }` (V8's slow path on Node 20, see withStatus); same keys, same order.
    const next = {} as Record<string, unknown>;
    for (const key in fresh) {
      if (key !== 'awaitingReplySince' && Object.hasOwn(fresh, key)) next[key] = fresh[key as keyof Conversation];
    }
    next.lastOutboundAt = now;
    if (fresh.firstInboundAt !== undefined && fresh.firstResponseMs === undefined)
      next.firstResponseMs = conversationWaitedMs(hub, fresh, fresh.firstInboundAt, now);
    next.updatedAt = now;
    return next as unknown as Conversation;
  });
  if (fresh.awaitingReplySince !== undefined) await recordResponse(hub, fresh, fresh.awaitingReplySince, sent, now);
}

/** The provider refused the message (or every retry failed): it is stored `failed`, unless its answer was only lost. */
async function recordRefused(
  hub: HubContext,
  channel: Channel,
  message: Message,
  contact: Contact,
  error: unknown,
): Promise<Message> {
  const typed = OmnidealerError.isInstance(error) ? error : undefined;
  if (!typed) hub.logger.error({ error: String(error) }, `${channel.id}: unexpected error while sending`);
  if (typed?.code === 'response_lost') {
    // The provider accepted the send but its answer (with the provider id) was lost. Sending again would deliver
    // twice, so the message counts as sent, unconfirmed; with no id, its statuses cannot be matched and the cascade's
    // deadline decides whether to fall back.
    hub.logger.warn({ id: message.id }, `${channel.id}: provider answer lost after it accepted the message; not resending`);
    return recordUnconfirmed(hub, channel, message, { unconfirmed: true });
  }
  const failed = withStatus(message, 'failed', hub.clock.now(), {
    error: {
      code: typed?.code ?? 'internal',
      message: typed?.message ?? 'unexpected error',
      ...(typed?.providerCode !== undefined ? { providerCode: typed.providerCode } : {}),
      retryable: typed?.retryable ?? false,
    },
  });
  await hub.store.saveMessage(failed);
  const reason = failureReason(failed.error, error);
  // The provider says the person opted out (Twilio 21610, WhatsApp 131050, SMS.ru's stop list): never call it again.
  if (reason === 'opted_out') await recordUnreachable(hub, channel, contact.id, reason);
  else await recordReach(hub, contact.id, channel.id, 'failed', reason);
  await releaseOwnClaim(hub, failed);
  hub.events.emit('message.failed', { message: failed, error: typed });
  return failed;
}

/**
 * A capped send that reached nobody gives its frequency claim back, when the claim is its own (its id or idempotency
 * key); a cascade's claim covers its later steps and is the cascade's to release.
 */
async function releaseOwnClaim(hub: HubContext, message: Message): Promise<void> {
  const claim = message.metadata?.frequencyClaim;
  if (typeof claim === 'string' && (claim === message.id || claim === message.idempotencyKey))
    await releaseFrequency(hub, message.contactId, claim);
}

/**
 * Records a message as sent without the provider's confirmation (its answer was lost, or the process died mid-call):
 * sending again could deliver twice. With no provider id, only a status that names our message id
 * (`StatusEvent.messageId`) can match it, and reconciles it (see applyStatus); statuses that did so while it was
 * still `queued` are applied now. Otherwise a cascade's deadline decides whether to fall back.
 */
export async function recordUnconfirmed(
  hub: HubContext,
  channel: Channel,
  message: Message,
  flags: Record<string, true>,
): Promise<Message> {
  const sent = withStatus(message, 'sent', hub.clock.now(), { metadata: { ...message.metadata, ...flags } });
  await hub.store.saveMessage(sent);
  hub.events.emit('message.sent', { message: sent });
  try {
    if (await applyParkedForMessage(hub, channel, message.id)) return (await hub.store.getMessage(message.id)) ?? sent;
  } catch (error) {
    hub.events.report(`${channel.id}: applying statuses parked for an unconfirmed message`, error);
  }
  return sent;
}
