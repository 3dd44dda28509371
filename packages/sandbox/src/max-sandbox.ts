import { createSeededRandom, seededDigits, seededHex } from './random.js';
import type { ResolvedFaultRule } from './sandbox-behaviour.js';
import type { HttpProvider, SandboxContext } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import {
  jsonResponse,
  readJson,
  readMultipart,
  type SandboxRequest,
  type SandboxResponse,
  textResponse,
} from './sandbox-http.js';

/** A MAX user as the sandbox knows them: a dialog with the bot exists once they pressed Start or wrote. */
export interface MaxSandboxUser {
  userId: number;
  /** The dialog's chat id. */
  chatId: number;
  firstName: string;
  lastName?: string | undefined;
  /** False after `bot_stopped`: sends to them answer 403 `chat.denied`. */
  active: boolean;
}

/** A message the bot sent, as stored by the sandbox. */
export interface MaxSentMessage {
  mid: string;
  userId: number;
  text: string | null;
  attachments: unknown[];
  format?: string | undefined;
  at: number;
}

/** Who does something in {@link MaxSandbox}: a known user id, or a new user (seeded id and name). */
export interface MaxUserInput {
  userId?: number | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
}

/** What a simulated user action delivered. */
export interface MaxUpdateResult {
  userId: number;
  /** The update exactly as delivered (or queued for `GET /updates`). */
  update: Record<string, unknown>;
  /** Webhook attempts (none while the bot polls). */
  deliveries: WebhookDeliveryEvent[];
}

/** The MAX Bot API simulator, as reachable from `sandbox.max`. */
export interface MaxSandbox {
  /** The user presses Start (through a deep link when `payload` is given): `bot_started`. */
  start(input?: MaxUserInput & { payload?: string | undefined }): Promise<MaxUpdateResult>;
  /** The user stops or blocks the bot: `bot_stopped`; later sends to them answer 403. */
  stop(userId: number): Promise<MaxUpdateResult>;
  /** The user writes to the bot: `message_created` (a new user gets a dialog). */
  inbound(input: MaxUserInput & { text: string }): Promise<MaxUpdateResult>;
  /** The user presses a callback button of a message the bot sent: `message_callback`. */
  press(input: { userId: number; payload: string; mid?: string | undefined }): Promise<MaxUpdateResult>;
  /** Registers a user with a dialog (as if they had pressed Start) without sending an update. */
  addUser(input?: MaxUserInput): MaxSandboxUser;
  users(): ReadonlyMap<number, MaxSandboxUser>;
  /** Every message the bot sent, oldest first. */
  sent(): readonly MaxSentMessage[];
  /** Webhook subscriptions made through `POST /subscriptions`. */
  subscriptions(): ReadonlyArray<{ url: string; secret?: string | undefined; updateTypes?: string[] | undefined }>;
}

const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  jsonResponse(status, { code, message }, headers);

const textLimit = 4000;
/** How long an uploaded file stays "being processed" (`attachment.not.ready`) in simulated ms. */
const processingMs = 1500;

/**
 * Creates the MAX Bot API simulator: `POST /messages`, `POST /uploads` and the upload URL, `GET/POST/DELETE
 * /subscriptions`, `GET /updates`, `GET /me`, `POST /answers`. Auth is `Authorization: <token>` (401 `verify.token`
 * otherwise). Webhooks carry `X-Max-Bot-Api-Secret`; while the bot has no subscription and no static target, updates
 * queue for `GET /updates`, as MAX does.
 */
export function createMaxSandbox(context: SandboxContext): HttpProvider & MaxSandbox {
  const { seed, clock, emitter, stats } = context;
  const credentials = context.credentials.max;
  const users = new Map<number, MaxSandboxUser>();
  const sent: MaxSentMessage[] = [];
  const uploads = new Map<string, { type: string; readyAt: number; token: string }>();
  const subscriptions = new Map<string, { url: string; secret?: string | undefined; updateTypes?: string[] | undefined }>();
  const queue: Array<Record<string, unknown>> = [];
  let marker = 0;
  let userCount = 0;
  let messageCount = 0;
  let uploadCount = 0;

  const bot = { user_id: credentials.botId, first_name: 'Автосалон', username: credentials.botName, is_bot: true };
  const userJson = (user: MaxSandboxUser) => ({
    user_id: user.userId,
    first_name: user.firstName,
    ...(user.lastName ? { last_name: user.lastName } : {}),
    is_bot: false,
    last_activity_time: clock.now(),
    name: [user.firstName, user.lastName].filter(Boolean).join(' '),
  });

  const addUser = (input: MaxUserInput = {}): MaxSandboxUser => {
    const existing = input.userId === undefined ? undefined : users.get(input.userId);
    if (existing) return existing;
    const key = ++userCount;
    const random = createSeededRandom(seed, 'max.user', key);
    const userId = input.userId ?? Number(`3${seededDigits(8, seed, 'max.user.id', key)}`);
    const user: MaxSandboxUser = {
      userId,
      chatId: Number(`5${seededDigits(8, seed, 'max.chat.id', userId)}`),
      firstName: input.firstName ?? random.pick(['Ирина', 'Алексей', 'Мария', 'Дмитрий', 'Ольга', 'Сергей']),
      ...(input.lastName ? { lastName: input.lastName } : {}),
      active: true,
    };
    users.set(userId, user);
    return user;
  };

  const mid = () => `mid.${seededHex(32, seed, 'max.mid', ++messageCount)}`;

  async function emit(userId: number, update: Record<string, unknown>): Promise<MaxUpdateResult> {
    const type = String(update.update_type);
    const targets = [
      ...context.targets.max.map((url) => ({ url, secret: credentials.webhookSecret as string | undefined })),
      ...[...subscriptions.values()]
        .filter((subscription) => !subscription.updateTypes?.length || subscription.updateTypes.includes(type))
        .map((subscription) => ({ url: subscription.url, secret: subscription.secret })),
    ];
    emitter.emit('inbound.sent', { provider: 'max', id: type, from: String(userId), at: clock.now() });
    if (targets.length === 0) {
      queue.push(update);
      return { userId, update, deliveries: [] };
    }
    const bySecret = new Map<string | undefined, string[]>();
    for (const target of targets) bySecret.set(target.secret, [...(bySecret.get(target.secret) ?? []), target.url]);
    const deliveries: WebhookDeliveryEvent[] = [];
    for (const [secret, urls] of bySecret) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (secret) headers['x-max-bot-api-secret'] = secret;
      deliveries.push(
        ...(await context.dispatcher.dispatch({ provider: 'max', targets: urls, body: JSON.stringify(update), headers })),
      );
    }
    return { userId, update, deliveries };
  }

  const sendMessage = (request: SandboxRequest): SandboxResponse => {
    const query = request.url.searchParams;
    const userId = Number(query.get('user_id'));
    const chatId = Number(query.get('chat_id'));
    const user = users.get(userId) ?? [...users.values()].find((candidate) => candidate.chatId === chatId);
    const body = readJson(request) as { text?: unknown; attachments?: unknown; format?: unknown } | undefined;
    if (!body || typeof body !== 'object') {
      stats.max.rejected++;
      return error(400, 'proto.payload', 'Request body is not a NewMessageBody');
    }
    const text = typeof body.text === 'string' ? body.text : null;
    const attachments = Array.isArray(body.attachments) ? body.attachments : [];
    if (!text && attachments.length === 0) {
      stats.max.rejected++;
      return error(400, 'proto.payload', 'text or attachments is required');
    }
    if (text && [...text].length > textLimit) {
      stats.max.rejected++;
      return error(400, 'proto.payload', `text: size must be between 0 and ${textLimit}`);
    }
    for (const attachment of attachments as Array<{ type?: string; payload?: { token?: string } }>) {
      const token = attachment?.payload?.token;
      if (!token || attachment.type === 'inline_keyboard') continue;
      const upload = uploads.get(token);
      if (!upload) {
        stats.max.rejected++;
        return error(400, 'attachment.invalid', 'Unknown attachment token');
      }
      if (upload.readyAt > clock.now())
        return error(400, 'attachment.not.ready', 'Key: errors.process.attachment.file.not.processed');
    }
    if (!user) {
      stats.max.rejected++;
      return error(404, 'not.found', 'Dialog not found: the user has not started the bot');
    }
    if (!user.active) {
      stats.max.rejected++;
      return error(403, 'chat.denied', 'chat.denied: the user stopped the bot');
    }
    const message: MaxSentMessage = {
      mid: mid(),
      userId: user.userId,
      text,
      attachments,
      ...(typeof body.format === 'string' ? { format: body.format } : {}),
      at: clock.now(),
    };
    sent.push(message);
    stats.max.accepted++;
    emitter.emit('message.accepted', {
      provider: 'max',
      id: message.mid,
      to: String(user.userId),
      type: attachments.length ? 'attachment' : 'text',
      at: message.at,
    });
    return jsonResponse(200, {
      message: {
        recipient: { chat_id: user.chatId, chat_type: 'dialog', user_id: user.userId },
        timestamp: message.at,
        body: { mid: message.mid, seq: messageCount, text, ...(attachments.length ? { attachments } : {}) },
        sender: { ...bot, last_activity_time: message.at, name: bot.first_name },
      },
    });
  };

  const upload = async (request: SandboxRequest, id: string): Promise<SandboxResponse> => {
    const form = await readMultipart(request);
    const file = form?.get('data');
    const pending = uploads.get(`pending:${id}`);
    if (!pending || !(file instanceof Blob)) return error(400, 'upload.invalid', 'multipart part "data" is required');
    uploads.delete(`pending:${id}`);
    uploads.set(pending.token, { ...pending, readyAt: clock.now() + processingMs });
    stats.max.uploads++;
    if (pending.type === 'image') return jsonResponse(200, { photos: { [id]: { token: pending.token } } });
    if (pending.type === 'file') return jsonResponse(200, { token: pending.token });
    return textResponse(200, '<retval>1</retval>', { 'content-type': 'application/xml' });
  };

  return {
    async handle(request) {
      const segments = request.url.pathname.split('/').filter(Boolean);
      // The upload URL is another host at MAX and takes no bot token.
      if (segments[0] === 'upload' && segments[1] && request.method === 'POST') return upload(request, segments[1]);
      if (request.headers.authorization !== credentials.token) {
        stats.max.rejected++;
        return error(401, 'verify.token', 'Invalid access_token');
      }
      const [resource] = segments;
      const query = request.url.searchParams;
      if (resource === 'me' && request.method === 'GET') {
        return jsonResponse(200, { ...bot, last_activity_time: clock.now(), name: bot.first_name });
      }
      if (resource === 'messages' && request.method === 'POST') return sendMessage(request);
      if (resource === 'uploads' && request.method === 'POST') {
        const type = query.get('type') ?? '';
        if (!['image', 'video', 'audio', 'file'].includes(type)) return error(400, 'proto.payload', 'type: unknown upload type');
        const id = seededHex(16, seed, 'max.upload', ++uploadCount);
        const token = `${type}-${seededHex(24, seed, 'max.upload.token', uploadCount)}`;
        uploads.set(`pending:${id}`, { type, readyAt: Number.POSITIVE_INFINITY, token });
        const url = `${context.origin}/max/upload/${id}?sig=${seededHex(12, seed, 'max.sig', uploadCount)}`;
        return jsonResponse(200, type === 'video' || type === 'audio' ? { url, token } : { url });
      }
      if (resource === 'answers' && request.method === 'POST') return jsonResponse(200, { success: true });
      if (resource === 'subscriptions') {
        if (request.method === 'GET') {
          return jsonResponse(200, {
            subscriptions: [...subscriptions.values()].map((subscription) => ({
              url: subscription.url,
              time: clock.now(),
              update_types: subscription.updateTypes ?? [],
            })),
          });
        }
        if (request.method === 'POST') {
          const body = readJson(request) as { url?: unknown; secret?: unknown; update_types?: unknown } | undefined;
          if (typeof body?.url !== 'string' || !/^https?:\/\//.test(body.url)) {
            return error(400, 'proto.payload', 'url: must be an http(s) URL');
          }
          if (body.secret !== undefined && (typeof body.secret !== 'string' || !/^[\w-]{5,256}$/.test(body.secret))) {
            return error(400, 'proto.payload', 'secret: must match ^[\\w-]{5,256}$');
          }
          subscriptions.set(body.url, {
            url: body.url,
            ...(typeof body.secret === 'string' ? { secret: body.secret } : {}),
            ...(Array.isArray(body.update_types) ? { updateTypes: body.update_types.map(String) } : {}),
          });
          return jsonResponse(200, { success: true });
        }
        if (request.method === 'DELETE') {
          subscriptions.delete(query.get('url') ?? '');
          return jsonResponse(200, { success: true });
        }
      }
      if (resource === 'updates' && request.method === 'GET') {
        const types = query.get('types')?.split(',').filter(Boolean);
        const limit = Math.min(Number(query.get('limit') ?? 100) || 100, 1000);
        const page: Array<Record<string, unknown>> = [];
        for (let index = 0; index < queue.length && page.length < limit; ) {
          const update = queue[index] as Record<string, unknown>;
          if (!types || types.includes(String(update.update_type))) {
            page.push(update);
            queue.splice(index, 1);
          } else index++;
        }
        marker += page.length;
        return jsonResponse(200, { updates: page, marker });
      }
      return error(404, 'not.found', 'Method not found');
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return error(429, 'too.many.requests', 'Too many requests', { 'retry-after': String(rule.retryAfterSeconds) });
        case 'expired_token':
          return error(401, 'verify.token', 'Invalid access_token');
        case 'unavailable':
          return error(503, 'service.unavailable', 'Service unavailable');
        default:
          return error(500, 'internal.error', 'Internal server error');
      }
    },

    addUser,

    async start(input = {}) {
      const user = addUser(input);
      user.active = true;
      stats.max.inbound++;
      return emit(user.userId, {
        timestamp: clock.now(),
        chat_id: user.chatId,
        user: userJson(user),
        ...(input.payload ? { payload: input.payload } : {}),
        user_locale: 'ru',
        user_id: user.userId,
        update_type: 'bot_started',
      });
    },

    async stop(userId) {
      const user = addUser({ userId });
      user.active = false;
      return emit(user.userId, {
        chat_id: user.chatId,
        user: userJson(user),
        timestamp: clock.now(),
        user_locale: 'ru',
        update_type: 'bot_stopped',
      });
    },

    async inbound(input) {
      const user = addUser(input);
      stats.max.inbound++;
      const at = clock.now();
      return emit(user.userId, {
        message: {
          recipient: { chat_id: user.chatId, chat_type: 'dialog', user_id: credentials.botId },
          timestamp: at,
          body: { mid: mid(), seq: messageCount, text: input.text },
          sender: userJson(user),
        },
        timestamp: at,
        user_locale: 'ru',
        update_type: 'message_created',
      });
    },

    async press(input) {
      const user = addUser({ userId: input.userId });
      const message = input.mid
        ? sent.find((candidate) => candidate.mid === input.mid)
        : [...sent].reverse().find((candidate) => candidate.userId === user.userId);
      const at = clock.now();
      stats.max.inbound++;
      return emit(user.userId, {
        callback: {
          timestamp: at,
          callback_id: seededHex(48, seed, 'max.callback', at, user.userId),
          user: userJson(user),
          payload: input.payload,
        },
        ...(message
          ? {
              message: {
                recipient: { chat_id: user.chatId, chat_type: 'dialog', user_id: user.userId },
                timestamp: message.at,
                body: { mid: message.mid, seq: 1, text: message.text, attachments: message.attachments },
                sender: { ...bot, last_activity_time: at, name: bot.first_name },
              },
            }
          : {}),
        timestamp: at,
        user_locale: 'ru',
        update_type: 'message_callback',
      });
    },

    users: () => users,
    sent: () => sent,
    subscriptions: () => [...subscriptions.values()],
  };
}
