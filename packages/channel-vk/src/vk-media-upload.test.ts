import { createManualClock } from '@omnidealer/core';
import { createChannelTestHub, createTestServer } from '@omnidealer/core/test';
import { HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import error6 from './__fixtures__/error-6.json';
import savedDoc from './__fixtures__/saved-doc.json';
import savedPhoto from './__fixtures__/saved-messages-photo.json';
import sendResponse from './__fixtures__/send-response.json';
import uploadResultPhoto from './__fixtures__/upload-result-photo.json';
import uploadServerPhoto from './__fixtures__/upload-server-photo.json';
import { createVkChannel } from './vk-channel.js';

// Wire shapes: see __fixtures__/README.md (vk-io 4.10.1 `Upload`, SevereCloud/vksdk `api/upload.go`).
const base = 'https://api.vk.ru/method';
const token = 'vk1.a.Hx7pQ2mN9rT4wY6zB8cD0eF3gJ5kL1nP-community-token';
const groupId = 229010001;
const userId = '310550771';
const docUploadUrl = 'https://pu.vk.com/c909236/upload.php?act=add_doc_new&mid=229010001&aid=0&gid=229010001&hash=71c2e5';
const routes = {
  send: `POST ${base}/messages.send`,
  photoServer: `POST ${base}/photos.getMessagesUploadServer`,
  photoHost: 'POST https://pu.vk.com/c909618/ss2272/upload.php',
  savePhoto: `POST ${base}/photos.saveMessagesPhoto`,
  docServer: `POST ${base}/docs.getMessagesUploadServer`,
  docHost: 'POST https://pu.vk.com/c909236/upload.php',
  saveDoc: `POST ${base}/docs.save`,
  image: 'GET https://cdn.dealer.example/photos/solaris.jpg',
  pdf: 'GET https://cdn.dealer.example/docs/price-list.pdf',
};
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
// Upload servers answer JSON labelled text/html.
const photoUploadAnswer = {
  text: JSON.stringify(uploadResultPhoto),
  headers: { 'content-type': 'text/html; charset=windows-1251' },
};
const pdfFile = () =>
  new HttpResponse(new Uint8Array([0x25, 0x50, 0x44, 0x46]), { headers: { 'content-type': 'application/pdf' } });
const defaults = {
  [routes.send]: { json: sendResponse },
  [routes.photoServer]: { json: uploadServerPhoto },
  [routes.photoHost]: photoUploadAnswer,
  [routes.savePhoto]: { json: savedPhoto },
  [routes.docServer]: { json: { response: { upload_url: docUploadUrl } } },
  [routes.docHost]: { json: { file: '229010001|0|-1|909236|a7f3c1d2e4|pdf|4|price-list.pdf|5b7e|0|0|0' } },
  [routes.saveDoc]: { json: savedDoc },
  [routes.image]: () => new HttpResponse(jpeg, { headers: { 'content-type': 'image/jpeg' } }),
  [routes.pdf]: pdfFile,
};
const api = createTestServer(defaults);
beforeEach(() => {
  for (const [route, script] of Object.entries(defaults)) api.use(route, script);
});

const linked = { id: 'c1', phone: '+79161234567', identities: { vk: userId } };
const photo = { type: 'media', kind: 'image', url: 'https://cdn.dealer.example/photos/solaris.jpg', caption: 'Солярис' } as const;
const pdf = { type: 'media', kind: 'document', url: 'https://cdn.dealer.example/docs/price-list.pdf' } as const;
const photoAttachment = 'photo-229010001_457239042_a1b2c3d4e5f6a7b8c9';
const sends = () => api.callsTo('/messages.send');
const uploadsTo = (host: string) => api.calls.filter((call) => call.url.href.startsWith(host));

function setup(extra: Parameters<typeof createVkChannel>[0] = {}) {
  const clock = createManualClock(Date.parse('2026-04-01T09:00:00Z'));
  // The media host of the tests is answered by msw, not DNS: allow private addresses as a sandbox would.
  const channel = createVkChannel({ groupId, token, clock, allowPrivateMediaUrls: true, ...extra });
  return { channel, ...createChannelTestHub(channel, { clock }) };
}

describe('VK media by URL', () => {
  it('uploads an image as a message photo and sends photo<owner>_<id>_<access_key> with the caption', async () => {
    const { hub, logs } = setup();
    const sent = await hub.send({ channel: 'vk', contact: linked, content: photo });
    expect(sent.status).toBe('sent');
    expect(api.callsTo('photos.getMessagesUploadServer')[0]?.form).toEqual({ peer_id: userId, access_token: token, v: '5.199' });
    const [upload] = uploadsTo('https://pu.vk.com/c909618/');
    expect(upload?.url.searchParams.get('mailphoto')).toBe('1');
    expect(upload?.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload?.text).toContain('name="photo"; filename="solaris.jpg"');
    expect(upload?.text).toContain('Content-Type: image/jpeg');
    // The upload server is another host: the token goes nowhere near it.
    expect(upload?.url.href).not.toContain(token);
    expect(upload?.text).not.toContain(token);
    expect(api.callsTo('photos.saveMessagesPhoto')[0]?.form).toEqual({
      photo: uploadResultPhoto.photo,
      server: '909618',
      hash: uploadResultPhoto.hash,
      access_token: token,
      v: '5.199',
    });
    expect(sends()[0]?.form).toMatchObject({ attachment: photoAttachment, message: 'Солярис', peer_id: userId });
    expect(logs.join('\n')).not.toContain(token);
  });

  it('uploads a document (docs.getMessagesUploadServer type=doc, field file, docs.save with the title); video too', async () => {
    const { hub } = setup();
    expect((await hub.send({ channel: 'vk', contact: linked, content: pdf })).status).toBe('sent');
    expect(api.callsTo('docs.getMessagesUploadServer')[0]?.form).toMatchObject({ type: 'doc', peer_id: userId });
    const [upload] = uploadsTo('https://pu.vk.com/c909236/');
    expect(upload?.url.searchParams.get('act')).toBe('add_doc_new');
    expect(upload?.text).toContain('name="file"; filename="price-list.pdf"');
    expect(api.callsTo('docs.save')[0]?.form).toMatchObject({
      file: '229010001|0|-1|909236|a7f3c1d2e4|pdf|4|price-list.pdf|5b7e|0|0|0',
      title: 'price-list.pdf',
    });
    expect(sends()[0]?.form?.attachment).toBe('doc-229010001_677001234');
    expect(sends()[0]?.form?.message).toBeUndefined();
    // A community token cannot call video.save: a video by URL goes as a document named by `filename`.
    await hub.send({ channel: 'vk', contact: linked, content: { ...pdf, kind: 'video', filename: 'walkaround.mp4' } });
    expect(uploadsTo('https://pu.vk.com/c909236/')[1]?.text).toContain('filename="walkaround.mp4"');
    expect(api.callsTo('photos.')).toHaveLength(0);
  });

  it('a retried messages.send reuses the uploaded attachment: nothing is downloaded or uploaded again', async () => {
    const { hub } = setup();
    api.use(routes.send, [{ json: { error: { error_code: 10, error_msg: 'Internal server error' } } }, { json: sendResponse }]);
    const sent = await hub.send({ channel: 'vk', contact: linked, content: photo });
    expect(sent.status).toBe('sent');
    expect(sends().map((call) => call.form?.attachment)).toEqual([photoAttachment, photoAttachment]);
    expect(api.callsTo('cdn.dealer.example')).toHaveLength(1);
    expect(api.callsTo('photos.getMessagesUploadServer')).toHaveLength(1);
    expect(uploadsTo('https://pu.vk.com/')).toHaveLength(1);
    expect(api.callsTo('photos.saveMessagesPhoto')).toHaveLength(1);
    // The next message with the same URL is uploaded afresh (VK ties message uploads to the dialog).
    await hub.send({ channel: 'vk', contact: linked, content: photo });
    expect(uploadsTo('https://pu.vk.com/')).toHaveLength(2);
  });

  it('the upload server failing: HTTP 5xx is retried; its { error } answer is a final typed error, nothing sent', async () => {
    const { hub, channel } = setup();
    api.use(routes.photoHost, [{ status: 502, text: 'Bad Gateway' }, photoUploadAnswer]);
    expect((await hub.send({ channel: 'vk', contact: linked, content: photo })).status).toBe('sent');
    expect(uploadsTo('https://pu.vk.com/')).toHaveLength(2);
    expect(api.callsTo('photos.getMessagesUploadServer')).toHaveLength(2);
    expect(sends()).toHaveLength(1);

    api.use(routes.photoHost, { json: { error: 'ERR_UPLOAD_BAD_IMAGE_SIZE: market photo min size 400x400', error_code: 2 } });
    const refused = await hub.send({ channel: 'vk', contact: linked, content: photo });
    expect(refused).toMatchObject({
      status: 'failed',
      error: { code: 'provider_error', retryable: false, providerCode: 2 },
    });
    expect(refused.error?.message).toContain('ERR_UPLOAD_BAD_IMAGE_SIZE');
    await expect(channel.doSend({ id: 'msg_x', to: userId, contact: linked, content: photo }, {})).rejects.toMatchObject({
      name: 'ChannelApiError',
      channel: 'vk',
      statusCode: 200,
      raw: { error: expect.stringContaining('ERR_UPLOAD_BAD_IMAGE_SIZE') },
    });
    expect(api.callsTo('photos.saveMessagesPhoto')).toHaveLength(1);
    expect(sends()).toHaveLength(1);

    // An upload answer without the photo (VK took no image from the request) is final too.
    api.use(routes.photoHost, { json: { server: 909618, photo: '[]', hash: 'd41d8cd9' } });
    expect(await hub.send({ channel: 'vk', contact: linked, content: photo })).toMatchObject({
      status: 'failed',
      error: { retryable: false },
    });
    expect(sends()).toHaveLength(1);
  });

  it('a VK error from getMessagesUploadServer is typed (5 → AuthError, final); the token is never in it', async () => {
    const { hub } = setup();
    api.use(routes.docServer, {
      json: { error: { error_code: 5, error_msg: 'User authorization failed: invalid access_token (4).' } },
    });
    const failed = await hub.send({ channel: 'vk', contact: linked, content: pdf });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'auth', providerCode: 5, retryable: false } });
    expect(JSON.stringify(failed)).not.toContain(token);
    expect(api.callsTo('docs.getMessagesUploadServer')).toHaveLength(1);
    expect(uploadsTo('https://pu.vk.com/')).toHaveLength(0);
    expect(sends()).toHaveLength(0);
  });

  it('error 6 and HTTP 429 on photos.saveMessagesPhoto are rate limits, retried; the message is sent once', async () => {
    const { hub, sleeps } = setup();
    api.use(routes.savePhoto, [{ json: error6 }, { status: 429, headers: { 'retry-after': '2' } }, { json: savedPhoto }]);
    const sent = await hub.send({ channel: 'vk', contact: linked, content: photo });
    expect(sent.status).toBe('sent');
    expect(sleeps).toEqual([1000, 2000]);
    expect(api.callsTo('photos.saveMessagesPhoto')).toHaveLength(3);
    expect(sends()).toHaveLength(1);
    expect(sends()[0]?.form?.attachment).toBe(photoAttachment);
  });

  it('a failed download is a typed error before any VK call: 404 final, 503 retried, too large refused', async () => {
    const { hub } = setup();
    api.use(routes.pdf, { status: 404, text: 'Not Found' });
    expect(await hub.send({ channel: 'vk', contact: linked, content: pdf })).toMatchObject({
      status: 'failed',
      error: { code: 'provider_error', retryable: false, message: expect.stringContaining('HTTP 404') },
    });
    api.use(routes.pdf, [{ status: 503, text: '' }, pdfFile]);
    expect((await hub.send({ channel: 'vk', contact: linked, content: pdf })).status).toBe('sent');
    expect(api.callsTo('docs.getMessagesUploadServer')).toHaveLength(1);

    const huge = new Uint8Array(16 * 1024 * 1024 + 1);
    api.use(routes.pdf, () => new HttpResponse(huge, { headers: { 'content-type': 'application/pdf' } }));
    await expect(hub.send({ channel: 'vk', contact: linked, content: pdf })).resolves.toMatchObject({
      status: 'failed',
      error: { code: 'validation', retryable: false, message: expect.stringContaining('larger than') },
    });
    expect(api.callsTo('docs.getMessagesUploadServer')).toHaveLength(1);
    expect(sends()).toHaveLength(1);
  });

  it('refuses a loopback or private media URL unless allowPrivateMediaUrls (no download, no VK call)', async () => {
    const channel = createVkChannel({ groupId, token });
    const content = { type: 'media', kind: 'image', url: 'http://10.0.0.12/internal/photo.jpg' } as const;
    await expect(channel.doSend({ id: 'msg_1', to: userId, contact: linked, content }, {})).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'content.url',
      retryable: false,
    });
    await expect(
      channel.doSend(
        { id: 'msg_2', to: userId, contact: linked, content: { ...content, url: 'http://localhost:8080/a.jpg' } },
        {},
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'content.url' });
    expect(api.calls).toHaveLength(0);
    expect(() => createVkChannel({ allowPrivateMediaUrls: 'yes' } as never)).toThrow(/settings\.allowPrivateMediaUrls/);
  });
});
