import { type InboundEvent, type MessageContent, WebhookError, type WebhookResult } from '@omnidealer/core';
import { timingSafeEqualStrings, type WebhookClaim, type WebhookRequest } from '@omnidealer/core/provider-utils';
import type { z } from 'zod';
import {
  type TelegramMessageWire,
  type TelegramUserWire,
  telegramCallbackQuerySchema,
  telegramChatMemberUpdatedSchema,
  telegramMessageSchema,
  telegramUpdateSchema,
} from './telegram-api.js';

/** The header Telegram puts on every webhook delivery, carrying the `secret_token` given to `setWebhook`. */
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * Says whether a delivery on the shared Telegram route (`/hooks/telegram`, several bots) is this bot's: an update
 * does not name the bot, so the one whose `secret_token` `X-Telegram-Bot-Api-Secret-Token` carries claims it
 * (constant-time compare). Give each bot its own `webhookSecret`. Never throws; `parseTelegramWebhook` verifies the
 * secret again.
 * @see https://core.telegram.org/bots/api#setwebhook
 */
export function claimTelegramWebhook(request: WebhookRequest, secret: string | undefined): WebhookClaim {
  const given = request.headers.get(TELEGRAM_SECRET_HEADER);
  return { mine: secret !== undefined && given !== null && timingSafeEqualStrings(given, secret) };
}

/** Why an update produced no event. */
export type TelegramIgnoredReason =
  /** An update kind the channel does not turn into events (`inline_query`, `poll`, a kind Telegram adds later…). */
  | 'unhandled_type'
  /** `edited_message`: core has no edit of an inbound message. */
  | 'edit'
  /** A message or membership change in a group, supergroup or channel, not in a private chat with the bot. */
  | 'not_a_private_chat'
  /** A message sent by a bot. */
  | 'from_a_bot'
  /** `my_chat_member` other than a block (`kicked`): the user restarted the bot, which its `/start` message shows. */
  | 'membership_change';

/** Options of {@link parseTelegramWebhook}. */
export interface ParseTelegramWebhookOptions {
  /**
   * The `secret_token` the webhook was set with. Every delivery must carry it in `X-Telegram-Bot-Api-Secret-Token`,
   * compared in constant time; without a configured secret every delivery is refused.
   */
  secret: string | undefined;
  /** Called once per update that produced no event, e.g. to count them. */
  onIgnored?: ((updateType: string, reason: TelegramIgnoredReason) => void) | undefined;
  /** Channel kind for errors. @default 'telegram' */
  channel?: string | undefined;
}

type Outcome = { event: InboundEvent } | { ignored: TelegramIgnoredReason; updateType: string };

const startCommand = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*$/;

function nameOf(user: TelegramUserWire | null | undefined): string | undefined {
  if (!user) return undefined;
  const full = [user.first_name, user.last_name].filter((part) => part?.trim()).join(' ');
  return full || undefined;
}

function malformed(channel: string, what: string, error: z.ZodError): WebhookError {
  const fields = error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
  return new WebhookError({ channel, kind: 'malformed', message: `telegram: ${what} without a valid ${fields}` });
}

/** What a received message says, as core content: text, a photo, a file or a location, or a labelled placeholder. */
export function telegramMessageContent(message: TelegramMessageWire): { content: MessageContent; kind: InboundEvent['kind'] } {
  const caption = message.caption?.trim() ? { caption: message.caption } : {};
  const photo = message.photo?.at(-1);
  if (photo) return { content: { type: 'media', kind: 'image', mediaId: photo.file_id, ...caption }, kind: 'message' };
  const file = message.document ?? message.video ?? message.audio ?? message.voice;
  if (file) {
    const kind = message.document ? 'document' : message.video ? 'video' : 'audio';
    return {
      content: {
        type: 'media',
        kind,
        mediaId: file.file_id,
        ...(file.file_name ? { filename: file.file_name } : {}),
        ...(file.mime_type ? { mimeType: file.mime_type } : {}),
        ...caption,
      },
      kind: 'message',
    };
  }
  const location = message.location;
  if (location && Math.abs(location.latitude) <= 90 && Math.abs(location.longitude) <= 180) {
    return { content: { type: 'location', latitude: location.latitude, longitude: location.longitude }, kind: 'message' };
  }
  if (message.text?.trim()) return { content: { type: 'text', text: message.text }, kind: 'message' };
  const known = ['sticker', 'animation', 'video_note', 'contact', 'poll', 'dice'].find((key) => key in message);
  return { content: { type: 'text', text: `[Telegram ${known ?? 'message'}]` }, kind: 'unsupported' };
}

/** The label of the inline button whose `callback_data` is `data`, in the keyboard of the pressed message. */
function buttonLabel(message: TelegramMessageWire | null | undefined, data: string | undefined): string | undefined {
  const rows = (message?.reply_markup as { inline_keyboard?: unknown } | null | undefined)?.inline_keyboard;
  if (data === undefined || !Array.isArray(rows)) return undefined;
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (const button of row as Array<{ callback_data?: unknown; text?: unknown }>) {
      if (button?.callback_data === data && typeof button.text === 'string' && button.text) return button.text;
    }
  }
  return undefined;
}

function userMetadata(user: TelegramUserWire | null | undefined): Record<string, unknown> {
  return {
    ...(user?.username ? { telegramUsername: user.username } : {}),
    ...(user?.language_code ? { telegramLanguageCode: user.language_code } : {}),
  };
}

/**
 * Normalises one Telegram update (a webhook body, or an item of `getUpdates`) into a core inbound event:
 *
 * | update | event |
 * |---|---|
 * | `message` in a private chat | `kind: 'message'` (text, photo, document, video, audio, voice, location), id = `<chat id>:<message_id>` |
 * | `message` `/start <payload>` | `kind: 'start'`, `payload` = the deep-link start parameter (`t.me/<bot>?start=<payload>`) |
 * | `callback_query` | `kind: 'button_reply'`, `payload` = the button's `callback_data`, `metadata.telegramCallbackQueryId` |
 * | `my_chat_member` → `kicked` in a private chat | `kind: 'stop'`: the user blocked the bot, an opt-out |
 * | `edited_message`, group messages, bots' messages, other membership changes, any other kind | none (ignored, with the reason) |
 *
 * Every event has `from` = `senderId` = `conversationExternalId` = the private chat's id (the user id, where replies
 * go), `at` = the update's `date` in ms, and `metadata.telegramUpdateId`.
 * @throws WebhookError `malformed` when the update, or a handled kind's required fields, do not match the Bot API's shapes.
 */
export function parseTelegramUpdate(update: unknown, channel = 'telegram'): Outcome {
  if (Array.isArray(update)) throw new WebhookError({ channel, kind: 'malformed', message: 'telegram: update is a list' });
  const base = telegramUpdateSchema.safeParse(update);
  if (!base.success) throw malformed(channel, 'update', base.error);
  const updateId = base.data.update_id;
  const updateType = Object.keys(base.data).find((key) => key !== 'update_id') ?? 'empty';
  const body = base.data as Record<string, unknown>;
  switch (updateType) {
    case 'message': {
      const parsed = telegramMessageSchema.safeParse(body.message);
      if (!parsed.success) throw malformed(channel, 'message', parsed.error);
      const message = parsed.data;
      if (message.chat.type !== 'private' || !message.from) return { ignored: 'not_a_private_chat', updateType };
      if (message.from.is_bot) return { ignored: 'from_a_bot', updateType };
      const chatId = String(message.chat.id);
      const start = message.text ? startCommand.exec(message.text) : null;
      const payload = start?.[1];
      const { content, kind } = start
        ? { content: { type: 'text' as const, text: message.text as string }, kind: 'start' as const }
        : telegramMessageContent(message);
      const profileName = nameOf(message.from);
      const replyTo = message.reply_to_message ? `${chatId}:${message.reply_to_message.message_id}` : undefined;
      return {
        event: {
          type: 'inbound',
          providerMessageId: `${chatId}:${message.message_id}`,
          from: chatId,
          senderId: String(message.from.id),
          conversationExternalId: chatId,
          content,
          kind,
          ...(payload ? { payload } : {}),
          at: message.date * 1000,
          ...(profileName ? { profileName } : {}),
          ...(replyTo ? { replyTo } : {}),
          metadata: { telegramUpdateId: updateId, ...userMetadata(message.from) },
        },
      };
    }
    case 'callback_query': {
      const parsed = telegramCallbackQuerySchema.safeParse(body.callback_query);
      if (!parsed.success) throw malformed(channel, 'callback_query', parsed.error);
      const query = parsed.data;
      if (query.from.is_bot) return { ignored: 'from_a_bot', updateType };
      if (query.message && query.message.chat.type !== 'private') return { ignored: 'not_a_private_chat', updateType };
      const chatId = String(query.message?.chat.id ?? query.from.id);
      const data = query.data ?? undefined;
      const profileName = nameOf(query.from);
      return {
        event: {
          type: 'inbound',
          providerMessageId: `callback:${query.id}`,
          from: chatId,
          senderId: String(query.from.id),
          conversationExternalId: chatId,
          content: { type: 'text', text: buttonLabel(query.message, data) ?? data ?? '[Telegram button]' },
          kind: 'button_reply',
          ...(data !== undefined ? { payload: data } : {}),
          // A callback query carries no time of its own: the pressed message's date is the best known bound.
          at: (query.message?.date ?? 0) * 1000,
          ...(profileName ? { profileName } : {}),
          ...(query.message ? { replyTo: `${chatId}:${query.message.message_id}` } : {}),
          metadata: { telegramUpdateId: updateId, telegramCallbackQueryId: query.id, ...userMetadata(query.from) },
        },
      };
    }
    case 'my_chat_member': {
      const parsed = telegramChatMemberUpdatedSchema.safeParse(body.my_chat_member);
      if (!parsed.success) throw malformed(channel, 'my_chat_member', parsed.error);
      const change = parsed.data;
      if (change.chat.type !== 'private') return { ignored: 'not_a_private_chat', updateType };
      if (change.new_chat_member.status !== 'kicked') return { ignored: 'membership_change', updateType };
      const chatId = String(change.chat.id);
      const profileName = nameOf(change.from);
      return {
        event: {
          type: 'inbound',
          providerMessageId: `update:${updateId}`,
          from: chatId,
          senderId: String(change.from.id),
          conversationExternalId: chatId,
          content: { type: 'text', text: '[Telegram: the user blocked the bot]' },
          kind: 'stop',
          at: change.date * 1000,
          ...(profileName ? { profileName } : {}),
          metadata: { telegramUpdateId: updateId, ...userMetadata(change.from) },
        },
      };
    }
    case 'edited_message':
      return { ignored: 'edit', updateType };
    default:
      return { ignored: 'unhandled_type', updateType };
  }
}

/**
 * Verifies and parses one Telegram webhook delivery (one update per POST, as Telegram sends them).
 *
 * - **Secret**: the `X-Telegram-Bot-Api-Secret-Token` header must equal the webhook's `secret_token` (constant-time
 *   compare); missing, wrong, or no secret configured → `WebhookError` `signature` (the hub answers 401), nothing applied.
 * - **Malformed**: not JSON, or not an update of the Bot API's shape → `WebhookError` `malformed` (400), nothing applied.
 * - **Ignored**: edits, group messages, bots' messages, unhandled kinds: no event, reported to `onIgnored`.
 * - **Duplicates**: not filtered here; the hub drops repeats by `providerMessageId`.
 * @throws WebhookError as above.
 * @see https://core.telegram.org/bots/api#setwebhook
 */
export async function parseTelegramWebhook(
  request: WebhookRequest,
  options: ParseTelegramWebhookOptions,
): Promise<WebhookResult> {
  const channel = options.channel ?? 'telegram';
  if (options.secret === undefined) {
    throw new WebhookError({
      channel,
      kind: 'signature',
      message: 'telegram: no webhookSecret configured: every delivery is refused',
    });
  }
  const given = request.headers.get(TELEGRAM_SECRET_HEADER);
  if (given === null || !timingSafeEqualStrings(given, options.secret)) {
    throw new WebhookError({
      channel,
      kind: 'signature',
      message: `telegram: ${TELEGRAM_SECRET_HEADER} header missing or wrong`,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(request.body));
  } catch (error) {
    throw new WebhookError({ channel, kind: 'malformed', message: 'telegram: webhook body is not JSON', cause: error });
  }
  const outcome = parseTelegramUpdate(body, channel);
  if ('event' in outcome) return { events: [outcome.event] };
  options.onIgnored?.(outcome.updateType, outcome.ignored);
  return { events: [], ignored: 1 };
}
