import { type MessageContent, ValidationError } from '@omnidealer/core';

/** Longest message text, counted in UTF-16 code units (Bot API `sendMessage`: «1-4096 characters after entities parsing»). */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Longest media caption, counted like the text (Bot API `sendPhoto`/`sendDocument`: «0-1024 characters»). */
export const TELEGRAM_CAPTION_LIMIT = 1024;

/** Longest callback data of an inline button, in UTF-8 bytes (`InlineKeyboardButton.callback_data`: «1-64 bytes»). */
export const TELEGRAM_CALLBACK_DATA_LIMIT = 64;

/** Parse modes the Bot API accepts for texts and captions. */
export type TelegramParseMode = 'HTML' | 'MarkdownV2';

/** The Bot API call that sends one message: a `send*` method and its JSON parameters (without `chat_id`). */
export interface TelegramMessagePlan {
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument' | 'sendVideo' | 'sendAudio' | 'sendSticker' | 'sendLocation' | 'sendVenue';
  parameters: Record<string, unknown>;
}

/** Options of {@link convertToTelegramMessage}. */
export interface ConvertToTelegramMessageOptions {
  /** `parse_mode` for texts and captions. @default plain text */
  parseMode?: TelegramParseMode | undefined;
  /** Sends `link_preview_options: { is_disabled: true }` with texts. @default false */
  disableLinkPreview?: boolean | undefined;
  /** The provider message id replied to (`<chat id>:<message id>`, as the channel writes them). */
  replyTo?: string | undefined;
}

const mediaMethods = {
  image: ['sendPhoto', 'photo'],
  document: ['sendDocument', 'document'],
  video: ['sendVideo', 'video'],
  audio: ['sendAudio', 'audio'],
  sticker: ['sendSticker', 'sticker'],
} as const;

const encoder = new TextEncoder();

function fail(field: string, message: string): never {
  throw new ValidationError({ channel: 'telegram', field, message });
}

function checkLength(text: string, field: string, limit: number, what: string): void {
  if (text.length > limit) fail(field, `${field} is ${text.length} characters; Telegram allows ${limit} per ${what}`);
}

function checkButton(id: string, field: string): string {
  const bytes = encoder.encode(id).length;
  if (bytes > TELEGRAM_CALLBACK_DATA_LIMIT) {
    fail(`${field}.id`, `the button id is ${bytes} bytes; Telegram's callback_data allows ${TELEGRAM_CALLBACK_DATA_LIMIT}`);
  }
  return id;
}

/** Joins the non-empty parts with a blank line. */
function paragraphs(...parts: Array<string | undefined>): string {
  return parts.filter((part): part is string => Boolean(part?.trim())).join('\n\n');
}

/** The Telegram `message_id` in one of our provider message ids (`<chat id>:<message id>`), if it is one. */
export function telegramMessageIdOf(providerMessageId: string): number | undefined {
  const match = /^-?\d+:(\d+)$/.exec(providerMessageId);
  return match ? Number(match[1]) : undefined;
}

/**
 * Converts core message content to one Bot API `send*` call, checking Telegram's limits first:
 *
 * - `text` → `sendMessage`; `template` → its `fallbackText` (Telegram has no templates); `email` → its `text`.
 * - `media` → `sendPhoto` / `sendDocument` / `sendVideo` / `sendAudio` / `sendSticker` with the `url` (Telegram fetches
 *   it) or the `mediaId` (a Telegram `file_id`) and the caption.
 * - `interactive` → `sendMessage` with an `inline_keyboard` of callback buttons, one per row: the button or row `id`
 *   is the `callback_data` Telegram returns when it is pressed.
 * - `location` → `sendLocation`, or `sendVenue` when it has both a name and an address.
 *
 * @throws ValidationError (before any network call) for text over {@link TELEGRAM_TEXT_LIMIT}, a caption over
 * {@link TELEGRAM_CAPTION_LIMIT}, a button id over {@link TELEGRAM_CALLBACK_DATA_LIMIT} bytes, a template without
 * `fallbackText`, or reactions.
 * @example
 * const plan = convertToTelegramMessage({
 *   type: 'interactive',
 *   body: 'Записать вас на тест-драйв?',
 *   action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }, { id: 'td:no', title: 'Нет' }] },
 * });
 * // { method: 'sendMessage', parameters: { text: '…', reply_markup: { inline_keyboard: [[{ text: 'Да', callback_data: 'td:yes' }], …] } } }
 * @see https://core.telegram.org/bots/api#sendmessage
 */
export function convertToTelegramMessage(
  content: MessageContent,
  options: ConvertToTelegramMessageOptions = {},
): TelegramMessagePlan {
  const replyId = options.replyTo ? telegramMessageIdOf(options.replyTo) : undefined;
  const common = (parameters: Record<string, unknown>, formatted: boolean): Record<string, unknown> => ({
    ...parameters,
    ...(formatted && options.parseMode ? { parse_mode: options.parseMode } : {}),
    ...(replyId !== undefined ? { reply_parameters: { message_id: replyId, allow_sending_without_reply: true } } : {}),
  });
  const textMessage = (text: string, field: string, extra: Record<string, unknown> = {}): TelegramMessagePlan => {
    if (!text) fail(field, `${field} must not be empty`);
    checkLength(text, field, TELEGRAM_TEXT_LIMIT, 'message');
    return {
      method: 'sendMessage',
      parameters: common(
        { text, ...(options.disableLinkPreview ? { link_preview_options: { is_disabled: true } } : {}), ...extra },
        true,
      ),
    };
  };
  switch (content.type) {
    case 'text':
    case 'email':
      return textMessage(content.text, 'content.text');
    case 'template':
      if (!content.fallbackText) {
        fail('content.fallbackText', 'content.fallbackText is required: Telegram has no templates and sends it as text');
      }
      return textMessage(content.fallbackText, 'content.fallbackText');
    case 'media': {
      const [method, field] = mediaMethods[content.kind];
      if (content.caption) {
        if (content.kind === 'sticker') fail('content.caption', 'Telegram stickers carry no caption');
        checkLength(content.caption, 'content.caption', TELEGRAM_CAPTION_LIMIT, 'caption');
      }
      return {
        method,
        parameters: common(
          { [field]: content.mediaId ?? content.url, ...(content.caption ? { caption: content.caption } : {}) },
          Boolean(content.caption),
        ),
      };
    }
    case 'interactive': {
      const rows =
        content.action.type === 'buttons'
          ? content.action.buttons.map((button, index) => [
              { text: button.title, callback_data: checkButton(button.id, `content.action.buttons.${index}`) },
            ])
          : content.action.sections.flatMap((section, sectionIndex) =>
              section.rows.map((row, rowIndex) => [
                {
                  text: row.title,
                  callback_data: checkButton(row.id, `content.action.sections.${sectionIndex}.rows.${rowIndex}`),
                },
              ]),
            );
      return textMessage(paragraphs(content.header, content.body, content.footer), 'content.body', {
        reply_markup: { inline_keyboard: rows },
      });
    }
    case 'location': {
      const position = { latitude: content.latitude, longitude: content.longitude };
      if (content.name && content.address) {
        return { method: 'sendVenue', parameters: common({ ...position, title: content.name, address: content.address }, false) };
      }
      return { method: 'sendLocation', parameters: common(position, false) };
    }
    case 'reaction':
      return fail('content', 'reactions are not sent through Telegram messages');
  }
}
