import { type MessageContent, ValidationError } from '@omnidealer/core';

/**
 * Longest text VK accepts in one message, in characters (dev.vk.com, `messages.send`, `message`: «до 4096 символов»;
 * longer texts fail with error 914). Longer texts are refused before any network call.
 */
export const VK_TEXT_LIMIT = 4096;

/** Longest button payload: the JSON string VK returns in `message.payload` (vk-io's keyboard builder: 255 characters). */
const VK_BUTTON_PAYLOAD_LIMIT = 255;

/** Longest button label (vk-io's keyboard builder: «Maximum length of label 40 characters»). */
const VK_BUTTON_LABEL_LIMIT = 40;

/** An inline keyboard holds at most 6 rows (vk-io's `KeyboardBuilder`) and 10 buttons (dev.vk.com, «Клавиатуры для ботов»). */
const VK_INLINE_ROWS = 6;
const VK_INLINE_BUTTONS = 10;

/** An attachment VK already has: `<type><owner_id>_<media_id>[_<access_key>]`, e.g. `photo-229010001_457239017`. */
const attachmentPattern = /^(photo|doc|video|audio|audio_message)-?\d+_\d+(_[A-Za-z0-9]+)?$/;

/**
 * The parameters of `messages.send` a message content becomes (besides `peer_id` and `random_id`, which the channel
 * adds): `message`, `keyboard` (JSON), `attachment`, `lat`/`long`, `reply_to`.
 */
export interface VkSendParams {
  message?: string;
  /** The keyboard as the JSON string VK expects. */
  keyboard?: string;
  /** Attachments as `<type><owner_id>_<media_id>[_<access_key>]`, comma-separated. */
  attachment?: string;
  lat?: number;
  long?: number;
  /** The VK message id this message replies to. */
  reply_to?: number;
}

/** Media the channel must upload before `messages.send`: a photo, or any other kind as a document. */
export interface VkUpload {
  type: 'photo' | 'doc';
  url: string;
  filename?: string | undefined;
  mimeType?: string | undefined;
}

/**
 * The upload media content by URL needs (VK cannot fetch a URL itself): images as message photos, documents, video and
 * audio as documents (a community token can call neither `video.save` nor the closed audio API). `undefined` for
 * everything else, including media given by `mediaId`.
 */
export function vkUploadOf(content: MessageContent): VkUpload | undefined {
  if (content.type !== 'media' || content.mediaId !== undefined || !content.url || content.kind === 'sticker') return undefined;
  return {
    type: content.kind === 'image' ? 'photo' : 'doc',
    url: content.url,
    ...(content.filename ? { filename: content.filename } : {}),
    ...(content.mimeType ? { mimeType: content.mimeType } : {}),
  };
}

/** The payload a button of ours carries: the core button or row id, as `{"id":"…"}` (VK's payload is JSON). */
export function vkButtonPayload(id: string): string {
  return JSON.stringify({ id });
}

function characters(text: string): number {
  return text.length > 0 && /[\uD800-\uDFFF]/.test(text) ? [...text].length : text.length;
}

function fail(field: string, message: string): never {
  throw new ValidationError({ channel: 'vk', field, message });
}

function checkText(text: string, field: string): void {
  const length = characters(text);
  if (length > VK_TEXT_LIMIT) fail(field, `${field} is ${length} characters; VK allows ${VK_TEXT_LIMIT} per message`);
}

/** Joins the non-empty parts with a blank line. */
function paragraphs(...parts: Array<string | undefined>): string {
  return parts.filter((part): part is string => Boolean(part?.trim())).join('\n\n');
}

type VkButton = { action: { type: 'text' | 'callback'; label: string; payload: string } };

/**
 * What a keyboard button is: `text` (the press is a message from the user, `message_new` with `payload`) or
 * `callback` (the press is a `message_event`, answered with `messages.sendMessageEventAnswer`; needs the Callback API
 * or Long Poll at API version ≥ 5.103 and the `message_event` event).
 */
export type VkButtonType = 'text' | 'callback';

function button(label: string, id: string, field: string, type: VkButtonType): VkButton {
  if (characters(label) > VK_BUTTON_LABEL_LIMIT) {
    fail(`${field}.title`, `a VK button label is at most ${VK_BUTTON_LABEL_LIMIT} characters`);
  }
  const payload = vkButtonPayload(id);
  if (payload.length > VK_BUTTON_PAYLOAD_LIMIT) {
    fail(`${field}.id`, `the button payload ${payload.length} characters as JSON; VK allows ${VK_BUTTON_PAYLOAD_LIMIT}`);
  }
  return { action: { type, label, payload } };
}

/**
 * Converts core message content to the parameters of VK's `messages.send`, checking VK's limits first:
 *
 * - `text` → `message`; `template` → its `fallbackText` (VK has no templates); `email` → its `text`.
 * - `media` → `attachment`, given as `mediaId` = an attachment VK already has (`photo-229010001_457239017`,
 *   `doc…`, `video…`, `audio…`); the caption becomes the message. Media by URL gets no `attachment` here: the channel
 *   uploads it first (`photos.getMessagesUploadServer` / `docs.getMessagesUploadServer`) and adds it.
 * - `interactive` → the text (header, body, footer) with an **inline keyboard**, one button per row (two per row past
 *   6 buttons): the payload is `{"id":"<button or row id>"}`, which VK returns in `message_new` (text buttons, the
 *   default) or in `message_event` (`buttons: 'callback'`).
 * - `location` → `lat` / `long`, with the name and address as the message.
 *
 * @throws ValidationError (before any network call) for text over {@link VK_TEXT_LIMIT} characters, a label over 40
 * characters, a payload over 255, more than 10 buttons, media with neither `url` nor a VK `mediaId`, a template without
 * `fallbackText`, or reactions.
 * @example
 * const params = convertToVkMessage({
 *   type: 'interactive',
 *   body: 'Записать вас на тест-драйв?',
 *   action: { type: 'buttons', buttons: [{ id: 'td:yes', title: 'Да' }, { id: 'td:no', title: 'Нет' }] },
 * });
 * // params.keyboard = '{"inline":true,"buttons":[[{"action":{"type":"text","label":"Да","payload":"{\"id\":\"td:yes\"}"}}],…]}'
 * @see https://dev.vk.com/ru/method/messages.send
 */
export function convertToVkMessage(
  content: MessageContent,
  options: { replyTo?: string | undefined; buttons?: VkButtonType | undefined } = {},
): VkSendParams {
  const buttonType = options.buttons ?? 'text';
  const withOptions = (params: VkSendParams): VkSendParams => {
    if (options.replyTo && /^\d+$/.test(options.replyTo)) params.reply_to = Number(options.replyTo);
    return params;
  };
  switch (content.type) {
    case 'text':
    case 'email':
      checkText(content.text, 'content.text');
      return withOptions({ message: content.text });
    case 'template': {
      if (!content.fallbackText) {
        fail('content.fallbackText', 'content.fallbackText is required: VK has no templates and sends it as plain text');
      }
      checkText(content.fallbackText, 'content.fallbackText');
      return withOptions({ message: content.fallbackText });
    }
    case 'media': {
      if (content.kind === 'sticker') fail('content.kind', 'VK stickers are not supported: send an image');
      if (content.mediaId !== undefined && !attachmentPattern.test(content.mediaId)) {
        fail('content.mediaId', 'a VK mediaId is an attachment VK already has, like photo-229010001_457239017');
      }
      if (content.mediaId === undefined && !content.url) fail('content.url', 'VK media needs a url or a mediaId');
      // Media by URL: the channel uploads it first and adds the attachment (see vkUploadOf).
      const params: VkSendParams = content.mediaId !== undefined ? { attachment: content.mediaId } : {};
      if (content.caption) {
        checkText(content.caption, 'content.caption');
        params.message = content.caption;
      }
      return withOptions(params);
    }
    case 'interactive': {
      const text = paragraphs(content.header, content.body, content.footer);
      checkText(text, 'content.body');
      const buttons =
        content.action.type === 'buttons'
          ? content.action.buttons.map((each, index) =>
              button(each.title, each.id, `content.action.buttons.${index}`, buttonType),
            )
          : content.action.sections.flatMap((section, sectionIndex) =>
              section.rows.map((row, rowIndex) =>
                button(row.title, row.id, `content.action.sections.${sectionIndex}.rows.${rowIndex}`, buttonType),
              ),
            );
      if (buttons.length > VK_INLINE_BUTTONS) {
        fail('content.action', `a VK inline keyboard has at most ${VK_INLINE_BUTTONS} buttons; this one has ${buttons.length}`);
      }
      const perRow = buttons.length > VK_INLINE_ROWS ? 2 : 1;
      const rows: VkButton[][] = [];
      for (let index = 0; index < buttons.length; index += perRow) rows.push(buttons.slice(index, index + perRow));
      return withOptions({ message: text, keyboard: JSON.stringify({ inline: true, buttons: rows }) });
    }
    case 'location': {
      const text = paragraphs(content.name, content.address);
      const params: VkSendParams = { lat: content.latitude, long: content.longitude };
      if (text) {
        checkText(text, 'content.name');
        params.message = text;
      }
      return withOptions(params);
    }
    case 'reaction':
      return fail('content', 'VK community messages cannot send reactions');
  }
}
