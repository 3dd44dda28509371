import type {
  Channel,
  ChannelCapabilities,
  IdentityEvent,
  InboundEvent,
  OutboundMessage,
  SendResult,
  StatusEvent,
  WebhookResult,
} from './channel.js';
import type { OmnidealerError } from './errors/omnidealer-error.js';
import { WebhookError } from './errors/webhook-error.js';
import { createId } from './id.js';
import { contentToPlainText } from './model/message-content.js';
import { type CostEstimate, money } from './model/money.js';

/** Options of {@link createTestChannel}. */
export interface TestChannelOptions {
  id?: string;
  kind?: string;
  /** Price per message in minor units. @default 0 */
  priceMinor?: number;
  currency?: string;
  capabilities?: Partial<ChannelCapabilities>;
  /** Make the next sends fail with these errors, one per send attempt, in order. */
  failures?: OmnidealerError[];
  /** Contacts (by id or address) that `canReach` refuses as `not_on_channel`. */
  unreachable?: string[];
  /** Give the channel deep links (`inviteLink`): `<deepLinkBase>?start=<payload>`, as MAX and Telegram bots have. */
  deepLinkBase?: string;
}

/** The in-memory test channel: records what it sent and lets tests script failures and webhooks. */
export interface TestChannel extends Channel {
  /** Every message handed to `doSend`, in order, including failed attempts. */
  readonly attempts: OutboundMessage[];
  /** Messages the channel accepted. */
  readonly sent: Array<OutboundMessage & { providerMessageId: string }>;
  /** Queue failures for the next send attempts. */
  failNext(...errors: OmnidealerError[]): void;
  /** A webhook body (JSON) that reports a status for a provider message id; post it with `hub.handleWebhook`. */
  statusWebhook(
    providerMessageId: string,
    status: StatusEvent['status'],
    at?: number,
    extra?: Partial<Pick<StatusEvent, 'error' | 'cost' | 'metadata' | 'messageId' | 'coversEarlier'>>,
  ): Request;
  /** A webhook body that reports a sender's identity change (a new number, a new user id). */
  identityWebhook(change: Omit<IdentityEvent, 'type' | 'providerMessageId' | 'at'> & { at?: number }): Request;
  /** A webhook body that delivers an inbound text from an address. */
  inboundWebhook(from: string, text: string, options?: Partial<Omit<InboundEvent, 'type' | 'content' | 'from'>>): Request;
}

const defaultCapabilities: ChannelCapabilities = {
  maxTextLength: 4096,
  contentTypes: ['text', 'template', 'media', 'interactive', 'location', 'reaction', 'email'],
  mediaKinds: ['image', 'video', 'document', 'audio'],
  templates: true,
  canStartConversation: true,
  address: 'phone',
};

/**
 * Creates an in-memory channel that implements the full {@link Channel} contract without any network: for users'
 * own tests and for the cascade's. Webhooks are JSON `{ events: [...] }` signed with the header `x-test-secret: test`.
 * @example
 * const channel = createTestChannel({ id: 'sms', priceMinor: 300 });
 * const hub = createOmnidealer({ channels: [channel] });
 * await hub.send({ channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: { type: 'text', text: 'Hi' } });
 * expect(channel.sent).toHaveLength(1);
 */
export function createTestChannel(options: TestChannelOptions = {}): TestChannel {
  const id = options.id ?? 'test';
  const kind = options.kind ?? id;
  const capabilities: ChannelCapabilities = { ...defaultCapabilities, ...options.capabilities };
  const failures = [...(options.failures ?? [])];
  const unreachable = new Set(options.unreachable ?? []);
  const attempts: OutboundMessage[] = [];
  const sent: Array<OutboundMessage & { providerMessageId: string }> = [];
  const webhookRequest = (events: Array<InboundEvent | StatusEvent | IdentityEvent>) =>
    new Request(`https://hooks.test/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-secret': 'test' },
      body: JSON.stringify({ events }),
    });

  return {
    id,
    kind,
    accountId: `${id}-account`,
    capabilities,
    attempts,
    sent,
    failNext(...errors) {
      failures.push(...errors);
    },
    ...(options.deepLinkBase ? { inviteLink: (payload: string) => `${options.deepLinkBase}?start=${payload}` } : {}),
    canReach({ contact, content, conversation }) {
      if (!capabilities.contentTypes.includes(content.type))
        return { reachable: false, reason: 'unsupported_content', detail: `${content.type} not supported` };
      const address =
        capabilities.address === 'email'
          ? contact.email
          : capabilities.address === 'chat'
            ? (conversation?.externalId ?? contact.identities?.[`${kind}ChatIds`]?.[0])
            : contact.phone;
      if (!address) return { reachable: false, reason: 'no_identity', detail: `contact has no ${capabilities.address}` };
      if (unreachable.has(contact.id) || unreachable.has(address))
        return { reachable: false, reason: 'not_on_channel', detail: 'marked unreachable' };
      if (contact.consent?.[kind] === 'opted_out') return { reachable: false, reason: 'opted_out', detail: 'contact opted out' };
      return { reachable: true, address };
    },
    estimateCost(content): CostEstimate {
      const text = contentToPlainText(content) ?? '';
      return {
        money: money(options.priceMinor ?? 0, options.currency ?? 'RUB'),
        units: 1,
        unitName: 'message',
        detail: `${text.length} chars`,
      };
    },
    async doSend(message): Promise<SendResult> {
      attempts.push(message);
      const failure = failures.shift();
      if (failure) throw failure;
      const providerMessageId = createId(`${kind}`);
      sent.push({ ...message, providerMessageId });
      return { providerMessageId, status: 'sent' };
    },
    async parseWebhook(request): Promise<WebhookResult> {
      if (request.headers.get('x-test-secret') !== 'test')
        throw new WebhookError({ channel: kind, kind: 'signature', message: 'missing test secret' });
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(request.body));
      } catch {
        throw new WebhookError({ channel: kind, kind: 'malformed', message: 'body is not JSON' });
      }
      const events = body && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
      if (!Array.isArray(events))
        throw new WebhookError({ channel: kind, kind: 'malformed', message: 'events must be an array' });
      for (const event of events) {
        const candidate = event as Partial<InboundEvent | StatusEvent | IdentityEvent> | null;
        if (
          !candidate ||
          typeof candidate !== 'object' ||
          (candidate.type !== 'status' && candidate.type !== 'inbound' && candidate.type !== 'identity') ||
          typeof candidate.providerMessageId !== 'string' ||
          !Number.isFinite(candidate.at)
        )
          throw new WebhookError({
            channel: kind,
            kind: 'malformed',
            message: 'each event needs type, providerMessageId and at',
          });
      }
      return { events: events as Array<InboundEvent | StatusEvent | IdentityEvent> };
    },
    statusWebhook(providerMessageId, status, at = Date.now(), extra = {}) {
      return webhookRequest([{ type: 'status', providerMessageId, status, at, ...extra }]);
    },
    identityWebhook(change) {
      return webhookRequest([{ type: 'identity', providerMessageId: createId('sys'), at: Date.now(), ...change }]);
    },
    inboundWebhook(from, text, extra = {}) {
      return webhookRequest([
        {
          type: 'inbound',
          providerMessageId: extra.providerMessageId ?? createId('in'),
          from,
          content: { type: 'text', text },
          kind: 'message',
          at: Date.now(),
          ...extra,
        },
      ]);
    },
  };
}
