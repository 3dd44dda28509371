import { downloadMedia } from '@omnidealer/core/provider-utils';
import type { VkUpload } from './convert-to-vk-message.js';
import type { VkClient } from './vk-client.js';

/** Uploaded attachments kept for a retried send, so a retry after a failed `messages.send` does not upload again. */
const uploadCacheSize = 200;

/** Uploads media given by URL for the VK channel, and remembers the attachment per message until it is sent. */
export interface VkMediaUploader {
  /** The attachment for `upload` in message `messageId` to `peerId`: uploaded now, or the one uploaded by an earlier try. */
  attachmentFor(messageId: string, upload: VkUpload, peerId: string, signal: AbortSignal | undefined): Promise<string>;
  /** Forgets the attachment of a message that was sent. */
  sent(messageId: string): void;
}

/**
 * Creates the uploader: downloads the URL with core's `downloadMedia` (size limit, timeout, loopback and private
 * hosts refused unless `allowPrivate`), then uploads it through the client (a message photo, or a document).
 */
export function createVkMediaUploader(options: {
  client: VkClient;
  allowPrivate?: boolean | undefined;
  timeoutMs?: number | undefined;
}): VkMediaUploader {
  const attachments = new Map<string, string>();
  return {
    async attachmentFor(messageId, upload, peerId, signal) {
      const cached = attachments.get(messageId);
      if (cached) return cached;
      const media = await downloadMedia(upload.url, {
        channel: 'vk',
        signal,
        allowPrivate: options.allowPrivate,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
      const filename = upload.filename ?? (new URL(media.url).pathname.split('/').pop() || 'file');
      const file = { data: media.data, filename, mimeType: upload.mimeType ?? media.contentType };
      const attachment =
        upload.type === 'photo'
          ? await options.client.uploadMessagePhoto(peerId, file, { signal })
          : await options.client.uploadMessageDocument(peerId, { ...file, title: filename }, { signal });
      if (attachments.size >= uploadCacheSize) attachments.delete(attachments.keys().next().value as string);
      attachments.set(messageId, attachment);
      return attachment;
    },
    sent(messageId) {
      attachments.delete(messageId);
    },
  };
}
