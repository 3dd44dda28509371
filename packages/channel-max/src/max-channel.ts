import { createHash, randomBytes } from 'node:crypto';
import {
  type Channel,
  type ChannelCapabilities,
  type ChannelRateLimit,
  type Contact,
  type CostEstimate,
  type MessageContent,
  type Reachability,
  ValidationError,
} from '@omnidealer/core';
import {
  chatIdentityOf,
  createIgnoredUpdatesCounter,
  createSecretRegistry,
  downloadMedia,
  type IgnoredUpdates,
  type OutboundMessage,
  type PerMessagePrice,
  parseInput,
  perMessageCost,
  perMessagePriceSchema,
  rateLimitSettingsSchema,
  type SendResult,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { convertToMaxMessage, MAX_TEXT_LIMIT, type MaxAttachmentRequest, type MaxMessagePlan } from './convert-to-max-message.js';
import { createMaxClient, type MaxClient } from './max-client.js';
import { maxDeepLink } from './max-deep-link.js';
import { claimMaxWebhook, MAX_SECRET_HEADER, type MaxIgnoredReason, parseMaxWebhook } from './max-webhook.js';

/** Settings of {@link createMaxChannel}. */
export interface MaxChannelSettings {
  /** Channel id inside the hub; use distinct ids for several bots. @default 'max' */
  id?: string | undefined;
  /** The bot token (business.max.ru → Чат-боты → Интеграция). Falls back to `MAX_BOT_TOKEN`, read on the first call. */
  token?: string | undefined;
  /**
   * The secret given to `POST /subscriptions` (`client.subscribe`): 16–256 characters of `A–Z a–z 0–9 _ -` (MAX's
   * pattern is `^[\w-]{5,256}$`; use at least 16 random ones). Every webhook delivery must carry it in
   * `X-Max-Bot-Api-Secret`. Without it every webhook delivery is refused (401); polling works without one.
   */
  webhookSecret?: string | undefined;
  /**
   * The bot's MAX user id (`GET /me` → `user_id`): names the account, e.g. the shared rate-limit bucket of a cluster.
   * @default a hash of the token, else the channel id
   */
  botId?: number | string | undefined;
  /**
   * The bot's name in its link (`https://max.ru/<botName>`): gives the channel deep links, so
   * `hub.inviteLink(contactId, channelId)` links customers to contacts when they press Start.
   */
  botName?: string | undefined;
  /** @default 'https://platform-api2.max.ru' */
  baseURL?: string | undefined;
  /** Extra headers for every Bot API request. */
  headers?: Record<string, string> | undefined;
  /** Custom fetch for the Bot API and uploads (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Limits the hub applies to sends. @default { perSecond: 30 } (MAX's documented limit per bot) */
  rateLimit?: ChannelRateLimit | undefined;
  /** Parse texts as `markdown` or `html`. @default plain text */
  format?: 'markdown' | 'html' | undefined;
  /** Send `disable_link_preview=true` with every message. @default false */
  disableLinkPreview?: boolean | undefined;
  /** Price per message when your contract bills messages. @default free (0 RUB) */
  pricing?: PerMessagePrice | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /**
   * Download documents, video and audio sent by URL from loopback or private hosts too (a sandbox). Off by default:
   * the channel downloads those to upload them, and must not be pointed at internal services.
   */
  allowPrivateMediaUrls?: boolean | undefined;
}

/** Counts of webhook/polling updates that produced no event, by `update_type` and reason. */
export type MaxIgnoredUpdates = IgnoredUpdates<MaxIgnoredReason>;

/** The MAX channel: the core `Channel` plus the typed Bot API client and polling support. */
export interface MaxChannel extends Channel {
  /** The typed MAX Bot API client this channel sends with (subscriptions, `GET /me`, callback answers). */
  readonly client: MaxClient;
  /** Updates ignored so far (unknown types, edits, removals, group and bot messages). */
  ignoredUpdates(): MaxIgnoredUpdates;
  /**
   * Wraps one update from `GET /updates` as the webhook delivery MAX would have POSTed (with the secret header), for
   * `hub.handleWebhook(channel.id, request)`: polled updates then go through exactly the webhook path. Used by
   * `createMaxPoller`.
   */
  updateRequest(update: unknown): Request;
}

/** MAX allows about 30 requests per second per bot (MAX's business documentation, via the project's fact sheet). */
export const MAX_DEFAULT_RATE_LIMIT: ChannelRateLimit = { perSecond: 30 };

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    webhookSecret: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'MAX accepts only A-Z, a-z, 0-9, _ and - in a secret')
      .min(16, 'use at least 16 random characters')
      .max(256, 'MAX accepts at most 256 characters')
      .optional(),
    botId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be the numeric bot id')]).optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
    rateLimit: rateLimitSettingsSchema.optional(),
    format: z.enum(['markdown', 'html']).optional(),
    disableLinkPreview: z.boolean().optional(),
    pricing: perMessagePriceSchema.optional(),
    timeoutMs: z.number().int().positive().optional(),
    allowPrivateMediaUrls: z.boolean().optional(),
    botName: z.string().min(1).optional(),
  })
  .strict();

const capabilities: ChannelCapabilities = {
  maxTextLength: MAX_TEXT_LIMIT,
  contentTypes: ['text', 'media', 'template', 'email', 'interactive', 'location'],
  mediaKinds: ['image', 'document', 'video', 'audio'],
  templates: false,
  canStartConversation: false,
  address: 'chat',
  billedOn: 'accepted',
  interruptedSend: 'assume-sent',
};

/** Uploaded tokens kept for a retried send, so a retry after `attachment.not.ready` does not upload again. */
const uploadCacheSize = 200;

const userIdPattern = /^\d{1,19}$/;

/**
 * The MAX user id a contact is reachable at: `identities.max` (set by the CRM, or when a deep link linked the
 * contact), else the latest id the hub recorded from their messages (`identities.maxChatIds`, the dialogs, which MAX
 * addresses by the user's id).
 */
export function maxUserIdOf(contact: Contact, channelKind = 'max'): string | undefined {
  return chatIdentityOf(contact, channelKind, userIdPattern);
}

/**
 * Creates the MAX channel (VK's messenger) for one bot. MAX is reply-only: a bot cannot write first and cannot send
 * by phone number, so `canReach` is true only for a contact with a MAX user id (`identities.max`, or one recorded
 * from their messages) — a user who wrote to the bot or pressed Start, e.g. through {@link maxDeepLink}.
 *
 * Sends text (≤ 4000 characters), images (by URL or upload token), documents, video and audio (uploaded first),
 * interactive content as an inline keyboard of callback buttons, locations, templates as their `fallbackText` and
 * e-mail content as its `text`. Messages are free by default. Webhooks (`X-Max-Bot-Api-Secret`) and long polling
 * (`createMaxPoller`) feed the same events.
 * @example
 * const max = createMaxChannel({ token: process.env.MAX_BOT_TOKEN, webhookSecret: process.env.MAX_WEBHOOK_SECRET });
 * await max.client.subscribe({ url: 'https://crm.example/hooks/max', secret: process.env.MAX_WEBHOOK_SECRET! });
 * const hub = createOmnidealer({ channels: [max] });
 * @throws ValidationError for malformed settings (no network call is made here; a missing token fails on first use).
 * @see https://dev.max.ru/docs-api
 */
export function createMaxChannel(settings: MaxChannelSettings = {}): MaxChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'max');
  const secrets = createSecretRegistry();
  secrets.add(parsed.token);
  secrets.add(parsed.webhookSecret);
  // Polled updates are handed to parseWebhook with a secret too; without a configured one, a random one that no
  // outside request can know (so unconfigured webhooks stay refused).
  const secret = parsed.webhookSecret ?? randomBytes(24).toString('base64url');
  secrets.add(secret);
  const client = createMaxClient({
    secrets,
    token: parsed.token,
    baseURL: parsed.baseURL,
    headers: parsed.headers,
    fetch: parsed.fetch,
    timeoutMs: parsed.timeoutMs,
  });
  const pricing = parsed.pricing;
  const uploads = new Map<string, MaxAttachmentRequest>();
  const ignored = createIgnoredUpdatesCounter<MaxIgnoredReason>();
  const id = parsed.id ?? 'max';

  async function uploadFor(upload: NonNullable<MaxMessagePlan['upload']>, signal: AbortSignal | undefined) {
    const media = await downloadMedia(upload.url, {
      channel: 'max',
      signal,
      allowPrivate: parsed.allowPrivateMediaUrls,
      ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
    });
    const filename = upload.filename ?? (new URL(upload.url).pathname.split('/').pop() || 'file');
    const mimeType = upload.mimeType ?? media.contentType;
    const { token } = await client.upload(upload.type, { data: media.data, filename, mimeType }, { signal });
    return { type: upload.type, payload: { token } } as MaxAttachmentRequest;
  }

  const unsupported = (content: MessageContent): string | undefined => {
    if (!capabilities.contentTypes.includes(content.type)) return `MAX bots cannot send ${content.type} content`;
    if (content.type === 'media' && !capabilities.mediaKinds.includes(content.kind))
      return `MAX cannot send ${content.kind} media`;
    if (content.type === 'template' && !content.fallbackText) return 'MAX has no templates: a fallbackText is required';
    return undefined;
  };

  // Checked now: a bad bot name is a settings error, not a failure at the first invite.
  const botName = parsed.botName;
  if (botName) maxDeepLink(botName);
  const channel: MaxChannel = {
    id,
    kind: 'max',
    accountId:
      parsed.botId !== undefined
        ? String(parsed.botId)
        : parsed.token
          ? `token-${createHash('sha256').update(parsed.token).digest('hex').slice(0, 12)}`
          : id,
    capabilities,
    rateLimit: parsed.rateLimit ?? MAX_DEFAULT_RATE_LIMIT,
    client,
    secrets: () => secrets.values(),
    ...(botName ? { inviteLink: (payload: string) => maxDeepLink(botName, payload) } : {}),

    validate(content) {
      convertToMaxMessage(content, { format: parsed.format });
    },

    canReach({ contact, content }): Reachability {
      const problem = unsupported(content);
      if (problem) return { reachable: false, reason: 'unsupported_content', detail: problem };
      if (contact.consent?.[id] === 'opted_out' || contact.consent?.max === 'opted_out') {
        return { reachable: false, reason: 'opted_out', detail: 'the contact stopped the MAX bot or opted out of MAX messages' };
      }
      const userId = maxUserIdOf(contact);
      if (!userId) {
        return {
          reachable: false,
          reason: 'cannot_start_conversation',
          detail: 'MAX is reply-only: no MAX user id for this contact (they must write to the bot or press Start first)',
        };
      }
      return { reachable: true, address: userId };
    },

    estimateCost(): CostEstimate {
      return perMessageCost(pricing, 'MAX bot messages are free');
    },

    async doSend(message: OutboundMessage, { signal }): Promise<SendResult> {
      if (!userIdPattern.test(message.to)) {
        throw new ValidationError({ channel: 'max', field: 'to', message: 'a MAX recipient is the numeric MAX user id' });
      }
      const plan = convertToMaxMessage(message.content, { format: parsed.format, replyTo: message.replyTo });
      if (plan.upload) {
        let attachment = uploads.get(message.id);
        if (!attachment) {
          attachment = await uploadFor(plan.upload, signal);
          if (uploads.size >= uploadCacheSize) uploads.delete(uploads.keys().next().value as string);
          uploads.set(message.id, attachment);
        }
        plan.body.attachments = [...(plan.body.attachments ?? []), attachment];
      }
      const sent = await client.sendMessage({ userId: message.to }, plan.body, {
        signal,
        ...(parsed.disableLinkPreview ? { disableLinkPreview: true } : {}),
      });
      uploads.delete(message.id);
      return { providerMessageId: sent.mid, status: 'sent' };
    },

    provider: 'max',
    claimWebhook: (request) => claimMaxWebhook(request, secret),
    parseWebhook(request) {
      return parseMaxWebhook(request, {
        secret,
        channel: 'max',
        onIgnored: ignored.record,
      });
    },

    ignoredUpdates: ignored.snapshot,

    updateRequest(update) {
      return new Request(`http://max.poller.local/${encodeURIComponent(id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [MAX_SECRET_HEADER]: secret },
        body: JSON.stringify(update),
      });
    },
  };
  return channel;
}
