import { ValidationError } from '@omnidealer/core';
import type { MediaKind } from '@omnidealer/core/provider-utils';
import { z } from 'zod';

/**
 * Media the Cloud API accepts, by kind: MIME types and the largest file in bytes.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types
 */
export const WHATSAPP_MEDIA_TYPES: Record<MediaKind, { mimeTypes: readonly string[]; maxBytes: number }> = {
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024 },
  video: { mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024 },
  audio: {
    mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    maxBytes: 16 * 1024 * 1024,
  },
  document: {
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * 1024 * 1024,
  },
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * 1024 },
};

/** A file to upload with {@link WhatsAppMediaUpload}. */
export interface WhatsAppMediaUpload {
  /** The file's bytes. */
  data: Blob | Uint8Array;
  /** MIME type, e.g. `image/jpeg`; decides the kind and the size limit. `audio/ogg; codecs=opus` is accepted. */
  mimeType: string;
  /** File name shown for documents. @default 'file' */
  filename?: string;
}

/** `POST /{phone-number-id}/media` success body `{ "id": "…" }`. */
export const whatsAppMediaUploadResponseSchema = z.looseObject({ id: z.string().min(1) });

/**
 * The media kind of a MIME type, checking the Cloud API's type and size limits before any upload.
 * @throws ValidationError (`media.mimeType` or `media.data`) for an unsupported type or an oversized file.
 */
export function whatsAppMediaKind(mimeType: string, size: number): MediaKind {
  const base = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
  const entry = (Object.entries(WHATSAPP_MEDIA_TYPES) as Array<[MediaKind, (typeof WHATSAPP_MEDIA_TYPES)[MediaKind]]>).find(
    ([, limits]) => limits.mimeTypes.includes(base),
  );
  if (!entry)
    throw new ValidationError({
      channel: 'whatsapp',
      field: 'media.mimeType',
      message: `media.mimeType: WhatsApp does not accept "${base}"`,
    });
  const [kind, limits] = entry;
  if (size > limits.maxBytes)
    throw new ValidationError({
      channel: 'whatsapp',
      field: 'media.data',
      message: `media.data: ${kind} is ${size} bytes; WhatsApp allows ${limits.maxBytes}`,
    });
  return kind;
}

/** Builds the multipart form of a media upload (`messaging_product`, `type`, `file`). */
export function whatsAppMediaForm(upload: WhatsAppMediaUpload): FormData {
  const blob = upload.data instanceof Blob ? upload.data : new Blob([new Uint8Array(upload.data)], { type: upload.mimeType });
  whatsAppMediaKind(upload.mimeType, blob.size);
  const form = new FormData();
  form.set('messaging_product', 'whatsapp');
  form.set('type', upload.mimeType);
  form.set('file', blob.type === upload.mimeType ? blob : new Blob([blob], { type: upload.mimeType }), upload.filename ?? 'file');
  return form;
}
