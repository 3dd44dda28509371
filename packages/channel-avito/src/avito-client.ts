import {
  ChannelApiError,
  type Clock,
  type OmnidealerError,
  AuthError as TypedAuthError,
  ValidationError,
} from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  type HttpClient,
  type HttpRequest,
  parseInput,
  type SecretRegistry,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import {
  type AvitoChatWire,
  type AvitoMessageWire,
  avitoChatSchema,
  avitoChatsResponseSchema,
  avitoMessageSchema,
  avitoMessagesResponseSchema,
  avitoOkResponseSchema,
  avitoSubscriptionsResponseSchema,
  avitoUploadImagesResponseSchema,
} from './avito-api.js';
import { type AvitoRequestScope, classifyAvitoError } from './avito-error.js';
import { type AvitoTokenProvider, createAvitoTokenProvider } from './avito-token.js';

/** Longest text Avito accepts in one message (characters). Longer texts are refused before any network call. */
export const AVITO_MAX_TEXT_LENGTH = 1000;

/** The default Avito API base URL. */
export const AVITO_BASE_URL = 'https://api.avito.ru';

/** Options of {@link createAvitoClient}. */
export interface AvitoClientOptions {
  /** From the account's «Для профессионалов → API» page. Registered as a secret. */
  clientId: string;
  /** From the account's «Для профессионалов → API» page. Registered as a secret, never logged. */
  clientSecret: string;
  /** The account's numeric user id («Номер пользователя»): part of every messenger path. */
  userId: number | string;
  /** @default 'https://api.avito.ru' */
  baseURL?: string | undefined;
  /** @default the system clock */
  clock?: Clock | undefined;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /** Replace the access token this long before it expires. @default 300000 */
  tokenRefreshMarginMs?: number | undefined;
  /** Where the client secret and access tokens are kept for redaction. @default a new registry */
  secrets?: SecretRegistry | undefined;
}

/** The listing (Avito item) a chat is about. */
export interface AvitoListing {
  /** Avito item id (a number on the wire). */
  id: number | string;
  title?: string | undefined;
  /** Price as Avito formats it, e.g. `1 150 000 ₽`. */
  price?: string | undefined;
  url?: string | undefined;
  statusId?: number | undefined;
  /** The listing owner's Avito user id. */
  ownerId?: string | undefined;
}

/** A participant of a chat. */
export interface AvitoChatUser {
  id: string;
  name?: string | undefined;
}

/** A message in an Avito chat, with times in epoch milliseconds. */
export interface AvitoMessage {
  id: string;
  /** Sender's Avito user id; `0` for system messages. */
  authorId?: string | undefined;
  /** Epoch milliseconds. */
  createdAt?: number | undefined;
  /** `text`, `image`, `link`, `item`, `location`, `call`, `voice`, `file`, `system`, `deleted`… */
  type: string;
  /** `in` from the buyer, `out` from us. */
  direction?: string | undefined;
  text?: string | undefined;
  /** The largest size of an image message. */
  imageUrl?: string | undefined;
  isRead?: boolean | undefined;
  /** When the other side read it, epoch milliseconds. */
  readAt?: number | undefined;
  /** Id of the quoted message, when this one replies to another. */
  quoteId?: string | undefined;
  /** The message as Avito sent it. */
  raw: AvitoMessageWire;
}

/** An Avito chat with the listing it is about. */
export interface AvitoChat {
  /** Chat id (`u2i-…` about a listing, `u2u-…` between users, `a2u-…` from Avito to the user). */
  id: string;
  /** `item` for chats about a listing. */
  contextType?: string | undefined;
  listing?: AvitoListing | undefined;
  users: AvitoChatUser[];
  createdAt?: number | undefined;
  updatedAt?: number | undefined;
  lastMessage?: AvitoMessage | undefined;
  /** The chat as Avito sent it. */
  raw: AvitoChatWire;
}

/** Filters and paging of {@link AvitoClient.listChats}. */
export interface ListChatsOptions {
  /** Only chats about these listings. */
  itemIds?: Array<number | string> | undefined;
  /** Only chats with unread messages. */
  unreadOnly?: boolean | undefined;
  /** `u2i` (about a listing), `u2u` (user to user) and/or `a2u` (Avito to the user). */
  chatTypes?: Array<'u2i' | 'u2u' | 'a2u'> | undefined;
  /** 1–100. @default Avito's own (100) */
  limit?: number | undefined;
  /** 0–1000. @default 0 */
  offset?: number | undefined;
}

/** Paging of {@link AvitoClient.listMessages}. */
export interface ListMessagesOptions {
  /** 1–100. */
  limit?: number | undefined;
  offset?: number | undefined;
}

/** What a send endpoint answered. */
export interface AvitoSentMessage {
  id: string;
  createdAt?: number | undefined;
  raw: AvitoMessageWire;
}

/** An uploaded image: its id for {@link AvitoClient.sendImage} and its URLs by size (`1280x960`). */
export interface AvitoUploadedImage {
  imageId: string;
  sizes: Record<string, string>;
}

/** An image to upload. */
export interface AvitoImageUpload {
  data: Blob | Uint8Array | ArrayBuffer;
  /** @default 'image.jpg' */
  filename?: string | undefined;
  /** @default the Blob's type or 'image/jpeg' */
  mimeType?: string | undefined;
}

/** A webhook subscription of the account. */
export interface AvitoWebhookSubscription {
  url: string;
  version?: string | undefined;
}

/**
 * A typed client for the Avito Messenger API of one business account. The Avito channel uses it; CRMs may use it
 * directly (chat lists, history import, webhook set-up). Calls are NOT rate-limited or retried here: the hub does
 * that around sends; schedule your own bulk calls.
 */
export interface AvitoClient {
  readonly userId: string;
  /** The account's token holder (shared by every call of this client). */
  readonly tokens: AvitoTokenProvider;
  /**
   * `GET /messenger/v2/accounts/{user_id}/chats`.
   * @throws ValidationError for limit > 100, offset > 1000 or bad filters (before any request).
   */
  listChats(options?: ListChatsOptions, request?: RequestOptions): Promise<AvitoChat[]>;
  /**
   * `GET /messenger/v2/accounts/{user_id}/chats/{chat_id}`, with the listing (`context.value`).
   * @throws UnreachableRecipientError when the chat does not exist (404) or is not ours (403).
   */
  getChat(chatId: string, request?: RequestOptions): Promise<AvitoChat>;
  /** `GET /messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/`, newest first as Avito returns them. */
  listMessages(chatId: string, options?: ListMessagesOptions, request?: RequestOptions): Promise<AvitoMessage[]>;
  /**
   * `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages` with `{"message":{"text":…},"type":"text"}`.
   * @throws ValidationError for an empty text or one over {@link AVITO_MAX_TEXT_LENGTH} characters (before any request).
   */
  sendText(chatId: string, text: string, request?: RequestOptions): Promise<AvitoSentMessage>;
  /** `POST /messenger/v1/accounts/{user_id}/uploadImages` (multipart field `uploadfile[]`). */
  uploadImage(image: AvitoImageUpload, request?: RequestOptions): Promise<AvitoUploadedImage>;
  /** `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image` with `{"image_id":…}`. */
  sendImage(chatId: string, imageId: string, request?: RequestOptions): Promise<AvitoSentMessage>;
  /** `POST /messenger/v1/accounts/{user_id}/chats/{chat_id}/read`. */
  markChatRead(chatId: string, request?: RequestOptions): Promise<void>;
  /** `POST /messenger/v3/webhook` with `{"url":…}`. Put a secret in the URL: see the README. */
  subscribeWebhook(url: string, request?: RequestOptions): Promise<void>;
  /** `POST /messenger/v1/webhook/unsubscribe` with `{"url":…}`. */
  unsubscribeWebhook(url: string, request?: RequestOptions): Promise<void>;
  /** `POST /messenger/v1/subscriptions`. */
  listWebhookSubscriptions(request?: RequestOptions): Promise<AvitoWebhookSubscription[]>;
}

/** Per-call options of {@link AvitoClient} methods. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

const chatIdSchema = z.string().min(1, 'chat id must not be empty').max(200);
const listChatsOptionsSchema = z
  .object({
    itemIds: z.array(z.union([z.number().int().positive(), z.string().regex(/^\d+$/)])).optional(),
    unreadOnly: z.boolean().optional(),
    chatTypes: z.array(z.enum(['u2i', 'u2u', 'a2u'])).optional(),
    limit: z.number().int().min(1).max(100).optional(),
    offset: z.number().int().min(0).max(1000).optional(),
  })
  .strict();
const listMessagesOptionsSchema = z
  .object({ limit: z.number().int().min(1).max(100).optional(), offset: z.number().int().min(0).optional() })
  .strict();
const textSchema = z
  .string()
  .min(1, 'text must not be empty')
  .refine((text) => text.length <= AVITO_MAX_TEXT_LENGTH || [...text].length <= AVITO_MAX_TEXT_LENGTH, {
    message: `Avito accepts at most ${AVITO_MAX_TEXT_LENGTH} characters per message`,
  });
const urlSchema = z.url({ protocol: /^https?$/ });

function seconds(value: number | null | undefined): number | undefined {
  return typeof value === 'number' ? value * 1000 : undefined;
}

function idOf(value: number | string | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function itemId(value: number | string): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

/** The URL of the largest size in an Avito `sizes` map (`{"1280x960": url, "140x105": url}`). */
export function largestImageUrl(sizes: unknown): string | undefined {
  if (!sizes || typeof sizes !== 'object') return undefined;
  let best: { area: number; url: string } | undefined;
  for (const [size, url] of Object.entries(sizes as Record<string, unknown>)) {
    if (typeof url !== 'string') continue;
    const [width, height] = size.split('x').map(Number);
    const area = (width ?? 0) * (height ?? 0) || 0;
    if (!best || area > best.area) best = { area, url };
  }
  return best?.url;
}

/** Normalises a wire message. */
export function toAvitoMessage(wire: AvitoMessageWire): AvitoMessage {
  const content = wire.content ?? {};
  const text = typeof content.text === 'string' ? content.text : undefined;
  const image = content.image as { sizes?: unknown } | undefined;
  return {
    id: wire.id,
    authorId: idOf(wire.author_id),
    createdAt: seconds(wire.created),
    type: wire.type ?? 'unknown',
    direction: wire.direction ?? undefined,
    text,
    imageUrl: largestImageUrl(image?.sizes),
    isRead: wire.is_read ?? undefined,
    readAt: seconds(wire.read),
    quoteId: wire.quote?.id ?? undefined,
    raw: wire,
  };
}

/** Normalises a wire chat. */
export function toAvitoChat(wire: AvitoChatWire): AvitoChat {
  const item = wire.context?.value;
  return {
    id: wire.id,
    contextType: wire.context?.type ?? undefined,
    listing: item
      ? {
          id: itemId(item.id),
          title: item.title ?? undefined,
          price: item.price_string ?? undefined,
          url: item.url ?? undefined,
          statusId: item.status_id ?? undefined,
          ownerId: idOf(item.user_id),
        }
      : undefined,
    users: (wire.users ?? []).map((user) => ({ id: String(user.id), name: user.name ?? undefined })),
    createdAt: seconds(wire.created),
    updatedAt: seconds(wire.updated),
    lastMessage: wire.last_message ? toAvitoMessage(wire.last_message) : undefined,
    raw: wire,
  };
}

/**
 * Creates a typed Avito Messenger client. Tokens are fetched lazily and cached; a 401 refreshes the token once and
 * replays the request; concurrent requests share one refresh.
 * @example
 * const avito = createAvitoClient({ clientId, clientSecret, userId: 123456 });
 * const chats = await avito.listChats({ unreadOnly: true, chatTypes: ['u2i'], limit: 50 });
 * for (const chat of chats) console.log(chat.listing?.title, chat.lastMessage?.text);
 * await avito.sendText(chats[0]!.id, 'Да, машина в продаже. Когда удобно посмотреть?');
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export function createAvitoClient(options: AvitoClientOptions): AvitoClient {
  const userId = String(options.userId);
  if (!/^\d+$/.test(userId)) {
    throw new ValidationError({
      channel: 'avito',
      field: 'userId',
      message: 'userId must be the numeric Avito user id («Номер пользователя»)',
    });
  }
  const baseURL = options.baseURL ?? AVITO_BASE_URL;
  const secrets = options.secrets ?? createSecretRegistry();
  const tokens = createAvitoTokenProvider({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    baseURL,
    secrets,
    clock: options.clock,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    refreshMarginMs: options.tokenRefreshMarginMs,
  });
  const unauthorized = new WeakSet<object>();
  const clients = new Map<AvitoRequestScope, { token: string; http: HttpClient }>();
  const account = `/messenger/v1/accounts/${userId}`;

  function httpFor(scope: AvitoRequestScope, token: string): HttpClient {
    const existing = clients.get(scope);
    if (existing?.token === token) return existing.http;
    const http = createHttpClient({
      channel: 'avito',
      baseURL,
      headers: { authorization: `Bearer ${token}` },
      secrets,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      classifyError: (response) => {
        const error = classifyAvitoError({ ...response, scope });
        if (response.status === 401) unauthorized.add(error);
        return error;
      },
    });
    clients.set(scope, { token, http });
    return http;
  }

  async function call<T>(scope: AvitoRequestScope, request: HttpRequest<T>): Promise<T> {
    const token = await tokens.getToken();
    try {
      return await httpFor(scope, token).request(request);
    } catch (error) {
      if (!(error instanceof Object) || !unauthorized.has(error)) throw error;
      // The token expired early or was revoked: get a new one (shared with concurrent callers) and replay once.
      const fresh = await tokens.refresh(token);
      try {
        return await httpFor(scope, fresh).request(request);
      } catch (replayError) {
        if (replayError instanceof Object && unauthorized.has(replayError)) {
          const first = replayError as OmnidealerError;
          throw new TypedAuthError({
            channel: 'avito',
            message: 'avito: access token rejected again after a refresh (HTTP 401); check the API access of the account',
            ...(first.providerCode !== undefined ? { providerCode: first.providerCode } : {}),
            raw: first.raw,
            cause: replayError,
          });
        }
        throw replayError;
      }
    }
  }

  /** Subscribes or unsubscribes a webhook URL (both endpoints take `{ url }` and answer `{ ok }`). */
  async function postWebhookUrl(path: string, url: string, what: string, signal: AbortSignal | undefined): Promise<void> {
    const checked = parseInput(urlSchema, url, 'url', 'avito');
    const body = await call('account', { method: 'POST', path, json: { url: checked }, schema: avitoOkResponseSchema, signal });
    ensureOk(body, what);
  }

  const chatPath = (chatId: string, version: 'v1' | 'v2' | 'v3' = 'v1') =>
    `/messenger/${version}/accounts/${userId}/chats/${encodeURIComponent(parseInput(chatIdSchema, chatId, 'chatId', 'avito'))}`;

  return {
    userId,
    tokens,
    async listChats(filters = {}, request = {}) {
      const parsed = parseInput(listChatsOptionsSchema, stripUndefined(filters), 'options', 'avito');
      const body = await call('account', {
        path: `/messenger/v2/accounts/${userId}/chats`,
        searchParams: {
          item_ids: parsed.itemIds?.length ? parsed.itemIds.join(',') : undefined,
          unread_only: parsed.unreadOnly,
          chat_types: parsed.chatTypes?.length ? parsed.chatTypes.join(',') : undefined,
          limit: parsed.limit,
          offset: parsed.offset,
        },
        schema: avitoChatsResponseSchema,
        signal: request.signal,
      });
      return (body.chats ?? []).map(toAvitoChat);
    },
    async getChat(chatId, request = {}) {
      const body = await call('chat', { path: chatPath(chatId, 'v2'), schema: avitoChatSchema, signal: request.signal });
      return toAvitoChat(body);
    },
    async listMessages(chatId, paging = {}, request = {}) {
      const parsed = parseInput(listMessagesOptionsSchema, stripUndefined(paging), 'options', 'avito');
      const messages = await call('chat', {
        path: `${chatPath(chatId, 'v3')}/messages/`,
        searchParams: { limit: parsed.limit, offset: parsed.offset },
        schema: avitoMessagesResponseSchema,
        signal: request.signal,
      });
      return messages.map(toAvitoMessage);
    },
    async sendText(chatId, text, request = {}) {
      const checked = parseInput(textSchema, text, 'text', 'avito');
      const path = `${chatPath(chatId)}/messages`;
      const body = await call('chat', {
        method: 'POST',
        path,
        json: { message: { text: checked }, type: 'text' },
        schema: avitoMessageSchema,
        signal: request.signal,
      });
      return { id: body.id, createdAt: seconds(body.created), raw: body };
    },
    async uploadImage(image, request = {}) {
      const filename = image.filename ?? 'image.jpg';
      const blob =
        image.data instanceof Blob ? image.data : new Blob([image.data as BlobPart], { type: image.mimeType ?? 'image/jpeg' });
      const body = await call('account', {
        method: 'POST',
        path: `${account}/uploadImages`,
        body: (() => {
          const form = new FormData();
          form.append('uploadfile[]', blob, filename);
          return form;
        })(),
        schema: avitoUploadImagesResponseSchema,
        signal: request.signal,
      });
      const [imageId, sizes] = Object.entries(body)[0] ?? [];
      if (!imageId || !sizes) {
        throw new ChannelApiError({
          channel: 'avito',
          retryable: false,
          message: 'avito: uploadImages answered without an image id',
          raw: body,
        });
      }
      return { imageId, sizes };
    },
    async sendImage(chatId, imageId, request = {}) {
      const checked = parseInput(z.string().min(1), imageId, 'imageId', 'avito');
      const body = await call('chat', {
        method: 'POST',
        path: `${chatPath(chatId)}/messages/image`,
        json: { image_id: checked },
        schema: avitoMessageSchema,
        signal: request.signal,
      });
      return { id: body.id, createdAt: seconds(body.created), raw: body };
    },
    async markChatRead(chatId, request = {}) {
      const body = await call('chat', {
        method: 'POST',
        path: `${chatPath(chatId)}/read`,
        schema: avitoOkResponseSchema,
        signal: request.signal,
      });
      ensureOk(body, 'mark read');
    },
    subscribeWebhook(url, request = {}) {
      return postWebhookUrl('/messenger/v3/webhook', url, 'webhook subscribe', request.signal);
    },
    unsubscribeWebhook(url, request = {}) {
      return postWebhookUrl('/messenger/v1/webhook/unsubscribe', url, 'webhook unsubscribe', request.signal);
    },
    async listWebhookSubscriptions(request = {}) {
      const body = await call('account', {
        method: 'POST',
        path: '/messenger/v1/subscriptions',
        schema: avitoSubscriptionsResponseSchema,
        signal: request.signal,
      });
      return (body.subscriptions ?? []).map((subscription) => ({
        url: subscription.url,
        version: subscription.version ?? undefined,
      }));
    },
  };
}

/** Avito sometimes answers 200 with `{"ok":false}`: that is a refusal, not a success. */
function ensureOk(body: { ok?: boolean | null | undefined }, what: string): void {
  if (body.ok === false) {
    throw new ChannelApiError({ channel: 'avito', retryable: false, message: `avito: ${what} answered ok=false`, raw: body });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Partial<T>;
}
