import { AuthError, createHttpClient, type HttpClient, type HttpRequest, ProviderError, registerSecret } from '@omnidealer/core';
import type { z } from 'zod';
import type { MaxNewMessageBody } from './convert-to-max-message.js';
import {
  maxActionResponseSchema,
  maxBotInfoSchema,
  maxSendMessageResponseSchema,
  maxSubscriptionsResponseSchema,
  maxUpdatesResponseSchema,
  maxUploadEndpointSchema,
  maxUploadResultSchema,
} from './max-api.js';
import { classifyMaxError } from './max-error.js';

/**
 * The MAX Bot API base URL: "botapi v2", the default of the official client `@maxhub/max-bot-api` 0.3.1
 * (`createClient`; the older `https://platform-api.max.ru` is marked deprecated there).
 */
export const MAX_BASE_URL = 'https://platform-api2.max.ru';

/** The environment variable the bot token falls back to, read on the first request. */
const MAX_TOKEN_ENV = 'MAX_BOT_TOKEN';

/** The update types the channel turns into events; the default of `subscribe` and the poller. */
export const MAX_HANDLED_UPDATE_TYPES: readonly string[] = ['message_created', 'message_callback', 'bot_started', 'bot_stopped'];

/** Options of {@link createMaxClient}. */
export interface MaxClientOptions {
  /** The bot token (business.max.ru → Чат-боты → Интеграция). Falls back to `MAX_BOT_TOKEN`. Registered as a secret. */
  token?: string | undefined;
  /** @default 'https://platform-api2.max.ru' */
  baseURL?: string | undefined;
  /** Extra headers for every Bot API request. */
  headers?: Record<string, string> | undefined;
  /** Custom fetch (tests, proxies). Also used for uploads to the URL MAX returns. */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in ms (long polling adds its own `timeout`). @default 15000 */
  timeoutMs?: number | undefined;
}

/**
 * A typed client for the MAX Bot API over core's HTTP client (typed errors, timeouts, keep-alive; no retries of its
 * own — the hub retries sends). The MAX channel uses it; CRMs may use it for set-up (subscriptions, `GET /me`).
 */
export interface MaxClient {
  /** `GET /me`: the bot itself (its `username` is the name in deep links). */
  getMe(request?: {
    signal?: AbortSignal | undefined;
  }): Promise<{ userId: string; username?: string | undefined; name?: string | undefined }>;
  /**
   * `POST /messages?user_id=…` or `?chat_id=…` with the body as given (see `convertToMaxMessage`).
   * @throws UnreachableRecipientError for 403 (the user blocked the bot) and 404 (no such user/dialog).
   */
  sendMessage(
    to: { userId: number | string } | { chatId: number | string },
    body: MaxNewMessageBody,
    request?: { signal?: AbortSignal | undefined; disableLinkPreview?: boolean | undefined },
  ): Promise<{ mid: string; timestamp: number }>;
  /**
   * Uploads a file: `POST /uploads?type=…` for an upload URL, then a multipart `data` part to that URL (without the
   * bot token: it is another host). Returns the token to attach (`{ type, payload: { token } }`).
   */
  upload(
    type: 'image' | 'file' | 'video' | 'audio',
    file: { data: Blob | Uint8Array; filename?: string | undefined; mimeType?: string | undefined },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<{ token: string }>;
  /** `POST /answers?callback_id=…`: answers a button press with a one-time notification and/or a new message body. */
  answerCallback(
    callbackId: string,
    answer: { notification?: string | undefined; message?: MaxNewMessageBody | undefined },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<void>;
  /** `POST /subscriptions { url, update_types, secret }`: MAX then POSTs each update there with `X-Max-Bot-Api-Secret`. */
  subscribe(
    subscription: { url: string; secret: string; updateTypes?: readonly string[] | undefined },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<void>;
  /** `DELETE /subscriptions?url=…`. */
  unsubscribe(url: string, request?: { signal?: AbortSignal | undefined }): Promise<void>;
  /** `GET /subscriptions`. */
  listSubscriptions(request?: {
    signal?: AbortSignal | undefined;
  }): Promise<Array<{ url: string; time?: number | undefined; updateTypes?: string[] | undefined }>>;
  /**
   * `GET /updates?marker=&limit=&timeout=&types=`: long polling. Only works while the bot has no webhook subscription
   * (MAX delivers either by webhook or by polling, never both).
   */
  getUpdates(
    options?: {
      marker?: number | undefined;
      /** 1–1000. */
      limit?: number | undefined;
      /** Seconds MAX holds the request open when there is nothing new (0–90). @default 30 */
      timeoutSeconds?: number | undefined;
      types?: readonly string[] | undefined;
    },
    request?: { signal?: AbortSignal | undefined },
  ): Promise<{ updates: unknown[]; marker: number | undefined }>;
}

/**
 * Creates a MAX Bot API client. The token goes in the `Authorization` header as is (no `Bearer`), as the official
 * client sends it.
 * @example
 * const max = createMaxClient({ token: process.env.MAX_BOT_TOKEN });
 * const bot = await max.getMe();
 * await max.subscribe({ url: 'https://crm.example/hooks/max', secret: process.env.MAX_WEBHOOK_SECRET! });
 * @throws AuthError on the first request when neither `token` nor `MAX_BOT_TOKEN` is set (never here).
 * @see https://dev.max.ru/docs-api
 */
export function createMaxClient(options: MaxClientOptions = {}): MaxClient {
  const baseURL = (options.baseURL ?? MAX_BASE_URL).replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  registerSecret(options.token);
  let token: string | undefined = options.token;
  const headers = (): Record<string, string> => {
    if (token === undefined) {
      token = process.env[MAX_TOKEN_ENV] || undefined;
      registerSecret(token);
    }
    if (!token) {
      throw new AuthError({ channel: 'max', message: `max: no bot token: pass \`token\` or set ${MAX_TOKEN_ENV}` });
    }
    return { ...options.headers, authorization: token };
  };
  const clients = new Map<string, HttpClient>();
  const httpFor = (scope: 'send' | 'account', timeout = timeoutMs): HttpClient => {
    const key = `${scope}:${timeout}`;
    let http = clients.get(key);
    if (!http) {
      http = createHttpClient({
        channel: 'max',
        baseURL,
        headers,
        timeoutMs: timeout,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        classifyError: (response) => classifyMaxError({ ...response, scope }),
      });
      clients.set(key, http);
    }
    return http;
  };
  const call = <T>(scope: 'send' | 'account', request: HttpRequest<T>, timeout?: number): Promise<T> =>
    httpFor(scope, timeout).request(request);

  const ensureSuccess = (body: z.infer<typeof maxActionResponseSchema>, what: string) => {
    if (body.success === false) {
      throw new ProviderError({
        channel: 'max',
        retryable: false,
        message: `max: ${what} answered success=false${body.message ? `: ${body.message}` : ''}`,
        raw: body,
      });
    }
  };

  return {
    async getMe(request = {}) {
      const me = await call('account', { path: '/me', schema: maxBotInfoSchema, signal: request.signal });
      const name = [me.first_name, me.last_name].filter(Boolean).join(' ') || me.name || undefined;
      return { userId: String(me.user_id), username: me.username ?? undefined, name };
    },

    async sendMessage(to, body, request = {}) {
      const searchParams =
        'userId' in to
          ? { user_id: String(to.userId), disable_link_preview: request.disableLinkPreview }
          : { chat_id: String(to.chatId), disable_link_preview: request.disableLinkPreview };
      const sent = await call('send', {
        method: 'POST',
        path: '/messages',
        searchParams,
        json: body,
        schema: maxSendMessageResponseSchema,
        signal: request.signal,
      });
      return { mid: sent.message.body.mid, timestamp: sent.message.timestamp };
    },

    async upload(type, file, request = {}) {
      const endpoint = await call('account', {
        method: 'POST',
        path: '/uploads',
        searchParams: { type },
        schema: maxUploadEndpointSchema,
        signal: request.signal,
      });
      let target: URL;
      try {
        target = new URL(endpoint.url);
      } catch (error) {
        throw new ProviderError({ channel: 'max', retryable: false, message: 'max: upload URL is not a URL', cause: error });
      }
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        throw new ProviderError({ channel: 'max', retryable: false, message: 'max: upload URL is not http(s)' });
      }
      // The upload host is not the Bot API: no bot token goes there (the official client sends none either).
      const uploader = createHttpClient({
        channel: 'max',
        baseURL: target.origin,
        timeoutMs: Math.max(timeoutMs, 60_000),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        classifyError: (response) => classifyMaxError({ ...response, scope: 'account' }),
      });
      const blob =
        file.data instanceof Blob
          ? file.data
          : new Blob([file.data as Uint8Array<ArrayBuffer>], file.mimeType ? { type: file.mimeType } : {});
      const form = new FormData();
      form.append('data', blob, file.filename ?? 'file');
      const text = await uploader.request<string>({
        method: 'POST',
        path: `${target.pathname}${target.search}`,
        body: form,
        responseType: 'text',
        signal: request.signal,
      });
      let parsed: z.infer<typeof maxUploadResultSchema> = {};
      try {
        const result = maxUploadResultSchema.safeParse(JSON.parse(text));
        if (result.success) parsed = result.data;
      } catch {
        // Video and audio uploads answer `<retval>1</retval>`: their token came with the upload URL.
      }
      const token = parsed.token ?? Object.values(parsed.photos ?? {})[0]?.token ?? endpoint.token ?? undefined;
      if (!token) {
        throw new ProviderError({ channel: 'max', retryable: false, message: `max: ${type} upload answered without a token` });
      }
      return { token };
    },

    async answerCallback(callbackId, answer, request = {}) {
      const body = await call('account', {
        method: 'POST',
        path: '/answers',
        searchParams: { callback_id: callbackId },
        json: answer,
        schema: maxActionResponseSchema,
        signal: request.signal,
      });
      ensureSuccess(body, 'answer');
    },

    async subscribe(subscription, request = {}) {
      const body = await call('account', {
        method: 'POST',
        path: '/subscriptions',
        json: {
          url: subscription.url,
          update_types: [...(subscription.updateTypes ?? MAX_HANDLED_UPDATE_TYPES)],
          secret: subscription.secret,
        },
        schema: maxActionResponseSchema,
        signal: request.signal,
      });
      ensureSuccess(body, 'subscribe');
    },

    async unsubscribe(url, request = {}) {
      const body = await call('account', {
        method: 'DELETE',
        path: '/subscriptions',
        searchParams: { url },
        schema: maxActionResponseSchema,
        signal: request.signal,
      });
      ensureSuccess(body, 'unsubscribe');
    },

    async listSubscriptions(request = {}) {
      const body = await call('account', {
        path: '/subscriptions',
        schema: maxSubscriptionsResponseSchema,
        signal: request.signal,
      });
      return (body.subscriptions ?? []).map((subscription) => ({
        url: subscription.url,
        time: subscription.time ?? undefined,
        updateTypes: subscription.update_types ?? undefined,
      }));
    },

    async getUpdates(query = {}, request = {}) {
      const timeoutSeconds = query.timeoutSeconds ?? 30;
      const body = await call(
        'account',
        {
          path: '/updates',
          searchParams: {
            marker: query.marker,
            limit: query.limit,
            timeout: timeoutSeconds,
            types: query.types?.length ? query.types.join(',') : undefined,
          },
          schema: maxUpdatesResponseSchema,
          signal: request.signal,
        },
        // The request stays open up to `timeout` seconds by design: our deadline must outlast it.
        timeoutMs + timeoutSeconds * 1000,
      );
      return { updates: body.updates, marker: body.marker ?? undefined };
    },
  };
}
