import type { Channel, WebhookRequest } from '../channel.js';
import type { HubContext } from './context.js';

/** Where a delivery on a provider's shared route goes. */
export interface WebhookRouting {
  /** The instances that claimed the delivery (or a part of it), in the hub's channel order. */
  owners: Channel[];
  /** Routing keys every instance named as another's: parts no channel of this hub holds, masked for logs. */
  unrouted: string[];
}

/** The channels serving the shared route `provider`: those of that provider that can claim a delivery. */
export function channelsOfProvider(hub: HubContext, provider: string): Channel[] {
  return [...hub.channels.values()].filter((channel) => channel.provider === provider && channel.claimWebhook);
}

/**
 * Asks each instance of the provider whether the delivery is its own. A key is unrouted when every instance names it
 * as another's: the instance that holds it would have claimed it instead.
 */
export function routeWebhook(channels: readonly Channel[], request: WebhookRequest): WebhookRouting {
  const owners: Channel[] = [];
  let unrouted: Set<string> | undefined;
  for (const channel of channels) {
    const claim = channel.claimWebhook?.(request) ?? { mine: false };
    if (claim.mine) owners.push(channel);
    const others = new Set(claim.others ?? []);
    unrouted = unrouted ? new Set([...unrouted].filter((key) => others.has(key))) : others;
  }
  return { owners, unrouted: [...(unrouted ?? [])].map(maskRoutingKey) };
}

/**
 * A routing key as logs show it: its last 4 characters. Phone number ids and account ids are not phone numbers, but
 * the rule is the same as for phones (no full identifier in a log line), and 4 characters tell two numbers apart.
 */
export function maskRoutingKey(key: string): string {
  return key.length > 4 ? `…${key.slice(-4)}` : '…';
}
