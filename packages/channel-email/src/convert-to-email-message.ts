import { type MessageContent, ValidationError } from '@omnidealer/core';
import type { MediaContent } from '@omnidealer/core/provider-utils';
import { assertHeaderSafe } from './email-address.js';
import { type EmailTemplates, renderEmailTemplate } from './email-template.js';

/** A file attached to an e-mail. `path` is the `http(s)` URL the channel downloads before it hands the mail over. */
export interface EmailAttachment {
  filename: string;
  path: string;
  contentType?: string | undefined;
}

/** What an e-mail says: subject, plain text, optional HTML and attachments. */
export interface EmailMessage {
  subject: string;
  text: string;
  html?: string | undefined;
  attachments: EmailAttachment[];
}

/** Options of {@link convertToEmailMessage}. */
export interface ConvertToEmailMessageOptions {
  /** Templates for `template` content. */
  templates?: EmailTemplates | undefined;
  /** Subject for content that has none (`text`, `media`). */
  defaultSubject: string;
}

function attachmentOf(media: MediaContent): EmailAttachment {
  if (!media.url) {
    throw new ValidationError({
      channel: 'email',
      field: 'content.mediaId',
      message: 'e-mail attaches media by URL; provider media ids are not supported',
    });
  }
  const lastSegment = decodeURIComponent(new URL(media.url).pathname.split('/').pop() ?? '');
  const filename = media.filename ?? (lastSegment || media.kind);
  assertHeaderSafe(filename, 'content.filename');
  const attachment: EmailAttachment = { filename, path: media.url };
  if (media.mimeType) {
    assertHeaderSafe(media.mimeType, 'content.mimeType');
    attachment.contentType = media.mimeType;
  }
  return attachment;
}

/**
 * Maps omnidealer content to an e-mail: `email` content as is; `text` with the default subject; `template`
 * rendered from the channel's templates; `media` as an attachment (its caption as the text).
 * Pure: no network. Subjects are checked for CR/LF (header injection) after templates were filled in.
 * @throws ValidationError for unsupported content, unknown templates, missing parameters or unsafe subjects.
 * @example
 * convertToEmailMessage({ type: 'text', text: 'Ваш автомобиль готов' }, { defaultSubject: 'Автосалон Север' });
 * // → { subject: 'Автосалон Север', text: 'Ваш автомобиль готов', attachments: [] }
 */
export function convertToEmailMessage(content: MessageContent, options: ConvertToEmailMessageOptions): EmailMessage {
  let message: EmailMessage;
  switch (content.type) {
    case 'email':
      message = { subject: content.subject, text: content.text, attachments: [] };
      if (content.html !== undefined) message.html = content.html;
      break;
    case 'text':
      message = { subject: options.defaultSubject, text: content.text, attachments: [] };
      break;
    case 'template': {
      const rendered = renderEmailTemplate(options.templates, content);
      message = { subject: rendered.subject, text: rendered.text, attachments: [] };
      if (rendered.html !== undefined) message.html = rendered.html;
      break;
    }
    case 'media':
      message = { subject: options.defaultSubject, text: content.caption ?? '', attachments: [attachmentOf(content)] };
      break;
    default:
      throw new ValidationError({
        channel: 'email',
        field: 'content.type',
        message: `e-mail cannot send ${content.type} content`,
      });
  }
  assertHeaderSafe(message.subject, 'content.subject');
  if (!message.subject.trim()) {
    throw new ValidationError({ channel: 'email', field: 'content.subject', message: 'content.subject must not be empty' });
  }
  return message;
}
