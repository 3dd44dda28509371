import { ChannelApiError, ValidationError } from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  type HttpClient,
  loadSetting,
  type SecretRegistry,
} from '@omnidealer/core/provider-utils';
import type { z } from 'zod';
import type { VkSendParams } from './convert-to-vk-message.js';
import {
  vkEnvelopeSchema,
  vkLongPollResponseSchema,
  vkLongPollServerSchema,
  vkSavedDocSchema,
  vkSavedPhotosSchema,
  vkSendResponseSchema,
  vkUploadResultSchema,
  vkUploadServerSchema,
} from './vk-api.js';
import { classifyVkError } from './vk-error.js';

/** VK API's base URL, the default of vk-io 4.10.1 (`apiBaseUrl`; VK moved the API from api.vk.com to api.vk.ru). */
export const VK_BASE_URL = 'https://api.vk.ru/method';

/** The API version the channel speaks (the default of vk-io 4.10.1); Callback API servers should be set to it too. */
export const VK_API_VERSION = '5.199';

/** The environment variable the community token falls back to, read on the first request. */
const VK_TOKEN_ENV = 'VK_GROUP_TOKEN';

/** Options of {@link createVkClient}. */
export interface VkClientOptions {
  /** The community access token (Управление → Работа с API → Ключи доступа, with the «messages» right). Falls back to `VK_GROUP_TOKEN`. */
  token?: string | undefined;
  /** The community id (positive). Needed for `groups.getLongPollServer`. */
  groupId?: number | undefined;
  /** @default '5.199' */
  apiVersion?: string | undefined;
  /** @default 'https://api.vk.ru/method' */
  baseURL?: string | undefined;
  /** Extra headers for every API request. */
  headers?: Record<string, string> | undefined;
  /** Custom fetch for the API and the long-poll server (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in ms (long polls add their `wait`). @default 15000 */
  timeoutMs?: number | undefined;
  /** Where the token (and long-poll keys) are registered as secrets. @default a registry of its own */
  secrets?: SecretRegistry | undefined;
  /** The channel account id put on errors. */
  accountId?: string | undefined;
}

/** A file to upload: its bytes, the name VK shows and its MIME type. */
export interface VkUploadFile {
  data: Blob | Uint8Array;
  /** @default 'file' */
  filename?: string | undefined;
  mimeType?: string | undefined;
}

/** A Bots Long Poll server (`groups.getLongPollServer`): `server` is the full URL to poll. */
export interface VkLongPollServer {
  server: string;
  key: string;
  ts: string;
}

/**
 * A typed client for the VK API over core's HTTP client (typed errors, timeouts, keep-alive; no retries of its own —
 * the hub retries sends). The VK channel uses it; CRMs may use it for set-up (`call` reaches any method).
 */
export interface VkClient {
  /**
   * Calls any API method: `POST <baseURL>/<method>` with form parameters, `access_token` and `v`, as vk-io does. VK
   * answers HTTP 200 either way; an `error` becomes a typed error ({@link classifyVkError}).
   */
  call<T = unknown>(
    method: string,
    params?: Record<string, string | number | boolean | undefined>,
    request?: { signal?: AbortSignal | undefined; schema?: z.ZodType<T> | undefined; scope?: 'send' | 'account' | undefined },
  ): Promise<T>;
  /**
   * `messages.send` to one dialog (`peer_id`) with `random_id`: VK drops a second send with the same `random_id`, so
   * a retried send is not delivered twice. Returns VK's message id.
   * @throws UnreachableRecipientError for 900, 901, 902 and 18.
   */
  sendMessage(
    message: VkSendParams & { peerId: number | string; randomId: number },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<number>;
  /**
   * Uploads a photo for a message to `peerId`: `photos.getMessagesUploadServer` (`peer_id`) → a multipart `photo` part
   * POSTed to the returned `upload_url` (without the token: another host) → `photos.saveMessagesPhoto` (`photo`,
   * `server`, `hash`). Returns the attachment for `messages.send`: `photo<owner_id>_<id>[_<access_key>]`.
   * @throws ChannelApiError when the upload server answers an HTTP error (retryable on 5xx) or `{ error }` (final);
   * the typed error of {@link classifyVkError} when a method fails.
   * @see https://dev.vk.com/ru/api/upload/photo-in-message
   */
  uploadMessagePhoto(
    peerId: number | string,
    file: VkUploadFile,
    request?: { signal?: AbortSignal | undefined },
  ): Promise<string>;
  /**
   * Uploads a document for a message to `peerId`: `docs.getMessagesUploadServer` (`type=doc`, `peer_id`) → a
   * multipart `file` part POSTed to the returned `upload_url` → `docs.save` (`file`, `title`). Returns the attachment
   * for `messages.send`: `doc<owner_id>_<id>[_<access_key>]`. VK refuses MP3 and executable files as documents.
   * @throws as {@link VkClient.uploadMessagePhoto}.
   * @see https://dev.vk.com/ru/api/upload/document-in-message
   */
  uploadMessageDocument(
    peerId: number | string,
    file: VkUploadFile & { title?: string | undefined },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<string>;
  /** `groups.getLongPollServer` for the community (Bots Long Poll must be on in the community's settings). */
  getLongPollServer(request?: { signal?: AbortSignal | undefined }): Promise<VkLongPollServer>;
  /**
   * One long poll: `GET <server>?act=a_check&key=&ts=&wait=`. Answers new updates and the next `ts`, or `failed`
   * (1: take the new `ts`; 2: the key expired; 3: key and `ts` both lost), as VK sends it.
   */
  longPoll(
    server: VkLongPollServer,
    options?: { waitSeconds?: number | undefined },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<{ ts: string | undefined; updates: unknown[]; failed: number | undefined }>;
}

/**
 * Creates a VK API client for a community token.
 * @example
 * const vk = createVkClient({ token: process.env.VK_GROUP_TOKEN, groupId: 229010001 });
 * const code = await vk.call<string>('groups.getCallbackConfirmationCode', { group_id: 229010001 });
 * @throws ValidationError on the first request when neither `token` nor `VK_GROUP_TOKEN` is set (never here).
 * @see https://dev.vk.com/ru/api/api-requests
 */
export function createVkClient(options: VkClientOptions = {}): VkClient {
  const baseURL = (options.baseURL ?? VK_BASE_URL).replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const secrets = options.secrets ?? createSecretRegistry();
  const version = options.apiVersion ?? VK_API_VERSION;
  let token: string | undefined;
  const tokenOf = () =>
    // Read at the first request, so the factory never throws for a missing token.
    (token ??= loadSetting(options.token, VK_TOKEN_ENV, {
      channel: 'vk',
      option: 'token',
      description: 'community token',
      secrets,
    }));
  const common = {
    channel: 'vk',
    secrets,
    ...(options.accountId ? { accountId: options.accountId } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const api = createHttpClient({ ...common, baseURL, timeoutMs, ...(options.headers ? { headers: options.headers } : {}) });
  const pollers = new Map<string, HttpClient>();
  const uploaders = new Map<string, HttpClient>();
  const errorBase = { channel: 'vk', accountId: options.accountId };

  async function call<T>(
    method: string,
    params: Record<string, string | number | boolean | undefined> = {},
    request: { signal?: AbortSignal | undefined; schema?: z.ZodType<T> | undefined; scope?: 'send' | 'account' | undefined } = {},
  ): Promise<T> {
    const body = await api.request({
      method: 'POST',
      path: `/${method}`,
      form: { ...params, access_token: tokenOf(), v: version },
      schema: vkEnvelopeSchema,
      signal: request.signal,
    });
    if (body.error) {
      throw classifyVkError({ error: body.error, scope: request.scope, accountId: options.accountId });
    }
    if (!request.schema) return body.response as T;
    const parsed = request.schema.safeParse(body.response);
    if (!parsed.success) {
      throw new ChannelApiError({
        channel: 'vk',
        accountId: options.accountId,
        statusCode: 200,
        retryable: false,
        message: `vk: unexpected ${method} response: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
        raw: body,
      });
    }
    return parsed.data;
  }

  /** POSTs one multipart part to an upload server and checks its answer (HTTP 200 with `{ error }` on a refusal). */
  async function uploadTo(uploadUrl: string, field: 'photo' | 'file', file: VkUploadFile, signal: AbortSignal | undefined) {
    let target: URL;
    try {
      target = new URL(uploadUrl);
    } catch (error) {
      throw new ChannelApiError({ ...errorBase, retryable: false, message: 'vk: upload_url is not a URL', cause: error });
    }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw new ChannelApiError({ ...errorBase, retryable: false, message: 'vk: upload_url is not http(s)' });
    }
    let http = uploaders.get(target.origin);
    if (!http) {
      // The upload server is another host: no token goes there (vk-io sends none either). Uploads take longer.
      http = createHttpClient({ ...common, baseURL: target.origin, timeoutMs: Math.max(timeoutMs, 60_000) });
      uploaders.set(target.origin, http);
    }
    const blob =
      file.data instanceof Blob
        ? file.data
        : new Blob([file.data as Uint8Array<ArrayBuffer>], file.mimeType ? { type: file.mimeType } : {});
    const form = new FormData();
    form.append(field, blob, file.filename ?? 'file');
    // Upload servers answer JSON, not always labelled as JSON: read as text.
    const text = await http.request<string>({
      method: 'POST',
      path: `${target.pathname}${target.search}`,
      body: form,
      responseType: 'text',
      signal,
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new ChannelApiError({
        ...errorBase,
        statusCode: 200,
        retryable: false,
        message: 'vk: the upload server answered something other than JSON',
        cause: error,
      });
    }
    const parsed = vkUploadResultSchema.safeParse(body);
    if (!parsed.success) {
      throw new ChannelApiError({
        ...errorBase,
        statusCode: 200,
        retryable: false,
        message: 'vk: unexpected upload answer',
        raw: body,
      });
    }
    const result = parsed.data;
    if (result.error !== undefined && result.error !== null && result.error !== '') {
      const reason = typeof result.error === 'string' ? result.error : (result.error_descr ?? 'refused');
      throw new ChannelApiError({
        ...errorBase,
        statusCode: 200,
        retryable: false,
        ...(result.error_code ? { providerCode: result.error_code } : {}),
        message: `vk: the upload server refused the file: ${reason.slice(0, 200)}`,
        raw: result,
      });
    }
    return result;
  }

  const attachmentOf = (type: 'photo' | 'doc', media: { owner_id: number; id: number; access_key?: string | null | undefined }) =>
    `${type}${media.owner_id}_${media.id}${media.access_key ? `_${media.access_key}` : ''}`;

  const missing = (what: string, raw: unknown) =>
    new ChannelApiError({
      ...errorBase,
      statusCode: 200,
      retryable: false,
      message: `vk: the upload answer has no ${what}`,
      raw,
    });

  return {
    call,

    async uploadMessagePhoto(peerId, file, request = {}) {
      const server = await call(
        'photos.getMessagesUploadServer',
        { peer_id: String(peerId) },
        { signal: request.signal, schema: vkUploadServerSchema },
      );
      const uploaded = await uploadTo(server.upload_url, 'photo', file, request.signal);
      // An empty `photo` ("[]") means the server took no image from the request.
      if (!uploaded.photo || uploaded.photo === '[]' || uploaded.server == null || !uploaded.hash)
        throw missing('photo', uploaded);
      const [photo] = await call(
        'photos.saveMessagesPhoto',
        { photo: uploaded.photo, server: String(uploaded.server), hash: uploaded.hash },
        { signal: request.signal, schema: vkSavedPhotosSchema },
      );
      return attachmentOf('photo', photo as NonNullable<typeof photo>);
    },

    async uploadMessageDocument(peerId, file, request = {}) {
      const server = await call(
        'docs.getMessagesUploadServer',
        { type: 'doc', peer_id: String(peerId) },
        { signal: request.signal, schema: vkUploadServerSchema },
      );
      const uploaded = await uploadTo(server.upload_url, 'file', file, request.signal);
      if (!uploaded.file) throw missing('file', uploaded);
      const saved = await call(
        'docs.save',
        { file: uploaded.file, title: file.title ?? file.filename },
        { signal: request.signal, schema: vkSavedDocSchema },
      );
      return attachmentOf('doc', saved.doc);
    },

    async sendMessage(message, request = {}) {
      const { peerId, randomId, ...params } = message;
      return call(
        'messages.send',
        { ...params, peer_id: String(peerId), random_id: randomId, ...(options.groupId ? { group_id: options.groupId } : {}) },
        { signal: request.signal, schema: vkSendResponseSchema, scope: 'send' },
      );
    },

    async getLongPollServer(request = {}) {
      if (!options.groupId) {
        throw new ValidationError({
          channel: 'vk',
          field: 'settings.groupId',
          message: 'vk: groupId is required for Bots Long Poll (groups.getLongPollServer)',
        });
      }
      const server = await call(
        'groups.getLongPollServer',
        { group_id: options.groupId },
        {
          signal: request.signal,
          schema: vkLongPollServerSchema,
        },
      );
      secrets.add(server.key);
      return server;
    },

    async longPoll(server, pollOptions = {}, request = {}) {
      const waitSeconds = pollOptions.waitSeconds ?? 25;
      let url: URL;
      try {
        url = new URL(server.server);
      } catch (error) {
        throw new ChannelApiError({
          channel: 'vk',
          retryable: false,
          message: 'vk: long-poll server is not a URL',
          cause: error,
        });
      }
      const base = `${url.origin}:${waitSeconds}`;
      let http = pollers.get(base);
      if (!http) {
        // The long-poll server is another host: it takes the key, not the token. Its deadline outlasts `wait`.
        http = createHttpClient({ ...common, baseURL: url.origin, timeoutMs: timeoutMs + waitSeconds * 1000 });
        pollers.set(base, http);
      }
      const body = await http.request({
        path: url.pathname,
        searchParams: { act: 'a_check', key: server.key, ts: server.ts, wait: waitSeconds },
        schema: vkLongPollResponseSchema,
        signal: request.signal,
      });
      return { ts: body.ts ?? undefined, updates: body.updates ?? [], failed: body.failed ?? undefined };
    },
  };
}
