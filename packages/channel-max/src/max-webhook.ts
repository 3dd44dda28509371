import { type InboundEvent, type MessageContent, WebhookError, type WebhookResult } from '@omnidealer/core';
import { timingSafeEqualStrings, type WebhookClaim, type WebhookRequest } from '@omnidealer/core/provider-utils';
import type { z } from 'zod';
import {
  type MaxMessageWire,
  type MaxUserWire,
  type maxAttachmentSchema,
  maxBotDialogUpdateSchema,
  maxCallbackUpdateSchema,
  maxMessageRemovedUpdateSchema,
  maxMessageUpdateSchema,
  maxUpdateBaseSchema,
} from './max-api.js';

/** The header MAX puts on every webhook delivery, carrying the `secret` given to `POST /subscriptions`. */
export const MAX_SECRET_HEADER = 'x-max-bot-api-secret';

/**
 * Says whether a delivery on the shared MAX route (`/hooks/max`, several bots) is this bot's: MAX updates do not name
 * the bot, so the one whose secret `X-Max-Bot-Api-Secret` carries claims it (constant-time compare). Give each bot its
 * own `webhookSecret`. Never throws; `parseMaxWebhook` verifies the secret again.
 * @see https://dev.max.ru/docs-api/methods/POST/subscriptions
 */
export function claimMaxWebhook(request: WebhookRequest, secret: string | undefined): WebhookClaim {
  const given = request.headers.get(MAX_SECRET_HEADER);
  return { mine: secret !== undefined && given !== null && timingSafeEqualStrings(given, secret) };
}

/** Why an update produced no event. */
export type MaxIgnoredReason =
  /** A type the channel does not turn into events (`bot_added`, `dialog_muted`, a type MAX adds later…). */
  | 'unhandled_type'
  /** `message_edited` / `message_removed`: core has no edit or delete of an inbound message. */
  | 'edit_or_removal'
  /** A message in a group chat or channel, not in a dialog with the bot. */
  | 'not_a_dialog'
  /** A message sent by a bot (ours included). */
  | 'from_a_bot';

/** Options of {@link parseMaxWebhook}. */
export interface ParseMaxWebhookOptions {
  /**
   * The `secret` the subscription was made with. Every delivery must carry it in `X-Max-Bot-Api-Secret`, compared in
   * constant time; without a configured secret every delivery is refused.
   */
  secret: string | undefined;
  /** Called once per update that produced no event, e.g. to count them. */
  onIgnored?: ((updateType: string, reason: MaxIgnoredReason) => void) | undefined;
  /** Channel kind for errors. @default 'max' */
  channel?: string | undefined;
}

type Attachment = z.infer<typeof maxAttachmentSchema>;

function nameOf(user: MaxUserWire): string | undefined {
  const full = [user.first_name, user.last_name].filter((part) => part?.trim()).join(' ');
  return full || user.name || undefined;
}

function httpUrl(value: unknown): string | undefined {
  return typeof value === 'string' && /^https?:\/\//.test(value) ? value : undefined;
}

/** Maps a received attachment to core content (with the message text as its caption), or undefined to skip it. */
function attachmentContent(attachment: Attachment, caption: string | undefined): MessageContent | undefined {
  const payload = (attachment.payload ?? {}) as Record<string, unknown>;
  const url = httpUrl(payload.url);
  const captioned = caption ? { caption } : {};
  switch (attachment.type) {
    case 'image':
      return url ? { type: 'media', kind: 'image', url, ...captioned } : undefined;
    case 'video':
      return url ? { type: 'media', kind: 'video', url, ...captioned } : undefined;
    case 'audio':
      return url ? { type: 'media', kind: 'audio', url, ...captioned } : undefined;
    case 'file':
      return url
        ? {
            type: 'media',
            kind: 'document',
            url,
            ...(attachment.filename ? { filename: attachment.filename } : {}),
            ...captioned,
          }
        : undefined;
    case 'location': {
      const { latitude, longitude } = attachment;
      if (typeof latitude !== 'number' || typeof longitude !== 'number') return undefined;
      if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
      return { type: 'location', latitude, longitude };
    }
    default:
      return undefined;
  }
}

/** What a received message says, as core content: text, a media or location attachment, or a labelled placeholder. */
export function maxMessageContent(message: MaxMessageWire): { content: MessageContent; kind: InboundEvent['kind'] } {
  const text = message.body.text?.trim() ? message.body.text : undefined;
  const attachments = (message.body.attachments ?? []).filter((attachment) => attachment.type !== 'inline_keyboard');
  for (const attachment of attachments) {
    const content = attachmentContent(attachment, text);
    if (content) return { content, kind: 'message' };
  }
  if (text) return { content: { type: 'text', text }, kind: 'message' };
  const label = attachments[0]?.type ?? 'empty message';
  return { content: { type: 'text', text: `[MAX ${label}]` }, kind: 'unsupported' };
}

/** The label of the callback button carrying `payload` in the message's keyboard, if it can be found. */
function buttonLabel(message: MaxMessageWire | null | undefined, payload: string | undefined): string | undefined {
  if (!message || payload === undefined) return undefined;
  for (const attachment of message.body.attachments ?? []) {
    if (attachment.type !== 'inline_keyboard') continue;
    const rows = (attachment.payload as { buttons?: unknown } | undefined)?.buttons;
    if (!Array.isArray(rows)) continue;
    for (const row of rows) {
      if (!Array.isArray(row)) continue;
      for (const button of row as Array<{ payload?: unknown; text?: unknown }>) {
        if (button?.payload === payload && typeof button.text === 'string' && button.text) return button.text;
      }
    }
  }
  return undefined;
}

function malformed(channel: string, what: string, error: z.ZodError): WebhookError {
  const fields = error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
  return new WebhookError({ channel, kind: 'malformed', message: `max: ${what} without a valid ${fields}` });
}

/** What one update produced: an event, or why there is none. */
type MaxUpdateOutcome = { event: InboundEvent } | { ignored: MaxIgnoredReason; updateType: string };

/**
 * Normalises one MAX update (a webhook body, or an item of `GET /updates`) into a core inbound event:
 *
 * | `update_type` | event |
 * |---|---|
 * | `message_created` in a dialog | `kind: 'message'` (text, image, video, audio, file, location), id = `body.mid` |
 * | `message_callback` | `kind: 'button_reply'`, `payload` = the button payload, `metadata.maxCallbackId` for `answerCallback` |
 * | `bot_started` | `kind: 'start'`, `payload` = the deep-link start parameter (`https://max.ru/<bot>?start=<payload>`) |
 * | `bot_stopped` | `kind: 'stop'`: the user stopped or blocked the bot, an opt-out |
 * | `message_edited`, `message_removed`, group messages, bots' messages, any other type | none (ignored, with the reason) |
 *
 * Every event has `from` = `senderId` = `conversationExternalId` = the MAX user id (the address a reply goes to),
 * `at` = the update's time (MAX sends epoch milliseconds), and `metadata.maxChatId` = the dialog's chat id.
 * @throws WebhookError `malformed` when the update, or a handled type's required fields, do not match MAX's shapes.
 */
export function parseMaxUpdate(update: unknown, channel = 'max'): MaxUpdateOutcome {
  const base = maxUpdateBaseSchema.safeParse(update);
  if (!base.success) throw malformed(channel, 'update', base.error);
  const updateType = base.data.update_type;
  switch (updateType) {
    case 'message_created': {
      const parsed = maxMessageUpdateSchema.safeParse(update);
      if (!parsed.success) throw malformed(channel, 'message_created', parsed.error);
      const { message } = parsed.data;
      const chatType = message.recipient.chat_type;
      if (chatType && chatType !== 'dialog') return { ignored: 'not_a_dialog', updateType };
      const sender = message.sender;
      if (!sender) return { ignored: 'not_a_dialog', updateType };
      if (sender.is_bot) return { ignored: 'from_a_bot', updateType };
      const userId = String(sender.user_id);
      const { content, kind } = maxMessageContent(message);
      const profileName = nameOf(sender);
      const replyTo = message.link?.type === 'reply' ? message.link.message?.mid : undefined;
      return {
        event: {
          type: 'inbound',
          providerMessageId: message.body.mid,
          from: userId,
          senderId: userId,
          conversationExternalId: userId,
          content,
          kind,
          at: message.timestamp,
          ...(profileName ? { profileName } : {}),
          ...(replyTo ? { replyTo } : {}),
          metadata: {
            maxUpdateType: updateType,
            ...(message.recipient.chat_id != null ? { maxChatId: message.recipient.chat_id } : {}),
            ...(message.link?.type === 'forward' ? { maxForwarded: true } : {}),
            ...(parsed.data.user_locale ? { maxUserLocale: parsed.data.user_locale } : {}),
          },
        },
      };
    }
    case 'message_callback': {
      const parsed = maxCallbackUpdateSchema.safeParse(update);
      if (!parsed.success) throw malformed(channel, 'message_callback', parsed.error);
      const { callback, message } = parsed.data;
      if (callback.user.is_bot) return { ignored: 'from_a_bot', updateType };
      const userId = String(callback.user.user_id);
      const payload = callback.payload ?? undefined;
      const label = buttonLabel(message, payload) ?? payload ?? '[MAX button]';
      const profileName = nameOf(callback.user);
      return {
        event: {
          type: 'inbound',
          providerMessageId: `callback:${callback.callback_id}`,
          from: userId,
          senderId: userId,
          conversationExternalId: userId,
          content: { type: 'text', text: label },
          kind: 'button_reply',
          ...(payload !== undefined ? { payload } : {}),
          at: callback.timestamp ?? parsed.data.timestamp,
          ...(profileName ? { profileName } : {}),
          ...(message?.body.mid ? { replyTo: message.body.mid } : {}),
          metadata: {
            maxUpdateType: updateType,
            maxCallbackId: callback.callback_id,
            ...(message?.recipient.chat_id != null ? { maxChatId: message.recipient.chat_id } : {}),
            ...(parsed.data.user_locale ? { maxUserLocale: parsed.data.user_locale } : {}),
          },
        },
      };
    }
    case 'bot_started':
    case 'bot_stopped': {
      const parsed = maxBotDialogUpdateSchema.safeParse(update);
      if (!parsed.success) throw malformed(channel, updateType, parsed.error);
      const { user, chat_id: chatId, timestamp } = parsed.data;
      const userId = String(user.user_id);
      const started = updateType === 'bot_started';
      const payload = started && parsed.data.payload ? parsed.data.payload : undefined;
      const profileName = nameOf(user);
      return {
        event: {
          type: 'inbound',
          // No message id exists for these: the user and the time identify the press (a repeat delivery has both).
          providerMessageId: `${updateType}:${userId}:${timestamp}`,
          from: userId,
          senderId: userId,
          conversationExternalId: userId,
          content: { type: 'text', text: started ? (payload ? `/start ${payload}` : '/start') : '/stop' },
          kind: started ? 'start' : 'stop',
          ...(payload ? { payload } : {}),
          at: timestamp,
          ...(profileName ? { profileName } : {}),
          metadata: {
            maxUpdateType: updateType,
            maxChatId: chatId,
            ...(parsed.data.user_locale ? { maxUserLocale: parsed.data.user_locale } : {}),
          },
        },
      };
    }
    case 'message_edited': {
      const parsed = maxMessageUpdateSchema.safeParse(update);
      if (!parsed.success) throw malformed(channel, updateType, parsed.error);
      return { ignored: 'edit_or_removal', updateType };
    }
    case 'message_removed': {
      const parsed = maxMessageRemovedUpdateSchema.safeParse(update);
      if (!parsed.success) throw malformed(channel, updateType, parsed.error);
      return { ignored: 'edit_or_removal', updateType };
    }
    default:
      return { ignored: 'unhandled_type', updateType };
  }
}

/**
 * Verifies and parses one MAX webhook delivery (one update per POST, as MAX sends them).
 *
 * - **Secret**: the `X-Max-Bot-Api-Secret` header must equal the subscription's secret (constant-time compare);
 *   missing, wrong, or no secret configured → `WebhookError` `signature` (the hub answers 401), nothing applied.
 * - **Malformed**: not JSON, or not an update of MAX's shape → `WebhookError` `malformed` (400), nothing applied.
 * - **Ignored**: update types the channel does not handle, edits, removals, group and bot messages: no event,
 *   counted in `ignored` and reported to `onIgnored`.
 * - **Duplicates**: not filtered here; the hub drops repeats by `providerMessageId`.
 * @throws WebhookError as above.
 * @see https://dev.max.ru/docs-api/methods/POST/subscriptions
 */
export async function parseMaxWebhook(request: WebhookRequest, options: ParseMaxWebhookOptions): Promise<WebhookResult> {
  const channel = options.channel ?? 'max';
  const given = request.headers.get(MAX_SECRET_HEADER);
  if (options.secret === undefined) {
    throw new WebhookError({
      channel,
      kind: 'signature',
      message: 'max: no webhookSecret configured: every delivery is refused',
    });
  }
  if (given === null || !timingSafeEqualStrings(given, options.secret)) {
    throw new WebhookError({ channel, kind: 'signature', message: `max: ${MAX_SECRET_HEADER} header missing or wrong` });
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(request.body));
  } catch (error) {
    throw new WebhookError({ channel, kind: 'malformed', message: 'max: webhook body is not JSON', cause: error });
  }
  const outcome = parseMaxUpdate(body, channel);
  if ('event' in outcome) return { events: [outcome.event] };
  options.onIgnored?.(outcome.updateType, outcome.ignored);
  return { events: [], ignored: 1 };
}
