import type { Channel, IdentityEvent, InboundEvent, StatusEvent, WebhookRequest, WebhookResult } from '../channel.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import { applyIdentity } from './apply-identity.js';
import { applyInbound } from './apply-inbound.js';
import { applyStatus } from './apply-status.js';
import { type HubContext, statusLocksOf } from './context.js';
import { identityKeys, senderKey } from './inbound-contact.js';
import { releaseKeyLock, takeKeyLock } from './key-locks.js';
import { channelsOfProvider, routeWebhook } from './route-webhook.js';

/**
 * Handles one provider webhook delivery: body limit (413), the channel's signature check and parsing (401/400), then
 * each event applied once. Answers 500 only when applying failed on our side, so the provider redelivers; a listener
 * that throws never does that (events are emitted guarded, after the state is stored). Never throws.
 *
 * `route` is a channel id, or a provider name (`whatsapp`) naming the route its instances share; a channel id wins
 * when both match, so a channel keeps its route whatever the provider is called. On a provider route each instance
 * claims its part ({@link Channel.claimWebhook}); every owner then verifies and parses the whole request and keeps
 * its part. Every owner parses before any event is applied, so when one refuses the delivery (a bad signature),
 * nothing of it is applied and that refusal is the answer.
 */
export async function handleWebhook(hub: HubContext, route: string, request: Request): Promise<Response> {
  const channel = hub.channels.get(route);
  const shared = channel ? [] : channelsOfProvider(hub, route);
  if (!channel && shared.length === 0) return new Response('unknown channel', { status: 404 });
  // Who a refusal is reported for: the channel, or on a provider route the owner whose parsing refused it.
  let current = channel?.id ?? route;
  try {
    const body = await readBody(request, hub.bodyLimitBytes);
    if (!body)
      throw new WebhookError({
        channel: channel?.kind ?? route,
        kind: 'too_large',
        message: `webhook body over ${hub.bodyLimitBytes} bytes`,
      });
    const webhookRequest: WebhookRequest = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body,
    };
    let owners: Channel[] = channel ? [channel] : [];
    let unrouted: string[] = [];
    if (!channel) {
      ({ owners, unrouted } = routeWebhook(shared, webhookRequest));
      if (owners.length === 0) {
        // 404, not 200: nothing of the delivery was applied, and providers keep a refused delivery and retry it
        // (Meta for up to 7 days), so an account added to the hub meanwhile still gets it; a 200 would drop it.
        reportUnrouted(hub, route, unrouted, 404);
        return new Response('no channel for this account', { status: 404 });
      }
    }
    const parsed: Array<{ channel: Channel; result: WebhookResult }> = [];
    for (const owner of owners) {
      current = owner.id;
      parsed.push({ channel: owner, result: await owner.parseWebhook(webhookRequest) });
    }
    current = channel?.id ?? route;
    for (const { channel: owner, result } of parsed) await applyEvents(hub, owner, result.events);
    // 200 when other parts were applied: an error would make the provider redeliver those for days, and the unknown
    // part would still have no channel.
    if (unrouted.length) reportUnrouted(hub, route, unrouted, 200);
    // No body: the provider only reads the status, and a body would cost a stream per delivery.
    return parsed.find(({ result }) => result.response)?.result.response ?? new Response(null, { status: 200 });
  } catch (error) {
    // A WebhookError, or any typed error a channel raised with an HTTP status to answer.
    if (OmnidealerError.isInstance(error) && 'status' in error) {
      const { status, message: reason } = error as WebhookError;
      hub.events.emit('webhook.rejected', { channel: current, status, reason });
      hub.logger.warn({ status, reason }, `${current}: webhook rejected`);
      return new Response(status === 401 ? 'invalid signature' : reason, { status });
    }
    // Our failure, not the provider's: answer 500 so the provider redelivers later.
    hub.logger.error({ error: String(error) }, `${current}: webhook processing failed`);
    return new Response('internal error', { status: 500 });
  }
}

/**
 * Applies one channel's events. Each event holds its own key while it is applied (a status its message's, an inbound
 * message its sender's; see applyDelivered), so one message's statuses and one sender's messages go in order whatever
 * runs beside them. On a durable store the events are therefore applied side by side and their writes share commits;
 * on the memory store nothing waits, so they go one by one.
 */
async function applyEvents(hub: HubContext, channel: Channel, events: WebhookResult['events']): Promise<void> {
  if (hub.durable && events.length > 1) {
    const outcomes = await Promise.allSettled(events.map((event) => applyDelivered(hub, channel, event)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  } else {
    for (const event of events) await applyDelivered(hub, channel, event);
  }
}

/** Logs and emits the part of a provider-route delivery that no channel holds (keys already masked). */
function reportUnrouted(hub: HubContext, provider: string, accounts: string[], status: number): void {
  hub.logger.warn(
    { accounts, status },
    `${provider}: webhook ${status === 404 ? 'delivery' : 'part'} for no channel of this hub refused`,
  );
  hub.events.emit('webhook.unrouted', { provider, accounts, status });
}

/**
 * Applies one delivered event under a key lock, unless its delivery key shows it was applied before. A status holds
 * its message's key, so one message's statuses apply in order. An inbound message holds its sender's key, on every
 * channel: a new customer who writes three times at once (three deliveries) gets one contact and one conversation,
 * not three racing to create them.
 */
async function applyDelivered(
  hub: HubContext,
  channel: Channel,
  event: StatusEvent | InboundEvent | IdentityEvent,
): Promise<void> {
  if (event.type === 'identity') {
    // A change holds every key a message of its sender may hold, one after the other in a fixed order.
    const keys = identityKeys(channel, event);
    for (const key of keys) await takeKeyLock(hub.locks.senders, key);
    try {
      await applyOnce(hub, channel, event);
    } finally {
      for (const key of keys) releaseKeyLock(hub.locks.senders, key);
    }
    return;
  }
  // Taken and released by hand, not through `holding`: this runs for every webhook event.
  const isStatus = event.type === 'status';
  const locks = isStatus ? statusLocksOf(hub, channel.id) : hub.locks.senders;
  const lockKey = isStatus ? event.providerMessageId : senderKey(channel, event);
  const held = takeKeyLock(locks, lockKey);
  if (held) await held;
  try {
    await applyOnce(hub, channel, event);
  } finally {
    releaseKeyLock(locks, lockKey);
  }
}

/** Applies an event unless its delivery key shows it was applied before; a failure forgets the key again. */
async function applyOnce(hub: HubContext, channel: Channel, event: StatusEvent | InboundEvent | IdentityEvent): Promise<void> {
  const isStatus = event.type === 'status';
  const key = `${channel.id}:${event.type}:${event.providerMessageId}:${isStatus ? event.status : ''}`;
  if (!(await hub.store.markWebhookSeen(key, hub.clock.now()))) {
    hub.events.emit('webhook.duplicate', { channel: channel.id, key });
    return;
  }
  try {
    if (isStatus) await applyStatus(hub, channel, event);
    else if (event.type === 'identity') await applyIdentity(hub, channel, event);
    else await applyInbound(hub, channel, event);
  } catch (error) {
    await forgetDeliveryKey(hub, channel, key);
    throw error;
  }
}

/**
 * Forgets the delivery key of an event that failed to apply, before the error answers the provider 500: its
 * redelivery is then applied, not dropped as a duplicate of an event never applied.
 */
async function forgetDeliveryKey(hub: HubContext, channel: Channel, key: string): Promise<void> {
  if (!hub.store.forgetWebhookKey) {
    hub.logger.warn({ key }, `${channel.id}: the store cannot forget webhook keys; this event's redelivery will be dropped`);
    return;
  }
  try {
    await hub.store.forgetWebhookKey(key);
  } catch (error) {
    hub.logger.error(
      {
        key,
        error: String(error),
      },
      `${channel.id}: forgetting a webhook key failed; this event's redelivery will be dropped`,
    );
  }
}

/** The request body, or undefined when it is over `limit` bytes (declared or streamed). */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) return undefined;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
