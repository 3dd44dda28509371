import { type MessageContent, ValidationError } from '@omnidealer/core';

/**
 * Longest text MAX accepts in one message, in characters (the fact sheet of the project and MAX's documentation of
 * `NewMessageBody.text`: «до 4000 символов»). Longer texts are refused before any network call.
 */
export const MAX_TEXT_LIMIT = 4000;

/** Longest callback-button payload, in characters (`CallbackButton.payload`, `maxLength: 1024` in MAX's OpenAPI schema). */
export const MAX_BUTTON_PAYLOAD_LIMIT = 1024;

/** Longest button label, in characters (`Button.text`, `minLength: 1`, `maxLength: 128` in MAX's OpenAPI schema). */
const MAX_BUTTON_TEXT_LIMIT = 128;

/** Most rows an inline keyboard may have (dev.max.ru, «Клавиатура в сообщениях»: up to 210 buttons in 30 rows of 7). */
const MAX_KEYBOARD_ROWS = 30;

/** A button of an inline keyboard (`CallbackButton` / `LinkButton` in the client's `types/keyboard.d.ts`). */
type MaxButton = { type: 'callback'; text: string; payload: string } | { type: 'link'; text: string; url: string };

/**
 * An attachment of an outgoing message (`AttachmentRequest` in the client's `types/attachment-request.d.ts`); keyboard
 * buttons are `CallbackButton` / `LinkButton` of its `types/keyboard.d.ts`.
 */
export type MaxAttachmentRequest =
  | { type: 'image'; payload: { url: string } | { token: string } }
  | { type: 'file' | 'video' | 'audio'; payload: { token: string } }
  | {
      type: 'inline_keyboard';
      payload: {
        buttons: Array<Array<{ type: 'callback'; text: string; payload: string } | { type: 'link'; text: string; url: string }>>;
      };
    }
  | { type: 'location'; latitude: number; longitude: number };

/** The JSON body of `POST /messages` (`SendMessageDTO.body`). */
export interface MaxNewMessageBody {
  text?: string | null;
  /** `MessageTextFormat`. */
  format?: 'markdown' | 'html';
  attachments?: MaxAttachmentRequest[];
  /** A reply to an earlier message (`link: { type: 'reply', mid }`). */
  link?: { type: 'reply'; mid: string };
  notify?: boolean;
}

/** What {@link convertToMaxMessage} produced: the body, and the media the channel must upload first, if any. */
export interface MaxMessagePlan {
  body: MaxNewMessageBody;
  /**
   * A file, video or audio given by URL: the channel downloads it, uploads it (`POST /uploads?type=…`, then the
   * returned URL) and appends `{ type, payload: { token } }` to `body.attachments`.
   */
  upload?:
    | { type: 'image' | 'file' | 'video' | 'audio'; url: string; filename?: string | undefined; mimeType?: string | undefined }
    | undefined;
}

const uploadTypeOf = { image: 'image', document: 'file', video: 'video', audio: 'audio' } as const;

function characters(text: string): number {
  return text.length > 0 && /[\uD800-\uDFFF]/.test(text) ? [...text].length : text.length;
}

function fail(field: string, message: string): never {
  throw new ValidationError({ channel: 'max', field, message });
}

function checkText(text: string, field: string): void {
  const length = characters(text);
  if (length > MAX_TEXT_LIMIT) fail(field, `${field} is ${length} characters; MAX allows ${MAX_TEXT_LIMIT} per message`);
}

function checkButton(label: string, payload: string, field: string): void {
  if (characters(label) > MAX_BUTTON_TEXT_LIMIT) {
    fail(`${field}.title`, `a MAX button label is at most ${MAX_BUTTON_TEXT_LIMIT} characters`);
  }
  const length = characters(payload);
  if (length > MAX_BUTTON_PAYLOAD_LIMIT) {
    fail(`${field}.id`, `the button payload is ${length} characters; MAX allows ${MAX_BUTTON_PAYLOAD_LIMIT}`);
  }
}

/** Joins the non-empty parts with a blank line. */
function paragraphs(...parts: Array<string | undefined>): string {
  return parts.filter((part): part is string => Boolean(part?.trim())).join('\n\n');
}

/**
 * Converts core message content to the body of a MAX `POST /messages`, checking MAX's limits first:
 *
 * - `text` → `text`; `template` → its `fallbackText` (MAX has no templates); `email` → its `text`.
 * - `media` → an `image` attachment (by `url`, which MAX fetches itself, or by `mediaId` = an upload token); documents,
 *   video and audio by `mediaId` (a token) or by `url` (the channel uploads them first, see {@link MaxMessagePlan}). The
 *   caption becomes the message text.
 * - `interactive` → the text (header, body, footer) with an `inline_keyboard` of `callback` buttons, one per row: the
 *   button or row `id` is the payload MAX returns in `message_callback`.
 * - `location` → a `location` attachment.
 *
 * @throws ValidationError (before any network call) for text over {@link MAX_TEXT_LIMIT} characters, a button payload
 * over {@link MAX_BUTTON_PAYLOAD_LIMIT}, a label over 128 characters, more than 30 keyboard rows, a template without `fallbackText`, or content MAX cannot carry (reactions, stickers).
 * @example
 * const { body } = convertToMaxMessage({
 *   type: 'interactive',
 *   body: 'Записать вас на тест-драйв?',
 *   action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }, { id: 'td:no', title: 'Нет' }] },
 * });
 * // body.attachments[0] = { type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'Да', payload: 'td:yes' }], …] } }
 * @see https://dev.max.ru/docs-api/methods/POST/messages
 */
export function convertToMaxMessage(
  content: MessageContent,
  options: { format?: 'markdown' | 'html' | undefined; replyTo?: string | undefined } = {},
): MaxMessagePlan {
  const withOptions = (body: MaxNewMessageBody): MaxNewMessageBody => {
    if (options.format && body.text) body.format = options.format;
    if (options.replyTo) body.link = { type: 'reply', mid: options.replyTo };
    return body;
  };
  switch (content.type) {
    case 'text':
      checkText(content.text, 'content.text');
      return { body: withOptions({ text: content.text }) };
    case 'email':
      checkText(content.text, 'content.text');
      return { body: withOptions({ text: content.text }) };
    case 'template': {
      if (!content.fallbackText) {
        fail('content.fallbackText', 'content.fallbackText is required: MAX has no templates and sends it as plain text');
      }
      checkText(content.fallbackText, 'content.fallbackText');
      return { body: withOptions({ text: content.fallbackText }) };
    }
    case 'media': {
      if (content.kind === 'sticker') fail('content.kind', 'MAX stickers are not supported: send an image');
      if (content.caption) checkText(content.caption, 'content.caption');
      const type = uploadTypeOf[content.kind];
      const body: MaxNewMessageBody = content.caption ? { text: content.caption } : {};
      if (content.mediaId) {
        body.attachments = [{ type, payload: { token: content.mediaId } } as MaxAttachmentRequest];
        return { body: withOptions(body) };
      }
      const url = content.url as string;
      if (type === 'image') {
        body.attachments = [{ type: 'image', payload: { url } }];
        return { body: withOptions(body) };
      }
      body.attachments = [];
      return {
        body: withOptions(body),
        upload: { type, url, filename: content.filename, mimeType: content.mimeType },
      };
    }
    case 'interactive': {
      const text = paragraphs(content.header, content.body, content.footer);
      checkText(text, 'content.body');
      let rows: MaxButton[][];
      if (content.action.type === 'buttons') {
        rows = content.action.buttons.map((button, index) => {
          checkButton(button.title, button.id, `content.action.buttons.${index}`);
          return [{ type: 'callback', text: button.title, payload: button.id }];
        });
      } else {
        rows = content.action.sections.flatMap((section, sectionIndex) =>
          section.rows.map((row, rowIndex) => {
            checkButton(row.title, row.id, `content.action.sections.${sectionIndex}.rows.${rowIndex}`);
            return [{ type: 'callback' as const, text: row.title, payload: row.id }];
          }),
        );
      }
      if (rows.length > MAX_KEYBOARD_ROWS) {
        fail('content.action', `a MAX keyboard has at most ${MAX_KEYBOARD_ROWS} rows; this one has ${rows.length}`);
      }
      return { body: withOptions({ text, attachments: [{ type: 'inline_keyboard', payload: { buttons: rows } }] }) };
    }
    case 'location': {
      const text = paragraphs(content.name, content.address);
      if (text) checkText(text, 'content.name');
      const body: MaxNewMessageBody = {
        attachments: [{ type: 'location', latitude: content.latitude, longitude: content.longitude }],
      };
      if (text) body.text = text;
      return { body: withOptions(body) };
    }
    case 'reaction':
      return fail('content', 'MAX bots cannot send reactions');
  }
}
