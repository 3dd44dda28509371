import { ChannelApiError } from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  type HttpClient,
  loadSetting,
  type SecretRegistry,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import {
  TELEGRAM_HANDLED_UPDATE_TYPES,
  type TelegramMessageWire,
  telegramEnvelopeSchema,
  telegramMessageSchema,
  telegramUserSchema,
  telegramWebhookInfoSchema,
} from './telegram-api.js';
import { classifyTelegramError } from './telegram-error.js';

/** The public Bot API server. A self-hosted `telegram-bot-api` server or a proxy replaces it through `baseURL`. */
export const TELEGRAM_BASE_URL = 'https://api.telegram.org';

/** The environment variable the bot token falls back to, read on the first request. */
const TELEGRAM_TOKEN_ENV = 'TELEGRAM_BOT_TOKEN';

/** Options of {@link createTelegramClient}. */
export interface TelegramClientOptions {
  /** The bot token from `@BotFather` (`123456789:AA…`). Falls back to `TELEGRAM_BOT_TOKEN`. Registered as a secret. */
  token?: string | undefined;
  /** @default 'https://api.telegram.org' */
  baseURL?: string | undefined;
  /** Extra headers for every Bot API request (a proxy's auth). */
  headers?: Record<string, string> | undefined;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in ms (long polling adds its own `timeout`). @default 15000 */
  timeoutMs?: number | undefined;
  /** Where the token is registered as a secret, scrubbed from every error. @default a registry of its own */
  secrets?: SecretRegistry | undefined;
  /** Channel id for the errors' `accountId`. */
  accountId?: string | undefined;
}

/** Per-call options of the client. */
export interface TelegramRequestOptions {
  signal?: AbortSignal | undefined;
}

/**
 * A typed client for the Telegram Bot API over core's HTTP client (typed errors, timeouts, keep-alive, secret
 * redaction; no retries of its own — the hub retries sends). The channel uses it; CRMs use it for set-up
 * (`setWebhook`, `getMe`) and for custom callback answers.
 */
export interface TelegramClient {
  /**
   * Calls any Bot API method with JSON parameters and returns its `result` (unvalidated). `scope: 'send'` classifies
   * 403 and "chat not found" as `UnreachableRecipientError`.
   * @throws the typed errors of `classifyTelegramError`.
   */
  call(
    method: string,
    parameters?: Record<string, unknown>,
    request?: TelegramRequestOptions & { scope?: 'send' | 'account' | undefined; timeoutMs?: number | undefined },
  ): Promise<unknown>;
  /** A `send*` method (`sendMessage`, `sendPhoto`, `sendDocument`…) returning the sent message. */
  send(method: string, parameters: Record<string, unknown>, request?: TelegramRequestOptions): Promise<TelegramMessageWire>;
  /** `getMe`: the bot itself (its `username` is the name in `t.me/<username>` deep links). */
  getMe(request?: TelegramRequestOptions): Promise<{ id: number; username?: string | undefined; firstName: string }>;
  /** `answerCallbackQuery`: stops the button's loading animation, optionally with a notification `text`. */
  answerCallbackQuery(
    callbackQueryId: string,
    answer?: { text?: string | undefined; showAlert?: boolean | undefined },
    request?: TelegramRequestOptions,
  ): Promise<void>;
  /**
   * `setWebhook`: Telegram then POSTs every update to `url` with `X-Telegram-Bot-Api-Secret-Token: <secretToken>`.
   * `allowedUpdates` defaults to message, callback_query and my_chat_member.
   */
  setWebhook(
    webhook: {
      url: string;
      secretToken: string;
      allowedUpdates?: readonly string[] | undefined;
      dropPendingUpdates?: boolean | undefined;
      maxConnections?: number | undefined;
    },
    request?: TelegramRequestOptions,
  ): Promise<void>;
  /** `deleteWebhook`: needed before `getUpdates` polling works. */
  deleteWebhook(options?: { dropPendingUpdates?: boolean | undefined }, request?: TelegramRequestOptions): Promise<void>;
  /** `getWebhookInfo`: the URL, pending updates and the last delivery error Telegram saw. */
  getWebhookInfo(request?: TelegramRequestOptions): Promise<z.infer<typeof telegramWebhookInfoSchema>>;
  /**
   * `getUpdates`: long polling. Only works while no webhook is set (Telegram answers 409 Conflict otherwise).
   * Confirm updates by passing `offset` = the last `update_id` + 1.
   */
  getUpdates(
    options?: {
      offset?: number | undefined;
      /** 1–100. @default 100 */
      limit?: number | undefined;
      /** Seconds Telegram holds the request open when there is nothing new. @default 30 */
      timeoutSeconds?: number | undefined;
      allowedUpdates?: readonly string[] | undefined;
    },
    request?: TelegramRequestOptions,
  ): Promise<unknown[]>;
}

const updatesSchema = z.array(z.unknown());

/**
 * Creates a Telegram Bot API client: `POST {baseURL}/bot<token>/<method>` with a JSON body. The token is part of the
 * URL, so it is registered in the secret registry and removed from every error and log line.
 * @example
 * const telegram = createTelegramClient({ token: process.env.TELEGRAM_BOT_TOKEN });
 * const bot = await telegram.getMe();
 * await telegram.setWebhook({ url: 'https://crm.example/hooks/telegram', secretToken: process.env.TELEGRAM_WEBHOOK_SECRET! });
 * @throws ValidationError on the first request when neither `token` nor `TELEGRAM_BOT_TOKEN` is set (never here).
 * @see https://core.telegram.org/bots/api#making-requests
 */
export function createTelegramClient(options: TelegramClientOptions = {}): TelegramClient {
  const baseURL = (options.baseURL ?? TELEGRAM_BASE_URL).replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const secrets = options.secrets ?? createSecretRegistry();
  secrets.add(options.token);
  let token: string | undefined;
  const tokenNow = (): string => {
    // Read at the first request, so the factory never throws for a missing token.
    token ??= loadSetting(options.token, TELEGRAM_TOKEN_ENV, {
      channel: 'telegram',
      option: 'token',
      description: 'bot token',
      secrets,
    });
    return token;
  };
  const clients = new Map<string, HttpClient>();
  const httpFor = (scope: 'send' | 'account', timeout: number): HttpClient => {
    const key = `${scope}:${timeout}`;
    let http = clients.get(key);
    if (!http) {
      http = createHttpClient({
        channel: 'telegram',
        accountId: options.accountId,
        baseURL,
        secrets,
        timeoutMs: timeout,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        classifyError: (response) => classifyTelegramError({ ...response, scope }),
      });
      clients.set(key, http);
    }
    return http;
  };

  const call: TelegramClient['call'] = async (method, parameters = {}, request = {}) => {
    const scope = request.scope ?? 'account';
    const envelope = await httpFor(scope, request.timeoutMs ?? timeoutMs).request({
      method: 'POST',
      path: `/bot${tokenNow()}/${method}`,
      json: parameters,
      schema: telegramEnvelopeSchema,
      signal: request.signal,
    });
    if (!envelope.ok) {
      // Telegram answers errors with the HTTP status = error_code; a proxy may still pass one with 200.
      throw secrets.redactError(
        classifyTelegramError({
          status: envelope.error_code ?? 400,
          body: envelope,
          retryAfterMs: undefined,
          scope,
          accountId: options.accountId,
        }),
      );
    }
    return envelope.result;
  };

  const parse = <T>(schema: z.ZodType<T>, value: unknown, method: string): T => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new ChannelApiError({
      channel: 'telegram',
      accountId: options.accountId,
      statusCode: 200,
      retryable: false,
      message: `telegram: unexpected ${method} result: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
      raw: value,
    });
  };

  return {
    call,

    async send(method, parameters, request = {}) {
      const result = await call(method, parameters, { ...request, scope: 'send' });
      return parse(telegramMessageSchema, result, method);
    },

    async getMe(request = {}) {
      const me = parse(telegramUserSchema, await call('getMe', {}, request), 'getMe');
      return { id: me.id, username: me.username ?? undefined, firstName: me.first_name };
    },

    async answerCallbackQuery(callbackQueryId, answer = {}, request = {}) {
      await call(
        'answerCallbackQuery',
        {
          callback_query_id: callbackQueryId,
          ...(answer.text ? { text: answer.text } : {}),
          ...(answer.showAlert ? { show_alert: true } : {}),
        },
        request,
      );
    },

    async setWebhook(webhook, request = {}) {
      await call(
        'setWebhook',
        {
          url: webhook.url,
          secret_token: webhook.secretToken,
          allowed_updates: [...(webhook.allowedUpdates ?? TELEGRAM_HANDLED_UPDATE_TYPES)],
          ...(webhook.dropPendingUpdates ? { drop_pending_updates: true } : {}),
          ...(webhook.maxConnections ? { max_connections: webhook.maxConnections } : {}),
        },
        request,
      );
    },

    async deleteWebhook(deleteOptions = {}, request = {}) {
      await call('deleteWebhook', deleteOptions.dropPendingUpdates ? { drop_pending_updates: true } : {}, request);
    },

    async getWebhookInfo(request = {}) {
      return parse(telegramWebhookInfoSchema, await call('getWebhookInfo', {}, request), 'getWebhookInfo');
    },

    async getUpdates(query = {}, request = {}) {
      const timeoutSeconds = query.timeoutSeconds ?? 30;
      const result = await call(
        'getUpdates',
        {
          ...(query.offset !== undefined ? { offset: query.offset } : {}),
          limit: query.limit ?? 100,
          timeout: timeoutSeconds,
          allowed_updates: [...(query.allowedUpdates ?? TELEGRAM_HANDLED_UPDATE_TYPES)],
        },
        // The request stays open up to `timeout` seconds by design: our deadline must outlast it.
        { ...request, timeoutMs: timeoutMs + timeoutSeconds * 1000 },
      );
      return parse(updatesSchema, result, 'getUpdates');
    },
  };
}
