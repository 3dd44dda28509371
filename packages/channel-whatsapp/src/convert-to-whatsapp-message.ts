import { type MessageContent, ValidationError } from '@omnidealer/core';
import { toWhatsAppTemplate, type WhatsAppTemplatePayload } from './whatsapp-template.js';
import { isWhatsAppUserId } from './whatsapp-user-id.js';

/**
 * Field limits of the Cloud API that are checked before any network call.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages
 */
export const WHATSAPP_LIMITS = {
  text: 4096,
  caption: 1024,
  interactiveBody: 1024,
  interactiveHeader: 60,
  interactiveFooter: 60,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  listButton: 20,
  listRows: 10,
  listSections: 10,
  listSectionTitle: 24,
  listRowTitle: 24,
  listRowDescription: 72,
  listRowId: 200,
} as const;

/** The JSON body of `POST /{phone-number-id}/messages`: addressed by `to` (a phone number) or `recipient`. */
export interface WhatsAppMessageBody {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** The recipient's phone number or `wa_id`, digits only. */
  to?: string;
  /** The recipient's business-scoped user id (`US.1349…`), for a user known without a phone number. */
  recipient?: string;
  type: 'text' | 'template' | 'image' | 'video' | 'document' | 'audio' | 'sticker' | 'interactive' | 'location' | 'reaction';
  context?: { message_id: string };
  text?: { body: string; preview_url: boolean };
  template?: WhatsAppTemplatePayload;
  image?: Record<string, string>;
  video?: Record<string, string>;
  document?: Record<string, string>;
  audio?: Record<string, string>;
  sticker?: Record<string, string>;
  interactive?: Record<string, unknown>;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  reaction?: { message_id: string; emoji: string };
  /** Returned in the message's status webhooks (the channel puts our message id here); at most 512 characters. */
  biz_opaque_callback_data?: string;
}

const length = (text: string) => [...text].length;

/** `base` (addressing) completed with the message's type and its payload, in that order. */
function withPayload(
  base: WhatsAppMessageBody,
  type: WhatsAppMessageBody['type'],
  payload: Partial<WhatsAppMessageBody>,
): WhatsAppMessageBody {
  base.type = type;
  return Object.assign(base, payload);
}

function check(condition: boolean, field: string, message: string): void {
  if (!condition) throw new ValidationError({ channel: 'whatsapp', field, message: `${field}: ${message}` });
}

function maxLength(text: string | undefined, limit: number, field: string): void {
  if (text === undefined) return;
  // UTF-16 units are never fewer than characters: only a text over the limit in units is counted.
  if (text.length <= limit) return;
  const characters = length(text);
  check(characters <= limit, field, `is ${characters} characters; WhatsApp allows ${limit}`);
}

/**
 * Checks content against the Cloud API's limits: text ≤ 4096, caption ≤ 1024 and only on image/video/document,
 * interactive body ≤ 1024, header/footer ≤ 60, ≤ 3 reply buttons with titles ≤ 20 and unique ids ≤ 256, lists with
 * ≤ 10 rows in total, row title ≤ 24, description ≤ 72, button ≤ 20. E-mail content is not sendable on WhatsApp.
 * @throws ValidationError naming the field, before any network call.
 */
export function validateWhatsAppContent(content: MessageContent): void {
  switch (content.type) {
    case 'text':
      maxLength(content.text, WHATSAPP_LIMITS.text, 'content.text');
      return;
    case 'media':
      if (content.caption !== undefined) {
        check(
          content.kind === 'image' || content.kind === 'video' || content.kind === 'document',
          'content.caption',
          `WhatsApp does not send a caption with ${content.kind}`,
        );
        maxLength(content.caption, WHATSAPP_LIMITS.caption, 'content.caption');
      }
      check(content.filename === undefined || content.kind === 'document', 'content.filename', 'only documents carry a filename');
      return;
    case 'interactive': {
      maxLength(content.body, WHATSAPP_LIMITS.interactiveBody, 'content.body');
      maxLength(content.header, WHATSAPP_LIMITS.interactiveHeader, 'content.header');
      maxLength(content.footer, WHATSAPP_LIMITS.interactiveFooter, 'content.footer');
      const action = content.action;
      if (action.type === 'buttons') {
        check(
          action.buttons.length <= WHATSAPP_LIMITS.buttons,
          'content.action.buttons',
          `has ${action.buttons.length} buttons; WhatsApp allows ${WHATSAPP_LIMITS.buttons}`,
        );
        const ids = new Set<string>();
        action.buttons.forEach((button, index) => {
          maxLength(button.title, WHATSAPP_LIMITS.buttonTitle, `content.action.buttons.${index}.title`);
          maxLength(button.id, WHATSAPP_LIMITS.buttonId, `content.action.buttons.${index}.id`);
          check(!ids.has(button.id), `content.action.buttons.${index}.id`, `duplicate button id "${button.id}"`);
          ids.add(button.id);
        });
      } else {
        maxLength(action.button, WHATSAPP_LIMITS.listButton, 'content.action.button');
        check(
          action.sections.length <= WHATSAPP_LIMITS.listSections,
          'content.action.sections',
          `has ${action.sections.length} sections; WhatsApp allows ${WHATSAPP_LIMITS.listSections}`,
        );
        const rows = action.sections.reduce((total, section) => total + section.rows.length, 0);
        check(
          rows <= WHATSAPP_LIMITS.listRows,
          'content.action.sections',
          `has ${rows} rows; WhatsApp allows ${WHATSAPP_LIMITS.listRows}`,
        );
        const ids = new Set<string>();
        action.sections.forEach((section, sectionIndex) => {
          const path = `content.action.sections.${sectionIndex}`;
          maxLength(section.title, WHATSAPP_LIMITS.listSectionTitle, `${path}.title`);
          check(
            action.sections.length === 1 || Boolean(section.title),
            `${path}.title`,
            'is required when a list has several sections',
          );
          section.rows.forEach((row, rowIndex) => {
            maxLength(row.title, WHATSAPP_LIMITS.listRowTitle, `${path}.rows.${rowIndex}.title`);
            maxLength(row.description, WHATSAPP_LIMITS.listRowDescription, `${path}.rows.${rowIndex}.description`);
            maxLength(row.id, WHATSAPP_LIMITS.listRowId, `${path}.rows.${rowIndex}.id`);
            check(!ids.has(row.id), `${path}.rows.${rowIndex}.id`, `duplicate row id "${row.id}"`);
            ids.add(row.id);
          });
        });
      }
      return;
    }
    case 'email':
      check(false, 'content.type', 'e-mail content cannot be sent on WhatsApp');
      return;
    default:
      return;
  }
}

/**
 * Converts our content into a Cloud API send body: `to` as digits without `+` (or, for an address that is a
 * business-scoped user id such as `US.13491208655302741918`, `recipient` with the id as is), `context.message_id` for replies,
 * and the object named after the type (text with `preview_url`, template, media by id or link with caption,
 * interactive buttons/list, location, reaction).
 * @throws ValidationError when the content breaks a WhatsApp limit (see {@link validateWhatsAppContent}).
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
 */
export function convertToWhatsAppMessage(content: MessageContent, to: string, replyTo?: string): WhatsAppMessageBody {
  validateWhatsAppContent(content);
  // Built key by key, not as `{ ...base, type, … }`: on Node 20 a spread followed by new keys takes V8's slow path,
  // and so does every key added to its result afterwards. Same keys in the same order.
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual' } as WhatsAppMessageBody;
  // Meta: `to` wins when both are set, so a user id goes alone in `recipient`.
  if (isWhatsAppUserId(to)) base.recipient = to;
  else base.to = to.replace(/\D/g, '');
  if (replyTo) base.context = { message_id: replyTo };
  switch (content.type) {
    case 'text':
      return withPayload(base, 'text', { text: { body: content.text, preview_url: content.previewUrl ?? false } });
    case 'template':
      return withPayload(base, 'template', { template: toWhatsAppTemplate(content) });
    case 'media': {
      const media: Record<string, string> = content.mediaId ? { id: content.mediaId } : { link: content.url as string };
      if (content.caption !== undefined) media.caption = content.caption;
      if (content.filename !== undefined) media.filename = content.filename;
      return withPayload(base, content.kind, { [content.kind]: media });
    }
    case 'interactive': {
      const action = content.action;
      const interactive: Record<string, unknown> = {
        type: action.type === 'buttons' ? 'button' : 'list',
        ...(content.header ? { header: { type: 'text', text: content.header } } : {}),
        body: { text: content.body },
        ...(content.footer ? { footer: { text: content.footer } } : {}),
        action:
          action.type === 'buttons'
            ? { buttons: action.buttons.map((button) => ({ type: 'reply', reply: { id: button.id, title: button.title } })) }
            : {
                button: action.button,
                sections: action.sections.map((section) => ({
                  ...(section.title ? { title: section.title } : {}),
                  rows: section.rows.map((row) => ({
                    id: row.id,
                    title: row.title,
                    ...(row.description ? { description: row.description } : {}),
                  })),
                })),
              },
      };
      return withPayload(base, 'interactive', { interactive });
    }
    case 'location':
      return withPayload(base, 'location', {
        location: {
          latitude: content.latitude,
          longitude: content.longitude,
          ...(content.name ? { name: content.name } : {}),
          ...(content.address ? { address: content.address } : {}),
        },
      });
    case 'reaction':
      return withPayload(base, 'reaction', { reaction: { message_id: content.messageId, emoji: content.emoji } });
    case 'email':
      throw new ValidationError({
        channel: 'whatsapp',
        field: 'content.type',
        message: 'e-mail content cannot be sent on WhatsApp',
      });
  }
}
