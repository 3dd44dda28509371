import { ValidationError } from '@omnidealer/core';
import { createTestServer, type RecordedCall } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { accessToken, apiVersion, graphErrors, phoneNumberId } from './__fixtures__/fixtures.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';
import { whatsAppMediaKind } from './whatsapp-media.js';

const mediaRoute = `POST https://graph.facebook.com/${apiVersion}/${phoneNumberId}/media`;
const uploads: FormData[] = [];
const api = createTestServer({
  [mediaRoute]: async (call: RecordedCall) => {
    uploads.push(
      await new Response(call.text, { headers: { 'content-type': call.headers.get('content-type') ?? '' } }).formData(),
    );
    return Response.json({ id: '1013859600285441' });
  },
});
const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion });

describe('media upload', () => {
  it('posts a multipart form with messaging_product, type and the file, and returns the media id', async () => {
    uploads.length = 0;
    const pdf = new TextEncoder().encode('%PDF-1.7 offer');
    await expect(channel.uploadMedia({ data: pdf, mimeType: 'application/pdf', filename: 'offer.pdf' })).resolves.toEqual({
      mediaId: '1013859600285441',
    });
    const [form] = uploads;
    expect(form?.get('messaging_product')).toBe('whatsapp');
    expect(form?.get('type')).toBe('application/pdf');
    const file = form?.get('file') as File;
    expect(file.name).toBe('offer.pdf');
    expect(await file.text()).toBe('%PDF-1.7 offer');
    expect(api.calls[0]?.headers.get('authorization')).toBe(`Bearer ${accessToken}`);
    expect(api.calls[0]?.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('refuses unsupported types and oversized files before any upload', async () => {
    await expect(channel.uploadMedia({ data: new Uint8Array(10), mimeType: 'image/gif' })).rejects.toMatchObject({
      field: 'media.mimeType',
    });
    await expect(channel.uploadMedia({ data: new Uint8Array(5 * 1024 * 1024 + 1), mimeType: 'image/jpeg' })).rejects.toSatisfy(
      ValidationError.isInstance,
    );
    expect(api.calls).toHaveLength(0);
  });

  it('maps kinds and limits', () => {
    expect(whatsAppMediaKind('audio/ogg; codecs=opus', 1000)).toBe('audio');
    expect(whatsAppMediaKind('image/webp', 100_000)).toBe('sticker');
    expect(whatsAppMediaKind('video/mp4', 16 * 1024 * 1024)).toBe('video');
    expect(() => whatsAppMediaKind('image/webp', 600 * 1024)).toThrow(/sticker/);
  });

  it('an expired token during upload is an AuthError', async () => {
    api.use(mediaRoute, { status: 401, json: graphErrors['190'] });
    await expect(channel.uploadMedia({ data: new Uint8Array(3), mimeType: 'image/png' })).rejects.toMatchObject({ code: 'auth' });
  });
});
