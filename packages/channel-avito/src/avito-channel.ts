import {
  type Channel,
  type ChannelCapabilities,
  type ChannelRateLimit,
  type Clock,
  type CostEstimate,
  type MessageContent,
  type Reachability,
  ValidationError,
} from '@omnidealer/core';
import {
  createSecretRegistry,
  downloadMedia,
  loadSetting,
  type OutboundMessage,
  type PerMessagePrice,
  parseInput,
  perMessageCost,
  perMessagePriceSchema,
  rateLimitSettingsSchema,
  type SendResult,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { AVITO_MAX_TEXT_LENGTH, type AvitoChat, type AvitoClient, createAvitoClient } from './avito-client.js';
import { claimAvitoWebhook, parseAvitoWebhook } from './avito-webhook.js';

/**
 * Settings of {@link createAvitoChannel}. Credentials fall back to environment variables, read when first needed: the
 * factory never throws for a missing one, the first send or webhook does, naming the setting and the variable.
 */
export interface AvitoChannelSettings {
  /** Channel id inside the hub; use distinct ids for several Avito accounts. @default 'avito' */
  id?: string | undefined;
  /** From «Для профессионалов → API». @default process.env.AVITO_CLIENT_ID */
  clientId?: string | undefined;
  /**
   * From «Для профессионалов → API». Held as a secret: redacted from every error and log.
   * @default process.env.AVITO_CLIENT_SECRET
   */
  clientSecret?: string | undefined;
  /** The account's numeric user id («Номер пользователя»). @default process.env.AVITO_USER_ID */
  userId?: number | string | undefined;
  /** @default 'https://api.avito.ru' */
  baseURL?: string | undefined;
  /**
   * The unguessable secret (≥ 16 characters) you put into the subscribed webhook URL, as a path segment
   * (`https://crm.example/hooks/avito/<secret>`) or `?token=<secret>`. Deliveries without it are rejected (401).
   * Strongly recommended: Avito does not sign webhook deliveries. @default process.env.AVITO_WEBHOOK_SECRET
   */
  webhookSecret?: string | undefined;
  /** Rate limits the hub applies to sends. @default {@link AVITO_DEFAULT_RATE_LIMIT} */
  rateLimit?: ChannelRateLimit | undefined;
  /** Price per message when your contract bills messages. @default free (0 RUB) */
  pricing?: PerMessagePrice | undefined;
  /**
   * Look up the chat on the first webhook of each chat to fill the listing title, price and url. The webhook waits at
   * most 800 ms for it (Avito wants 200 within 2 s); a slower lookup finishes in the background and enriches the next
   * message of the chat. @default true
   */
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
  /**
   * The typed Avito Messenger client this channel sends with (chat lists, history, webhook set-up), built at first
   * access.
   * @throws ValidationError when a credential is set neither in the settings nor in the environment.
   */
  readonly client: AvitoClient;
}

/** Avito's documented rate limits are per endpoint and not published exactly; this stays well below them. */
export const AVITO_DEFAULT_RATE_LIMIT: ChannelRateLimit = { perSecond: 5, maxConcurrent: 5 };

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    userId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be the numeric Avito user id')]).optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    webhookSecret: z.string().min(16, 'use at least 16 random characters').optional(),
    rateLimit: rateLimitSettingsSchema.optional(),
    pricing: perMessagePriceSchema.optional(),
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

/**
 * Avito wants the webhook answered with 200 within 2 s. The chat lookup (token + chat, whose token fetch has no
 * deadline of its own) gets this long; past it the event is applied with what the payload carries, and the lookup
 * goes on in the background so the next message of the chat is enriched from the cache.
 */
const lookupDeadlineMs = 800;
/** How long the background chat lookup may take in all before it is abandoned (and tried again on the next message). */
const lookupTimeoutMs = 10_000;
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
 * @throws ValidationError for malformed settings (no network call is made here). Missing credentials are reported
 * at the first send or webhook instead, naming the setting and its environment variable.
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export function createAvitoChannel(settings: AvitoChannelSettings): AvitoChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'avito');
  const kind = 'avito' as const;
  const secrets = createSecretRegistry();
  secrets.add(parsed.clientSecret);
  secrets.add(parsed.webhookSecret);
  const userIdSetting = parsed.userId === undefined ? undefined : String(parsed.userId);
  const userIdOrEmpty = () =>
    loadSetting(userIdSetting, 'AVITO_USER_ID', { channel: kind, option: 'userId', optional: true }) ?? '';
  const webhookSecret = () =>
    loadSetting(parsed.webhookSecret, 'AVITO_WEBHOOK_SECRET', {
      channel: kind,
      option: 'webhookSecret',
      secrets,
      optional: true,
    });
  let avitoClient: AvitoClient | undefined;
  /** Built at first use: a missing credential throws then, not in the factory. */
  const clientOf = (): AvitoClient =>
    (avitoClient ??= createAvitoClient({
      clientId: loadSetting(parsed.clientId, 'AVITO_CLIENT_ID', { channel: kind, option: 'clientId', description: 'client id' }),
      clientSecret: loadSetting(parsed.clientSecret, 'AVITO_CLIENT_SECRET', {
        channel: kind,
        option: 'clientSecret',
        description: 'client secret',
        secrets,
      }),
      userId: loadSetting(userIdSetting, 'AVITO_USER_ID', { channel: kind, option: 'userId', description: 'user id' }),
      baseURL: parsed.baseURL?.replace(/\/$/, ''),
      clock: parsed.clock,
      fetch: parsed.fetch,
      timeoutMs: parsed.timeoutMs,
      tokenRefreshMarginMs: parsed.tokenRefreshMarginMs,
      secrets,
    }));
  const pricing = parsed.pricing;
  const chatCache = new Map<string, AvitoChat>();

  const lookupsInFlight = new Map<string, Promise<AvitoChat>>();

  /** One background lookup per chat at a time; its result lands in the cache even when the webhook did not wait. */
  function startLookup(chatId: string): Promise<AvitoChat> {
    const inFlight = lookupsInFlight.get(chatId);
    if (inFlight) return inFlight;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`avito: chat lookup took longer than ${lookupTimeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, lookupTimeoutMs);
    });
    const lookup = Promise.race([(async () => clientOf().getChat(chatId, { signal: controller.signal }))(), gaveUp]).then(
      (chat) => {
        if (chatCache.size >= lookupCacheSize) {
          const oldest = chatCache.keys().next().value;
          if (oldest !== undefined) chatCache.delete(oldest);
        }
        chatCache.set(chatId, chat);
        return chat;
      },
    );
    const settled = lookup.finally(() => {
      clearTimeout(timer);
      lookupsInFlight.delete(chatId);
    });
    // A failed lookup is not an error of the webhook: the next message of the chat tries again.
    settled.catch(() => undefined);
    lookupsInFlight.set(chatId, settled);
    return settled;
  }

  /** The chat for a webhook, waiting at most {@link lookupDeadlineMs}: the answer to Avito comes first. */
  async function lookupChat(chatId: string): Promise<AvitoChat | undefined> {
    const cached = chatCache.get(chatId);
    if (cached) return cached;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, lookupDeadlineMs, undefined);
    });
    try {
      return await Promise.race([startLookup(chatId), deadline]);
    } finally {
      clearTimeout(timer);
    }
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
    const uploaded = await clientOf().uploadImage({ data: blob, filename }, { signal });
    return uploaded.imageId;
  }

  const channel: AvitoChannel = {
    id: parsed.id ?? 'avito',
    kind,
    get accountId() {
      return userIdOrEmpty();
    },
    capabilities,
    rateLimit: parsed.rateLimit ?? AVITO_DEFAULT_RATE_LIMIT,
    get client() {
      return clientOf();
    },
    secrets: () => secrets.values(),

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
      return perMessageCost(pricing, 'Avito messenger messages are free');
    },

    async doSend(message: OutboundMessage, { signal }): Promise<SendResult> {
      const { content, to } = message;
      const request = { signal };
      if (content.type === 'media') {
        const imageId = content.mediaId ?? (await imageIdFor(content.url as string, signal));
        const sent = await clientOf().sendImage(to, imageId, request);
        return { providerMessageId: sent.id, status: 'sent' };
      }
      const text = textOf(content);
      if (!text) {
        throw new ValidationError({ channel: 'avito', field: 'content', message: `Avito cannot send ${content.type} content` });
      }
      const sent = await clientOf().sendText(to, text, request);
      return { providerMessageId: sent.id, status: 'sent' };
    },

    provider: 'avito',
    claimWebhook(request) {
      return claimAvitoWebhook(request, { userId: userIdOrEmpty(), webhookSecret: webhookSecret() });
    },
    parseWebhook(request) {
      return parseAvitoWebhook(request, {
        userId: loadSetting(userIdSetting, 'AVITO_USER_ID', { channel: kind, option: 'userId', description: 'user id' }),
        webhookSecret: webhookSecret(),
        lookupChat: parsed.webhookListingLookup === false ? undefined : lookupChat,
      });
    },

    async doMarkRead(_providerMessageId, conversation) {
      if (conversation?.externalId) await clientOf().markChatRead(conversation.externalId);
    },
  };
  return channel;
}
