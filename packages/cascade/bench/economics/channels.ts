// The bench's channels: the cascade package's mocks, WhatsApp billed once delivered, and a MAX bot with deep links.
import type { Channel } from '@omnidealer/core';
import { modules } from './modules.js';

/** The deep link of the dealer's MAX bot: an SMS that carries it carries an invite. */
export const DEEP_LINK_BASE = 'https://max.ru/omnidealer_bot';

/** The bench's channels: the cascade package's mocks, WhatsApp billed once delivered, and a MAX bot with deep links. */
export function createChannels() {
  const mocks = modules.createMockChannels();
  const whatsapp = { ...mocks.whatsapp, capabilities: { ...mocks.whatsapp.capabilities, billedOn: 'delivered' as const } };
  const max = modules.createTestChannel({
    id: 'max',
    kind: 'max',
    priceMinor: 0,
    deepLinkBase: DEEP_LINK_BASE,
    capabilities: { address: 'chat', contentTypes: ['text'], templates: false, canStartConversation: false },
  });
  return { ...mocks, whatsapp, max, all: [mocks.email, max, whatsapp, mocks.sms] as Channel[] };
}
