import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import { computeSlaReport, type ResponseRecord, responderOf, type SlaReport, waitedMs } from '../sla.js';
import { timeKey, timeKeyPrefixes } from '../store/time-key.js';
import { branchOf, type HubContext } from './context.js';
import { storeNamespaces } from './store-namespaces.js';

/**
 * Records our reply to a customer who was waiting since `awaitingReplySince` (what the SLA report counts), and
 * starts a background sweep of expired records when one is due.
 */
export async function recordResponse(
  hub: HubContext,
  conversation: Conversation,
  awaitingReplySince: number,
  message: Message,
  now: number,
): Promise<void> {
  const sentBy = message.metadata?.sentBy;
  const response: ResponseRecord = {
    conversationId: conversation.id,
    channel: conversation.channel,
    ...(conversation.branchId !== undefined ? { branchId: conversation.branchId } : {}),
    responder: typeof sentBy === 'string' ? sentBy : responderOf(conversation),
    waitingSince: awaitingReplySince,
    respondedAt: now,
    waitedMs: conversationWaitedMs(hub, conversation, awaitingReplySince, now),
    first: conversation.firstResponseMs === undefined,
  };
  // Keys sort by time, so a report for a period reads a prefix-ordered range.
  await hub.store.putRecord(storeNamespaces.slaResponse, `${timeKey(now)}:${message.id}`, response);
  // In the background: the send does not wait for old records to be deleted.
  const sweeps = hub.sweeps;
  if (sweeps.responseSweep === undefined && expiredResponsesBefore(hub) > sweeps.responsesSweptBefore)
    sweeps.responseSweep = sweepResponses(hub).finally(() => {
      sweeps.responseSweep = undefined;
    });
}

/** How long a conversation's customer waited from `from` to `to`: its branch's working time when it has hours. */
export function conversationWaitedMs(hub: HubContext, conversation: Conversation, from: number, to: number): number {
  return waitedMs(conversation.branchId === undefined ? undefined : hub.branches.get(conversation.branchId), from, to);
}

/** Response-time SLA over the records since `since`, and the chats still waiting; one branch's with `branchId`. */
export async function slaReport(
  hub: HubContext,
  options: { targetMs?: number; since?: number; branchId?: string },
): Promise<SlaReport> {
  const { branchId } = options;
  if (branchId !== undefined) branchOf(hub, branchId);
  const since = options.since ?? 0;
  // Response keys start with their time, zero-padded: every key from `since` to now shares the two times' common
  // prefix, so only that range is read (an index range on a durable store), not every response ever recorded.
  const from = timeKey(since);
  const to = timeKey(hub.clock.now());
  let common = 0;
  while (common < from.length && from[common] === to[common]) common++;
  const responses = (await hub.store.listRecords<ResponseRecord>(storeNamespaces.slaResponse, from.slice(0, common)))
    .map((record) => record.value)
    .filter((response) => response.respondedAt >= since && (branchId === undefined || response.branchId === branchId));
  // The store filters by branch (a store of an earlier version may not: filtered here again).
  const conversations = (
    await hub.store.listConversations(branchId === undefined ? { status: 'open' } : { status: 'open', branchId })
  ).filter((conversation) => branchId === undefined || conversation.branchId === branchId);
  const branches = branchId === undefined ? hub.branches : new Map([[branchId, branchOf(hub, branchId)]]);
  return computeSlaReport({
    responses,
    conversations,
    branches,
    now: hub.clock.now(),
    ...(options.targetMs !== undefined ? { targetMs: options.targetMs } : {}),
  });
}

/** Response records expire in steps of a power of ten ms near 1 % of the retention: few key prefixes per sweep. */
function sweepStepMs(hub: HubContext): number {
  return 10 ** Math.max(0, Math.floor(Math.log10(hub.slaRetentionMs / 100)));
}

/** Response records before this time have expired: the retention ago, rounded down to the sweep step. */
function expiredResponsesBefore(hub: HubContext): number {
  if (hub.slaRetentionMs === Number.POSITIVE_INFINITY) return 0;
  const step = sweepStepMs(hub);
  return Math.floor((hub.clock.now() - hub.slaRetentionMs) / step) * step;
}

/**
 * Deletes response records older than `slaRetentionMs`. Keys start with their time, so only the key range that
 * expired since this process last swept is read (a few index ranges on a durable store); the first sweep of a
 * process reads everything expired, which an earlier process has mostly deleted already. Never throws.
 */
async function sweepResponses(hub: HubContext): Promise<void> {
  const from = hub.sweeps.responsesSweptBefore;
  const before = expiredResponsesBefore(hub);
  hub.sweeps.responsesSweptBefore = before;
  try {
    for (const prefix of timeKeyPrefixes(from, before))
      for (const { key } of await hub.store.listRecords(storeNamespaces.slaResponse, prefix))
        await hub.store.putRecord(storeNamespaces.slaResponse, key, undefined);
  } catch (error) {
    hub.sweeps.responsesSweptBefore = from;
    hub.logger.warn({ error: String(error) }, 'sla: deleting expired response records failed; retrying on a later reply');
  }
}
