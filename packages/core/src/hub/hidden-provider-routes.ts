import type { Channel } from '../channel.js';
import type { RedactingLogger } from '../logger.js';

/**
 * Warns, once per hub, about each channel whose id is a provider's name while other channels of that provider exist:
 * a channel id wins over a provider name, so `/hooks/<provider>` is that channel's own route and the other instances'
 * deliveries to it are never theirs (`createWhatsAppChannel`'s default id is `whatsapp`).
 */
export function warnHiddenProviderRoutes(channels: ReadonlyMap<string, Channel>, logger: RedactingLogger): void {
  for (const [id, channel] of channels) {
    const hidden = [...channels.values()].filter(
      (other) => other !== channel && other.provider === id && other.claimWebhook !== undefined,
    );
    if (hidden.length === 0) continue;
    logger.warn(
      { channel: id, hidden: hidden.map((other) => other.id) },
      `${id}: channel id is the provider name "${id}", so /hooks/${id} is this channel's route and not the shared ` +
        `route of the other ${id} channels; give this channel an id of its own (e.g. "${id}-main")`,
    );
  }
}
