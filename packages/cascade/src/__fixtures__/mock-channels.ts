import { countSegments } from '@omnidealer/channel-sms';
import { type Channel, type Contact, type CostEstimate, type MessageContent, UnreachableRecipientError } from '@omnidealer/core';
import { contentToPlainText, money, type OutboundMessage } from '@omnidealer/core/provider-utils';
import { createTestChannel, type TestChannel } from '@omnidealer/core/test';

type Mock = TestChannel & { reject(address: string, reason: 'not_on_channel' | 'bounced'): void };

function withRejections(base: TestChannel, addressOf: (message: OutboundMessage) => string): Mock {
  const rejected = new Map<string, 'not_on_channel' | 'bounced'>();
  return {
    ...base,
    async doSend(message, options) {
      const reason = rejected.get(addressOf(message)) ?? rejected.get(message.contact.id);
      if (reason) {
        base.attempts.push(message);
        throw new UnreachableRecipientError({ channel: base.kind, reason, message: `${base.id}: recipient ${reason}` });
      }
      return base.doSend(message, options);
    },
    reject(address, reason) {
      rejected.set(address, reason);
    },
  };
}

/** E-mail: free, `email` content only (text is rendered into an e-mail), bounces on request. */
export function createMockEmail(id = 'email'): Mock {
  const base = createTestChannel({
    id,
    kind: 'email',
    priceMinor: 0,
    capabilities: { address: 'email', contentTypes: ['email'], templates: false },
  });
  return withRejections(base, (message) => message.to);
}

/** WhatsApp: 1200 minor RUB per template, free-form free but only inside the 24 h window. */
export function createMockWhatsApp(id = 'whatsapp', priceMinor = 1200): Mock {
  const base = createTestChannel({
    id,
    kind: 'whatsapp',
    priceMinor,
    capabilities: {
      address: 'phone',
      contentTypes: ['text', 'template', 'media', 'interactive'],
      templates: true,
      conversationWindowMs: 24 * 3_600_000,
    },
  });
  const channel = withRejections(base, (message) => message.to);
  return {
    ...channel,
    canReach(context) {
      const reach = base.canReach(context);
      if (!reach.reachable || context.content.type === 'template') return reach;
      const lastInbound = context.conversation?.lastInboundAt;
      if (lastInbound === undefined || context.now - lastInbound >= 24 * 3_600_000)
        return { reachable: false, reason: 'window_closed', detail: 'no inbound message in the last 24 h; send a template' };
      return reach;
    },
    estimateCost(content: MessageContent): CostEstimate {
      const billed = content.type === 'template';
      return {
        money: money(billed ? priceMinor : 0),
        units: 1,
        unitName: 'message',
        detail: billed ? `template × ${priceMinor}` : 'free-form inside the service window',
      };
    },
  };
}

/** SMS: 300 minor RUB per segment, segments counted for this very text. */
export function createMockSms(id = 'sms', perSegmentMinor = 300): Mock {
  const base = createTestChannel({
    id,
    kind: 'sms',
    capabilities: { address: 'phone', contentTypes: ['text'], templates: false, maxTextLength: 1000 },
  });
  const channel = withRejections(base, (message) => message.to);
  return {
    ...channel,
    estimateCost(content: MessageContent, _contact: Contact): CostEstimate {
      const { segments, encoding } = countSegments(contentToPlainText(content) ?? '');
      return {
        money: money(segments * perSegmentMinor),
        units: segments,
        unitName: 'segment',
        detail: `${segments} ${encoding} segments × ${perSegmentMinor}`,
      };
    },
  };
}

/** Avito: free, reply-only (needs an existing chat id in `identities.avitoChatIds`). */
export function createMockAvito(id = 'avito'): Mock {
  const base = createTestChannel({
    id,
    kind: 'avito',
    capabilities: { address: 'chat', contentTypes: ['text'], templates: false, canStartConversation: false },
  });
  return withRejections(base, (message) => message.to);
}

/** The four mock channels in the hub order `avito, email, whatsapp, sms`. */
export function createMockChannels(): {
  avito: Mock;
  email: Mock;
  whatsapp: Mock;
  sms: Mock;
  all: Channel[];
} {
  const avito = createMockAvito();
  const email = createMockEmail();
  const whatsapp = createMockWhatsApp();
  const sms = createMockSms();
  return { avito, email, whatsapp, sms, all: [avito, email, whatsapp, sms] };
}
