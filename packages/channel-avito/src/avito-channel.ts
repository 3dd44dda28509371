import { type Channel, type ChannelCapabilities, type ChannelRateLimit, type Clock, type CostEstimate, type MessageContent, type OutboundMessage, type Reachability, registerSecret, type SendResult, ValidationError } from '@omnidealer/core';
import { downloadMedia, money, parseInput } from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { AVITO_MAX_TEXT_LENGTH, type AvitoChat, type AvitoClient, createAvitoClient } from './avito-client.js';
import { parseAvitoWebhook } from './avito-webhook.js';

/** Settings of {@link createAvitoChannel}. */
export interface AvitoChannelSettings {
  /** Channel id inside the hub; use distinct ids for several Avito accounts. @default 'avito' */
  id?: string | undefined;
  /** From «Для профессионалов → API». */
  clientId: string;
  /** From «Для профессионалов → API». Registered as a secret: redacted from every error and log. */
  clientSecret: string;
  /** The account's numeric user id («Номер пользователя»). */
  userId: number | string;
  /** @default 'https://api.avito.ru' */
  baseUrl?: string | undefined;
  /**
   * The unguessable secret (≥ 16 characters) you put into the subscribed webhook URL, as a path segment
   * (`https://crm.example/hooks/avito/<secret>`) or `?token=<secret>`. Deliveries without it are rejected (401).
   * Strongly recommended: Avito does not sign webhook deliveries.
   */
  webhookSecret?: string | undefined;
  /** Rate limits the hub applies to sends. @default { perSecond: 5, maxConcurrent: 5 } */
  limits?: ChannelRateLimit | undefined;
  /** Price per message when your contract bills messages. @default free (0 RUB) */
  pricing?: { perMessageMinor: number; currency?: string | undefined } | undefined;
  /** Look up the chat on the first webhook of each chat to fill the listing title, price and url. @default true */
  webhookListingLookup?: boolean | undefined;
  /** @default the system clock */
  clock?: Clock | undefined;
  /** Custom fetch for the Avito API (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /**
   * Download images sent by URL from loopback or private hosts too (a sandbox). Off by default: the channel downloads
   * the image to upload it, and must not be pointed at internal services (checked again after DNS and redirects).
   */
  allowPrivateMediaUrls?: boolean | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /** Replace the access token this long before it expires. @default 300000 */
  tokenRefreshMarginMs?: number | undefined;
}

/** The Avito channel: the core `Channel` plus the typed API client for CRM use. */
export interface AvitoChannel extends Channel {
  /** The typed Avito Messenger client this channel sends with (chat lists, history, webhook set-up). */
  readonly client: AvitoClient;
}

/** Avito's documented rate limits are per endpoint and not published exactly; this stays well below them. */
export const AVITO_DEFAULT_RATE_LIMIT: ChannelRateLimit = { perSecond: 5, maxConcurrent: 5 };

const rateLimitSchema = z
  .object({
    perSecond: z.number().positive().optional(),
    perRecipientIntervalMs: z.number().int().nonnegative().optional(),
    maxConcurrent: z.number().int().positive().optional(),
  })
  .strict();

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    userId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be the numeric Avito user id')]),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    webhookSecret: z.string().min(16, 'use at least 16 random characters').optional(),
    limits: rateLimitSchema.optional(),
    pricing: z
      .object({ perMessageMinor: z.number().int().nonnegative(), currency: z.string().length(3).optional() })
      .strict()
      .optional(),
    webhookListingLookup: z.boolean().optional(),
    clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function').optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
    allowPrivateMediaUrls: z.boolean().optional(),
    timeoutMs: z.number().int().positive().optional(),
    tokenRefreshMarginMs: z.number().int().nonnegative().optional(),
  })
  .strict();

const capabilities: ChannelCapabilities = {
  maxTextLength: AVITO_MAX_TEXT_LENGTH,
  contentTypes: ['text', 'media', 'template', 'email'],
  mediaKinds: ['image'],
  templates: false,
  canStartConversation: false,
  address: 'chat',
};

/** How long a webhook waits for the listing lookup before delivering the event without it. */
const lookupTimeoutMs = 3000;
const lookupCacheSize = 500;

/** The text Avito sends for text-like content (template → `fallbackText`, email → `text`). */
function textOf(content: MessageContent): string | undefined {
  if (content.type === 'text') return content.text;
  if (content.type === 'template') return content.fallbackText;
  if (content.type === 'email') return content.text;
  return undefined;
}

/**
 * Creates the Avito Messenger channel for one business account. Avito is reply-only: a business cannot start a chat,
 * so `canReach` is true only for a contact with a known Avito chat (`identities.avitoChatIds`, filled by inbound
 * webhooks), and the cascade never picks Avito for a cold mailing.
 *
 * Sends text (≤ 1000 characters), images (by Avito `mediaId` or by URL, uploaded first), templates as their
 * `fallbackText` and e-mail content as its `text`. Messages are free by default.
 * @example
 * const avito = createAvitoChannel({
 *   clientId: process.env.AVITO_CLIENT_ID!,
 *   clientSecret: process.env.AVITO_CLIENT_SECRET!,
 *   userId: 123456789,
 *   webhookSecret: process.env.AVITO_WEBHOOK_SECRET!,
 * });
 * const hub = createOmnidealer({ channels: [avito] });
 * @throws ValidationError for missing or malformed settings (no network call is made here).
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export function createAvitoChannel(settings: AvitoChannelSettings): AvitoChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'avito');
  const userId = String(parsed.userId);
  registerSecret(parsed.clientSecret);
  registerSecret(parsed.webhookSecret);
  const fetchImpl = parsed.fetch;
  const client = createAvitoClient({
    clientId: parsed.clientId,
    clientSecret: parsed.clientSecret,
    userId,
    baseUrl: parsed.baseUrl?.replace(/\/$/, ''),
    clock: parsed.clock,
    fetch: fetchImpl,
    timeoutMs: parsed.timeoutMs,
    tokenRefreshMarginMs: parsed.tokenRefreshMarginMs,
  });
  const pricing = parsed.pricing;
  const chatCache = new Map<string, AvitoChat>();

  async function lookupChat(chatId: string): Promise<AvitoChat | undefined> {
    const cached = chatCache.get(chatId);
    if (cached) return cached;
    const chat = await client.getChat(chatId, { signal: AbortSignal.timeout(lookupTimeoutMs) });
    if (chatCache.size >= lookupCacheSize) {
      const oldest = chatCache.keys().next().value;
      if (oldest !== undefined) chatCache.delete(oldest);
    }
    chatCache.set(chatId, chat);
    return chat;
  }

  async function imageIdFor(url: string, signal: AbortSignal | undefined): Promise<string> {
    const media = await downloadMedia(url, {
      channel: 'avito',
      signal,
      allowPrivate: parsed.allowPrivateMediaUrls,
      ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
    });
    const blob = new Blob([media.data as Uint8Array<ArrayBuffer>], media.contentType ? { type: media.contentType } : {});
    const filename = new URL(url).pathname.split('/').pop() || 'image.jpg';
    const uploaded = await client.uploadImage({ data: blob, filename }, { signal });
    return uploaded.imageId;
  }

  const channel: AvitoChannel = {
    id: parsed.id ?? 'avito',
    kind: 'avito',
    accountId: userId,
    capabilities,
    rateLimit: parsed.limits ?? AVITO_DEFAULT_RATE_LIMIT,
    client,

    validate(content) {
      if (content.type === 'media') {
        if (content.caption) {
          throw new ValidationError({
            channel: 'avito',
            field: 'content.caption',
            message: 'Avito image messages have no caption: send the text as a separate message',
          });
        }
        return;
      }
      const text = textOf(content);
      const field = content.type === 'template' ? 'content.fallbackText' : 'content.text';
      if (!text) {
        throw new ValidationError({
          channel: 'avito',
          field,
          message: `${field} is required: Avito sends ${content.type} content as plain text`,
        });
      }
      const length = text.length > AVITO_MAX_TEXT_LENGTH ? [...text].length : text.length;
      if (length > AVITO_MAX_TEXT_LENGTH) {
        throw new ValidationError({
          channel: 'avito',
          field,
          message: `${field} is ${length} characters; Avito allows ${AVITO_MAX_TEXT_LENGTH} per message`,
        });
      }
    },

    canReach({ contact, content, conversation }): Reachability {
      if (!capabilities.contentTypes.includes(content.type) || (content.type === 'media' && content.kind !== 'image')) {
        return {
          reachable: false,
          reason: 'unsupported_content',
          detail: `Avito sends text and images, not ${content.type === 'media' ? `${content.kind} media` : content.type}`,
        };
      }
      if (contact.consent?.[channel.id] === 'opted_out' || contact.consent?.avito === 'opted_out') {
        return { reachable: false, reason: 'opted_out', detail: 'the contact opted out of Avito messages' };
      }
      const chats = contact.identities?.avitoChatIds ?? [];
      if (chats.length === 0) {
        return {
          reachable: false,
          reason: 'cannot_start_conversation',
          detail: 'Avito is reply-only: no known Avito chat for this contact (a buyer must write about a listing first)',
        };
      }
      const external = conversation?.externalId;
      const address = external && chats.includes(external) ? external : (chats.at(-1) as string);
      return { reachable: true, address };
    },

    estimateCost(): CostEstimate {
      const amount = pricing?.perMessageMinor ?? 0;
      const currency = pricing?.currency ?? 'RUB';
      return {
        money: money(amount, currency),
        units: 1,
        unitName: 'message',
        detail: pricing ? `${amount} ${currency}/100 per message (configured)` : 'Avito messenger messages are free',
      };
    },

    async doSend(message: OutboundMessage, { signal }): Promise<SendResult> {
      const { content, to } = message;
      const request = { signal };
      if (content.type === 'media') {
        const imageId = content.mediaId ?? (await imageIdFor(content.url as string, signal));
        const sent = await client.sendImage(to, imageId, request);
        return { providerMessageId: sent.id, status: 'sent' };
      }
      const text = textOf(content);
      if (!text) {
        throw new ValidationError({ channel: 'avito', field: 'content', message: `Avito cannot send ${content.type} content` });
      }
      const sent = await client.sendText(to, text, request);
      return { providerMessageId: sent.id, status: 'sent' };
    },

    parseWebhook(request) {
      return parseAvitoWebhook(request, {
        userId,
        webhookSecret: parsed.webhookSecret,
        lookupChat: parsed.webhookListingLookup === false ? undefined : lookupChat,
      });
    },

    async doMarkRead(_providerMessageId, conversation) {
      if (conversation?.externalId) await client.markChatRead(conversation.externalId);
    },
  };
  return channel;
}
