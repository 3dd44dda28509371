import { randomBytes } from 'node:crypto';
import type {
  Channel,
  ChannelCapabilities,
  ChannelRateLimit,
  Contact,
  CostEstimate,
  MessageContent,
  Reachability,
} from '@omnidealer/core';
import { ValidationError } from '@omnidealer/core';
import {
  chatIdentityOf,
  createIgnoredUpdatesCounter,
  createSecretRegistry,
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
import { convertToTelegramMessage, TELEGRAM_TEXT_LIMIT } from './convert-to-telegram-message.js';
import { createTelegramClient, type TelegramClient } from './telegram-client.js';
import { telegramDeepLink } from './telegram-deep-link.js';
import {
  claimTelegramWebhook,
  parseTelegramWebhook,
  TELEGRAM_SECRET_HEADER,
  type TelegramIgnoredReason,
} from './telegram-webhook.js';

/** Settings of {@link createTelegramChannel}. */
export interface TelegramChannelSettings {
  /** Channel id inside the hub; use distinct ids for several bots. @default 'telegram' */
  id?: string | undefined;
  /** The bot token from `@BotFather` (`123456789:AA…`). Falls back to `TELEGRAM_BOT_TOKEN`, read on the first call. */
  token?: string | undefined;
  /**
   * The `secret_token` given to `setWebhook` (`client.setWebhook`): 16–256 characters of `A–Z a–z 0–9 _ -` (Telegram
   * accepts 1–256; use at least 16 random ones). Every webhook delivery must carry it in
   * `X-Telegram-Bot-Api-Secret-Token`. Without it every webhook delivery is refused (401); polling works without one.
   */
  webhookSecret?: string | undefined;
  /**
   * The bot's username (`autodealer_bot`, `getMe` → `username`): gives the channel deep links, so
   * `hub.inviteLink(contactId, channelId)` links customers to contacts when they press Start.
   */
  botUsername?: string | undefined;
  /**
   * The Bot API server: a self-hosted `telegram-bot-api` server or a proxy, e.g. where `api.telegram.org` is blocked.
   * @default 'https://api.telegram.org'
   */
  baseURL?: string | undefined;
  /** Extra headers for every Bot API request (a proxy's auth). */
  headers?: Record<string, string> | undefined;
  /** Custom fetch for the Bot API (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /**
   * Limits the hub applies to sends.
   * @default { perSecond: 30, perRecipientIntervalMs: 1000 } (Telegram's FAQ: about 30 messages/s overall, about one per second in a chat)
   */
  rateLimit?: ChannelRateLimit | undefined;
  /** `parse_mode` for texts and captions. @default plain text */
  parseMode?: 'HTML' | 'MarkdownV2' | undefined;
  /** Send `link_preview_options: { is_disabled: true }` with every text. @default false */
  disableLinkPreview?: boolean | undefined;
  /**
   * Answer every button press with `answerCallbackQuery` as soon as it is parsed (the button stops spinning in the
   * user's app). Turn off to answer yourself with `channel.client.answerCallbackQuery`. @default true
   */
  answerCallbacks?: boolean | undefined;
  /** Price per message, e.g. for paid broadcasts (`allow_paid_broadcast`, charged in Stars). @default free (0) */
  pricing?: PerMessagePrice | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
}

/** Counts of webhook/polling updates that produced no event, by update kind and reason. */
export type TelegramIgnoredUpdates = IgnoredUpdates<TelegramIgnoredReason>;

/** The Telegram channel: the core `Channel` plus the typed Bot API client and polling support. */
export interface TelegramChannel extends Channel {
  /** The typed Bot API client this channel sends with (`setWebhook`, `getMe`, callback answers, any method). */
  readonly client: TelegramClient;
  /** Updates ignored so far (edits, group and bot messages, unhandled kinds). */
  ignoredUpdates(): TelegramIgnoredUpdates;
  /**
   * Wraps one update from `getUpdates` as the webhook delivery Telegram would have POSTed (with the secret header), for
   * `hub.handleWebhook(channel.id, request)`: polled updates then go through exactly the webhook path. Used by
   * `createTelegramPoller`.
   */
  updateRequest(update: unknown): Request;
}

/**
 * Telegram's documented pacing (Bot FAQ, "My bot is hitting limits"): about 30 messages per second overall and no more
 * than one message per second in a single chat.
 */
export const TELEGRAM_DEFAULT_RATE_LIMIT: ChannelRateLimit = { perSecond: 30, perRecipientIntervalMs: 1000 };

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    token: z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]+$/, 'not a Telegram bot token (<bot id>:<secret>, as @BotFather gives it)')
      .optional(),
    webhookSecret: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'Telegram accepts only A-Z, a-z, 0-9, _ and - in a secret_token')
      .min(16, 'use at least 16 random characters')
      .max(256, 'Telegram accepts at most 256 characters')
      .optional(),
    botUsername: z.string().min(1).optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
    rateLimit: rateLimitSettingsSchema.optional(),
    parseMode: z.enum(['HTML', 'MarkdownV2']).optional(),
    disableLinkPreview: z.boolean().optional(),
    answerCallbacks: z.boolean().optional(),
    pricing: perMessagePriceSchema.optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

const capabilities: ChannelCapabilities = {
  maxTextLength: TELEGRAM_TEXT_LIMIT,
  contentTypes: ['text', 'media', 'template', 'email', 'interactive', 'location'],
  mediaKinds: ['image', 'document', 'video', 'audio', 'sticker'],
  templates: false,
  canStartConversation: false,
  address: 'chat',
  billedOn: 'accepted',
  interruptedSend: 'assume-sent',
};

const chatIdPattern = /^\d{1,19}$/;

/**
 * The Telegram chat id a contact is reachable at: `identities.telegram` (set by the CRM, or when a deep link linked
 * the contact), else the latest private chat the hub recorded from their messages (`identities.telegramChatIds`). In
 * a private chat the chat id is the user's id.
 */
export function telegramChatIdOf(contact: Contact, channelKind = 'telegram'): string | undefined {
  return chatIdentityOf(contact, channelKind, chatIdPattern);
}

/**
 * Creates the Telegram channel for one bot. Telegram bots are reply-only: a bot cannot write first and cannot send by
 * phone number, so `canReach` is true only for a contact with a Telegram chat id (`identities.telegram`, or one
 * recorded from their messages) — a user who wrote to the bot or pressed Start, e.g. through {@link telegramDeepLink}.
 *
 * Sends text (≤ 4096 characters), photos, documents, video, audio and stickers (by URL or `file_id`, caption ≤ 1024),
 * interactive content as an inline keyboard of callback buttons, locations and venues, templates as their
 * `fallbackText` and e-mail content as its `text`. Free by default. Webhooks (`X-Telegram-Bot-Api-Secret-Token`) and
 * long polling (`createTelegramPoller`) feed the same events.
 * @example
 * const telegram = createTelegramChannel({ token: process.env.TELEGRAM_BOT_TOKEN, webhookSecret: process.env.TELEGRAM_WEBHOOK_SECRET });
 * await telegram.client.setWebhook({ url: 'https://crm.example/hooks/telegram', secretToken: process.env.TELEGRAM_WEBHOOK_SECRET! });
 * const hub = createOmnidealer({ channels: [telegram] });
 * @throws ValidationError for malformed settings (no network call is made here; a missing token fails on first use).
 * @see https://core.telegram.org/bots/api
 */
export function createTelegramChannel(settings: TelegramChannelSettings = {}): TelegramChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'telegram');
  const secrets = createSecretRegistry();
  secrets.add(parsed.token);
  secrets.add(parsed.webhookSecret);
  // Polled updates are handed to parseWebhook with a secret too; without a configured one, a random one that no
  // outside request can know (so unconfigured webhooks stay refused).
  const secret = parsed.webhookSecret ?? randomBytes(24).toString('base64url');
  secrets.add(secret);
  const id = parsed.id ?? 'telegram';
  // The part of the token before ':' is the bot's user id: public, and a stable account name.
  const accountId = parsed.token ? (parsed.token.split(':')[0] as string) : id;
  const client = createTelegramClient({
    secrets,
    accountId,
    token: parsed.token,
    baseURL: parsed.baseURL,
    headers: parsed.headers,
    fetch: parsed.fetch,
    timeoutMs: parsed.timeoutMs,
  });
  const pricing = parsed.pricing;
  const ignored = createIgnoredUpdatesCounter<TelegramIgnoredReason>();
  const convertOptions = { parseMode: parsed.parseMode, disableLinkPreview: parsed.disableLinkPreview };

  const unsupported = (content: MessageContent): string | undefined => {
    if (!capabilities.contentTypes.includes(content.type)) return `Telegram bots cannot send ${content.type} content`;
    if (content.type === 'template' && !content.fallbackText) return 'Telegram has no templates: a fallbackText is required';
    return undefined;
  };

  // Checked now: a bad username is a settings error, not a failure at the first invite.
  const botUsername = parsed.botUsername;
  if (botUsername) telegramDeepLink(botUsername);

  const channel: TelegramChannel = {
    id,
    kind: 'telegram',
    accountId,
    capabilities,
    rateLimit: parsed.rateLimit ?? TELEGRAM_DEFAULT_RATE_LIMIT,
    client,
    secrets: () => secrets.values(),
    ...(botUsername ? { inviteLink: (payload: string) => telegramDeepLink(botUsername, payload) } : {}),

    validate(content) {
      convertToTelegramMessage(content, convertOptions);
    },

    canReach({ contact, content }): Reachability {
      const problem = unsupported(content);
      if (problem) return { reachable: false, reason: 'unsupported_content', detail: problem };
      if (contact.consent?.[id] === 'opted_out' || contact.consent?.telegram === 'opted_out') {
        return { reachable: false, reason: 'opted_out', detail: 'the contact blocked the Telegram bot or opted out of it' };
      }
      const chatId = telegramChatIdOf(contact);
      if (!chatId) {
        return {
          reachable: false,
          reason: 'cannot_start_conversation',
          detail:
            'Telegram bots are reply-only: no Telegram chat id for this contact (they must write to the bot or press Start first)',
        };
      }
      return { reachable: true, address: chatId };
    },

    estimateCost(): CostEstimate {
      return perMessageCost(pricing, 'Telegram bot messages are free');
    },

    async doSend(message: OutboundMessage, { signal }): Promise<SendResult> {
      if (!chatIdPattern.test(message.to)) {
        throw new ValidationError({ channel: 'telegram', field: 'to', message: 'a Telegram recipient is the numeric chat id' });
      }
      const plan = convertToTelegramMessage(message.content, { ...convertOptions, replyTo: message.replyTo });
      const sent = await client.send(plan.method, { chat_id: Number(message.to), ...plan.parameters }, { signal });
      return { providerMessageId: `${sent.chat.id}:${sent.message_id}`, status: 'sent' };
    },

    provider: 'telegram',
    claimWebhook: (request) => claimTelegramWebhook(request, secret),
    async parseWebhook(request) {
      const result = await parseTelegramWebhook(request, {
        secret,
        channel: 'telegram',
        onIgnored: ignored.record,
      });
      if (parsed.answerCallbacks !== false) {
        for (const event of result.events) {
          const queryId = event.type === 'inbound' ? event.metadata?.telegramCallbackQueryId : undefined;
          // Not awaited: the answer only stops the button's spinner; a failed one (too old, a repeat) changes nothing.
          if (typeof queryId === 'string') void client.answerCallbackQuery(queryId).catch(() => undefined);
        }
      }
      return result;
    },

    ignoredUpdates: ignored.snapshot,

    updateRequest(update) {
      return new Request(`http://telegram.poller.local/${encodeURIComponent(id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TELEGRAM_SECRET_HEADER]: secret },
        body: JSON.stringify(update),
      });
    },
  };
  return channel;
}
