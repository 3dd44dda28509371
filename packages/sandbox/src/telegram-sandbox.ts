import { createSeededRandom, seededDigits, seededHex } from './random.js';
import type { ResolvedFaultRule } from './sandbox-behaviour.js';
import type { HttpProvider, SandboxContext } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import { jsonResponse, readJson, readParameters, type SandboxRequest, type SandboxResponse } from './sandbox-http.js';

/** A Telegram user as the sandbox knows them: a private chat with the bot exists once they pressed Start or wrote. */
export interface TelegramSandboxUser {
  /** The user id, which is also the private chat's id. */
  userId: number;
  firstName: string;
  lastName?: string | undefined;
  username?: string | undefined;
  /** False after the user blocked the bot: sends to them answer 403 `Forbidden: bot was blocked by the user`. */
  active: boolean;
}

/** A message the bot sent, as stored by the sandbox. */
export interface TelegramSentMessage {
  messageId: number;
  chatId: number;
  /** The `send*` method (`sendMessage`, `sendPhoto`…). */
  method: string;
  text?: string | undefined;
  caption?: string | undefined;
  /** The parameters as received, without `chat_id`. */
  parameters: Record<string, unknown>;
  at: number;
}

/** Who does something in {@link TelegramSandbox}: a known user id, or a new user (seeded id and name). */
export interface TelegramUserInput {
  userId?: number | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  username?: string | undefined;
}

/** What a simulated user action delivered. */
export interface TelegramUpdateResult {
  userId: number;
  /** The update exactly as delivered (or queued for `getUpdates`). */
  update: Record<string, unknown>;
  /** Webhook attempts (none while the bot polls). */
  deliveries: WebhookDeliveryEvent[];
}

/** The Telegram Bot API simulator, as reachable from `sandbox.telegram`. */
export interface TelegramSandbox {
  /** The user presses Start (through a deep link when `payload` is given): a `/start <payload>` message. */
  start(input?: TelegramUserInput & { payload?: string | undefined }): Promise<TelegramUpdateResult>;
  /** The user writes to the bot: a `message` update (a new user gets a private chat). */
  inbound(input: TelegramUserInput & { text: string }): Promise<TelegramUpdateResult>;
  /** The user presses an inline button of a message the bot sent: `callback_query` with the button's data. */
  press(input: { userId: number; data: string; messageId?: number | undefined }): Promise<TelegramUpdateResult>;
  /** The user blocks the bot: `my_chat_member` with `kicked`; later sends to them answer 403. */
  block(userId: number): Promise<TelegramUpdateResult>;
  /** Registers a user with a private chat (as if they had pressed Start) without sending an update. */
  addUser(input?: TelegramUserInput): TelegramSandboxUser;
  users(): ReadonlyMap<number, TelegramSandboxUser>;
  /** Every message the bot sent, oldest first. */
  sent(): readonly TelegramSentMessage[];
  /** The webhook set through `setWebhook`, if any. */
  webhook(): { url: string; secretToken?: string | undefined; allowedUpdates?: string[] | undefined } | undefined;
}

const fail = (status: number, description: string, parameters?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  jsonResponse(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) }, headers);
const ok = (result: unknown) => jsonResponse(200, { ok: true, result });

const textLimit = 4096;
const captionLimit = 1024;
const callbackDataLimit = 64;
const sendMethods: Record<string, string | undefined> = {
  sendMessage: undefined,
  sendPhoto: 'photo',
  sendDocument: 'document',
  sendVideo: 'video',
  sendAudio: 'audio',
  sendSticker: 'sticker',
  sendLocation: undefined,
  sendVenue: undefined,
};

/** Bot API parameters from a JSON body, a form body or the query string (Telegram accepts all three). */
function parametersOf(request: SandboxRequest): Record<string, unknown> | undefined {
  const contentType = String(request.headers['content-type'] ?? '');
  if (contentType.includes('application/json')) {
    const body = readJson(request);
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  }
  const parameters: Record<string, unknown> = {};
  for (const [name, value] of readParameters(request)) {
    // Form and query values of objects arrive JSON-serialised, as the Bot API documents.
    try {
      parameters[name] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      parameters[name] = value;
    }
  }
  return parameters;
}

function keyboardProblem(markup: unknown): string | undefined {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (markup === undefined) return undefined;
  if (!Array.isArray(rows)) return 'Bad Request: inline keyboard expected';
  for (const row of rows) {
    if (!Array.isArray(row)) return 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays';
    for (const button of row as Array<{ text?: unknown; callback_data?: unknown }>) {
      if (typeof button?.text !== 'string' || !button.text)
        return 'Bad Request: text buttons are unallowed in the inline keyboard';
      const data = button.callback_data;
      if (data !== undefined && (typeof data !== 'string' || !data || Buffer.byteLength(data) > callbackDataLimit)) {
        return 'Bad Request: BUTTON_DATA_INVALID';
      }
    }
  }
  return undefined;
}

/**
 * Creates the Telegram Bot API simulator: `POST /bot<token>/<method>` (JSON, form or query parameters, as the Bot API
 * takes them) for `getMe`, `sendMessage`, `sendPhoto`, `sendDocument`, `sendVideo`, `sendAudio`, `sendSticker`,
 * `sendLocation`, `sendVenue`, `answerCallbackQuery`, `setWebhook`, `deleteWebhook`, `getWebhookInfo` and `getUpdates`.
 * Answers use the real envelope (`{ ok: true, result }` / `{ ok: false, error_code, description, parameters }`).
 * Webhooks carry `X-Telegram-Bot-Api-Secret-Token`; while no webhook is set and no static target is configured,
 * updates queue for `getUpdates` (which answers 409 Conflict while a webhook is set), as Telegram does.
 */
export function createTelegramSandbox(context: SandboxContext): HttpProvider & TelegramSandbox {
  const { seed, clock, emitter } = context;
  const credentials = context.credentials.telegram;
  const stats = context.stats.telegram;
  const botId = Number(credentials.token.split(':')[0]);
  const bot = { id: botId, is_bot: true, first_name: 'Автосалон', username: credentials.botUsername };
  const users = new Map<number, TelegramSandboxUser>();
  const sent: TelegramSentMessage[] = [];
  const queue: Array<Record<string, unknown>> = [];
  let webhook: { url: string; secretToken?: string | undefined; allowedUpdates?: string[] | undefined } | undefined;
  let updateId = Number(seededDigits(8, seed, 'telegram.update_id'));
  let messageId = 100;
  let userCount = 0;

  const addUser = (input: TelegramUserInput = {}): TelegramSandboxUser => {
    const existing = input.userId === undefined ? undefined : users.get(input.userId);
    if (existing) return existing;
    const key = ++userCount;
    const random = createSeededRandom(seed, 'telegram.user', key);
    const user: TelegramSandboxUser = {
      userId: input.userId ?? Number(`5${seededDigits(9, seed, 'telegram.user.id', key)}`),
      firstName: input.firstName ?? random.pick(['Ирина', 'Алексей', 'Мария', 'Дмитрий', 'Ольга', 'Сергей']),
      ...(input.lastName ? { lastName: input.lastName } : {}),
      ...(input.username ? { username: input.username } : {}),
      active: true,
    };
    users.set(user.userId, user);
    return user;
  };
  const userJson = (user: TelegramSandboxUser) => ({
    id: user.userId,
    is_bot: false,
    first_name: user.firstName,
    ...(user.lastName ? { last_name: user.lastName } : {}),
    ...(user.username ? { username: user.username } : {}),
    language_code: 'ru',
  });
  const chatJson = (user: TelegramSandboxUser) => ({
    id: user.userId,
    first_name: user.firstName,
    ...(user.lastName ? { last_name: user.lastName } : {}),
    ...(user.username ? { username: user.username } : {}),
    type: 'private',
  });
  const date = () => Math.floor(clock.now() / 1000);

  async function emit(user: TelegramSandboxUser, kind: string, payload: unknown): Promise<TelegramUpdateResult> {
    const update: Record<string, unknown> = { update_id: ++updateId, [kind]: payload };
    emitter.emit('inbound.sent', {
      provider: 'telegram',
      id: String(update.update_id),
      from: String(user.userId),
      at: clock.now(),
    });
    const targets = context.targets.telegram.map((url) => ({ url, secret: credentials.webhookSecret as string | undefined }));
    // Without allowed_updates Telegram sends every kind except chat_member and reactions: my_chat_member included.
    if (webhook && (!webhook.allowedUpdates?.length || webhook.allowedUpdates.includes(kind))) {
      targets.push({ url: webhook.url, secret: webhook.secretToken });
    }
    if (targets.length === 0) {
      if (!webhook) queue.push(update);
      return { userId: user.userId, update, deliveries: [] };
    }
    const deliveries: WebhookDeliveryEvent[] = [];
    for (const target of targets) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.secret) headers['x-telegram-bot-api-secret-token'] = target.secret;
      deliveries.push(
        ...(await context.dispatcher.dispatch({
          provider: 'telegram',
          targets: [target.url],
          body: JSON.stringify(update),
          headers,
        })),
      );
    }
    return { userId: user.userId, update, deliveries };
  }

  const messageJson = (message: TelegramSentMessage, user: TelegramSandboxUser) => ({
    message_id: message.messageId,
    from: bot,
    chat: chatJson(user),
    date: Math.floor(message.at / 1000),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.caption !== undefined ? { caption: message.caption } : {}),
    ...(message.parameters.reply_markup ? { reply_markup: message.parameters.reply_markup } : {}),
  });

  const send = (method: string, parameters: Record<string, unknown>): SandboxResponse => {
    const { chat_id: chatId, ...rest } = parameters;
    const user = users.get(Number(chatId));
    const refuse = (status: number, description: string) => {
      stats.rejected++;
      return fail(status, description);
    };
    if (chatId === undefined || chatId === '') return refuse(400, 'Bad Request: chat_id is empty');
    const field = sendMethods[method];
    const text = typeof rest.text === 'string' ? rest.text : undefined;
    const caption = typeof rest.caption === 'string' ? rest.caption : undefined;
    if (method === 'sendMessage') {
      if (!text) return refuse(400, 'Bad Request: message text is empty');
      if (text.length > textLimit) return refuse(400, 'Bad Request: message is too long');
    } else if (field) {
      if (typeof rest[field] !== 'string' || !rest[field]) return refuse(400, `Bad Request: there is no ${field} in the request`);
      if (caption && caption.length > captionLimit) return refuse(400, 'Bad Request: message caption is too long');
    } else if (typeof rest.latitude !== 'number' || typeof rest.longitude !== 'number') {
      return refuse(400, 'Bad Request: latitude and longitude are required');
    }
    const keyboard = keyboardProblem(rest.reply_markup);
    if (keyboard) return refuse(400, keyboard);
    if (!user) return refuse(400, 'Bad Request: chat not found');
    if (!user.active) return refuse(403, 'Forbidden: bot was blocked by the user');
    const message: TelegramSentMessage = {
      messageId: ++messageId,
      chatId: user.userId,
      method,
      ...(text !== undefined ? { text } : {}),
      ...(caption !== undefined ? { caption } : {}),
      parameters: rest,
      at: clock.now(),
    };
    sent.push(message);
    stats.accepted++;
    emitter.emit('message.accepted', {
      provider: 'telegram',
      id: `${user.userId}:${message.messageId}`,
      to: String(user.userId),
      type: method === 'sendMessage' ? 'text' : method.slice(4).toLowerCase(),
      at: message.at,
    });
    const media =
      field && field !== 'photo'
        ? { [field]: { file_id: `${field}-${seededHex(16, seed, 'telegram.file', message.messageId)}` } }
        : {};
    const photo =
      field === 'photo'
        ? {
            photo: [
              {
                file_id: `photo-${seededHex(16, seed, 'telegram.file', message.messageId)}`,
                file_unique_id: seededHex(8, seed, 'telegram.unique', message.messageId),
                width: 1280,
                height: 960,
              },
            ],
          }
        : {};
    return ok({ ...messageJson(message, user), ...media, ...photo });
  };

  return {
    handle(request) {
      const [first = '', method = ''] = request.url.pathname.split('/').filter(Boolean);
      if (!first.startsWith('bot') || first.slice(3) !== credentials.token) {
        stats.rejected++;
        // The Bot API answers a malformed token path with 404 and a well-formed unknown one with 401.
        return /^bot\d+:[\w-]+$/.test(first) ? fail(401, 'Unauthorized') : fail(404, 'Not Found');
      }
      const parameters = parametersOf(request);
      if (!parameters) {
        stats.rejected++;
        return fail(400, "Bad Request: can't parse JSON object");
      }
      if (method in sendMethods) return send(method, parameters);
      switch (method) {
        case 'getMe':
          return ok({ ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
        case 'answerCallbackQuery':
          if (typeof parameters.callback_query_id !== 'string' || !parameters.callback_query_id) {
            return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
          }
          stats.callbackAnswers++;
          return ok(true);
        case 'setWebhook': {
          const url = parameters.url;
          if (typeof url !== 'string' || url === '') {
            webhook = undefined;
            return jsonResponse(200, { ok: true, result: true, description: 'Webhook was deleted' });
          }
          if (!/^https?:\/\//.test(url)) return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
          const secretToken = parameters.secret_token;
          if (secretToken !== undefined && (typeof secretToken !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken))) {
            return fail(400, 'Bad Request: secret token contains unallowed characters');
          }
          const allowed = Array.isArray(parameters.allowed_updates) ? parameters.allowed_updates.map(String) : undefined;
          webhook = {
            url,
            ...(typeof secretToken === 'string' ? { secretToken } : {}),
            ...(allowed ? { allowedUpdates: allowed } : {}),
          };
          if (parameters.drop_pending_updates === true) queue.length = 0;
          return jsonResponse(200, { ok: true, result: true, description: 'Webhook was set' });
        }
        case 'deleteWebhook':
          webhook = undefined;
          if (parameters.drop_pending_updates === true) queue.length = 0;
          return jsonResponse(200, { ok: true, result: true, description: 'Webhook was deleted' });
        case 'getWebhookInfo':
          return ok({
            url: webhook?.url ?? '',
            has_custom_certificate: false,
            pending_update_count: queue.length,
            ...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
          });
        case 'getUpdates': {
          if (webhook)
            return fail(
              409,
              "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            );
          const offset = Number(parameters.offset ?? 0);
          if (offset > 0) while (queue.length && Number(queue[0]?.update_id) < offset) queue.shift();
          const limit = Math.min(Math.max(Number(parameters.limit ?? 100) || 100, 1), 100);
          const allowed = Array.isArray(parameters.allowed_updates) ? parameters.allowed_updates.map(String) : undefined;
          const page = queue.filter((update) => !allowed?.length || allowed.some((kind) => kind in update)).slice(0, limit);
          return ok(page);
        }
        default:
          stats.rejected++;
          return fail(404, 'Not Found: method not found');
      }
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return fail(429, `Too Many Requests: retry after ${rule.retryAfterSeconds}`, { retry_after: rule.retryAfterSeconds });
        case 'expired_token':
          return fail(401, 'Unauthorized');
        case 'unavailable':
          return fail(502, 'Bad Gateway');
        default:
          return fail(500, 'Internal Server Error');
      }
    },

    addUser,

    async start(input = {}) {
      const user = addUser(input);
      user.active = true;
      stats.inbound++;
      const text = input.payload ? `/start ${input.payload}` : '/start';
      return emit(user, 'message', {
        message_id: ++messageId,
        from: userJson(user),
        chat: chatJson(user),
        date: date(),
        text,
        entities: [{ offset: 0, length: 6, type: 'bot_command' }],
      });
    },

    async inbound(input) {
      const user = addUser(input);
      stats.inbound++;
      return emit(user, 'message', {
        message_id: ++messageId,
        from: userJson(user),
        chat: chatJson(user),
        date: date(),
        text: input.text,
      });
    },

    async press(input) {
      const user = addUser({ userId: input.userId });
      const message =
        input.messageId !== undefined
          ? sent.find((candidate) => candidate.messageId === input.messageId)
          : [...sent].reverse().find((candidate) => candidate.chatId === user.userId);
      stats.inbound++;
      return emit(user, 'callback_query', {
        id: seededDigits(19, seed, 'telegram.callback', updateId + 1),
        from: userJson(user),
        ...(message ? { message: messageJson(message, user) } : {}),
        chat_instance: `-${seededDigits(19, seed, 'telegram.chat_instance', user.userId)}`,
        data: input.data,
      });
    },

    async block(userId) {
      const user = addUser({ userId });
      user.active = false;
      return emit(user, 'my_chat_member', {
        chat: chatJson(user),
        from: userJson(user),
        date: date(),
        old_chat_member: { user: bot, status: 'member' },
        new_chat_member: { user: bot, status: 'kicked', until_date: 0 },
      });
    },

    users: () => users,
    sent: () => sent,
    webhook: () => webhook,
  };
}
