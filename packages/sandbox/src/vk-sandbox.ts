import { createSeededRandom, seededDigits, seededHex } from './random.js';
import type { ResolvedFaultRule } from './sandbox-behaviour.js';
import type { HttpProvider, SandboxContext } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import { jsonResponse, readParameters, type SandboxRequest, type SandboxResponse, textResponse } from './sandbox-http.js';
import { apiError } from './vk-sandbox-api-error.js';
import { createVkUploads } from './vk-sandbox-uploads.js';

/** A VK user as the sandbox knows them: the community may write to them once they wrote or allowed its messages. */
export interface VkSandboxUser {
  userId: number;
  firstName: string;
  /** False after `message_deny`: sends to them answer error 901. */
  allowed: boolean;
}

/** A message the community sent, as stored by the sandbox. */
export interface VkSentMessage {
  id: number;
  peerId: number;
  randomId: number;
  text: string;
  /** The keyboard as sent (parsed JSON), if any. */
  keyboard?: unknown;
  attachment?: string | undefined;
  at: number;
}

/** What a simulated user action delivered. */
export interface VkEventResult {
  userId: number;
  /** The event exactly as delivered to the Callback API targets (or queued for Bots Long Poll, without `secret`). */
  event: Record<string, unknown>;
  /** Webhook attempts (none while the community is polled). */
  deliveries: WebhookDeliveryEvent[];
}

/** The VK API simulator, as reachable from `sandbox.vk`. */
export interface VkSandbox {
  /** The user opens the dialog and presses Start («Начать»), through `vk.me/<community>?ref=<ref>` when `ref` is given. */
  start(input?: {
    userId?: number | undefined;
    ref?: string | undefined;
    refSource?: string | undefined;
  }): Promise<VkEventResult>;
  /** The user writes to the community: `message_new`. */
  inbound(input: { userId?: number | undefined; text: string }): Promise<VkEventResult>;
  /**
   * The user presses a button of the last keyboard the community sent them (by payload id): a text button gives
   * `message_new` with `payload`, a callback button `message_event` (answered with `messages.sendMessageEventAnswer`).
   */
  press(input: { userId: number; id: string }): Promise<VkEventResult>;
  /**
   * The user reads their dialog: `message_read` with `read_message_id` = `messageId`, by default the last message the
   * community sent them (VK marks everything up to it read).
   */
  read(input: { userId: number; messageId?: number | undefined }): Promise<VkEventResult>;
  /** The `event_id`s the community answered with `messages.sendMessageEventAnswer`, oldest first. */
  answeredEvents(): readonly string[];
  /** The user allows the community's messages (the widget's `key` when given): `message_allow`. */
  allow(input: { userId?: number | undefined; key?: string | undefined }): Promise<VkEventResult>;
  /** The user forbids the community's messages: `message_deny`; later sends to them answer error 901. */
  deny(userId: number): Promise<VkEventResult>;
  /** Registers a user who allowed messages, without an event. */
  addUser(input?: { userId?: number | undefined; firstName?: string | undefined }): VkSandboxUser;
  users(): ReadonlyMap<number, VkSandboxUser>;
  /** Every message the community sent, oldest first (a send repeated with the same `random_id` is stored once). */
  sent(): readonly VkSentMessage[];
  /** Files uploaded for messages and saved (`photos.saveMessagesPhoto` / `docs.save`), by attachment (`photo-…_…_…`). */
  uploads(): ReadonlyMap<string, VkSandboxUpload>;
}

/** A file uploaded for a message and saved, as the sandbox keeps it. */
export interface VkSandboxUpload {
  type: 'photo' | 'doc';
  filename: string;
  size: number;
  contentType: string;
}

const textLimit = 4096;
const apiVersion = '5.199';

/**
 * Creates the VK API simulator: `POST /method/messages.send`, `groups.getLongPollServer`,
 * `groups.getCallbackConfirmationCode`, message uploads (`photos.getMessagesUploadServer` → `POST /upload/photo/<id>`
 * with a `photo` part → `photos.saveMessagesPhoto`; `docs.getMessagesUploadServer` → `POST /upload/doc/<id>` with a
 * `file` part → `docs.save`), and the Bots Long Poll server `GET /lp/<group_id>?act=a_check`. Auth is the
 * `access_token` parameter (error 5 otherwise); errors are HTTP 200 with `{ error: { error_code, error_msg,
 * request_params } }` as VK answers them. Events go to the static `webhookTargets.vk` with the community's `secret`, or
 * queue for Long Poll while there is none.
 */
export function createVkSandbox(context: SandboxContext): HttpProvider & VkSandbox {
  const { seed, clock, emitter, stats } = context;
  const credentials = context.credentials.vk;
  const users = new Map<number, VkSandboxUser>();
  const sent: VkSentMessage[] = [];
  const byRandomId = new Map<string, VkSentMessage>();
  const queue: Array<Record<string, unknown>> = [];
  const longPollKey = seededHex(40, seed, 'vk.lp.key');
  let ts = Number(seededDigits(7, seed, 'vk.lp.ts'));
  let userCount = 0;
  let messageId = 3000;
  let eventCount = 0;
  const uploads = createVkUploads(context);
  const answered: string[] = [];

  const addUser = (input: { userId?: number | undefined; firstName?: string | undefined } = {}): VkSandboxUser => {
    const existing = input.userId === undefined ? undefined : users.get(input.userId);
    if (existing) return existing;
    const key = ++userCount;
    const userId = input.userId ?? Number(`3${seededDigits(8, seed, 'vk.user.id', key)}`);
    const user: VkSandboxUser = {
      userId,
      firstName: input.firstName ?? createSeededRandom(seed, 'vk.user', key).pick(['Ирина', 'Алексей', 'Мария', 'Дмитрий']),
      allowed: true,
    };
    users.set(userId, user);
    return user;
  };

  async function emit(userId: number, type: string, object: Record<string, unknown>): Promise<VkEventResult> {
    const event: Record<string, unknown> = {
      group_id: credentials.groupId,
      type,
      event_id: seededHex(40, seed, 'vk.event', ++eventCount),
      v: apiVersion,
      object,
    };
    emitter.emit('inbound.sent', { provider: 'vk', id: type, from: String(userId), at: clock.now() });
    if (context.targets.vk.length === 0) {
      queue.push(event);
      return { userId, event, deliveries: [] };
    }
    const signed = { ...event, secret: credentials.secret };
    const deliveries = await context.dispatcher.dispatch({
      provider: 'vk',
      targets: context.targets.vk,
      body: JSON.stringify(signed),
      headers: { 'content-type': 'application/json' },
    });
    return { userId, event: signed, deliveries };
  }

  const message = (user: VkSandboxUser, text: string, extra: Record<string, unknown> = {}) => {
    const id = ++messageId;
    return {
      message: {
        date: Math.floor(clock.now() / 1000),
        from_id: user.userId,
        id,
        out: 0,
        attachments: [],
        conversation_message_id: id - 1000,
        fwd_messages: [],
        important: false,
        is_hidden: false,
        peer_id: user.userId,
        random_id: 0,
        text,
        ...extra,
      },
      client_info: {
        button_actions: [
          'text',
          'vkpay',
          'open_app',
          'location',
          'open_link',
          'callback',
          'intent_subscribe',
          'intent_unsubscribe',
        ],
        keyboard: true,
        inline_keyboard: true,
        carousel: true,
        lang_id: 0,
      },
    };
  };

  const sendMessage = (parameters: URLSearchParams): SandboxResponse => {
    const peerId = Number(parameters.get('peer_id') ?? parameters.get('user_id'));
    const randomId = parameters.get('random_id');
    const text = parameters.get('message') ?? '';
    const attachment = parameters.get('attachment') ?? undefined;
    const hasPoint = parameters.has('lat') && parameters.has('long');
    if (!Number.isSafeInteger(peerId) || peerId === 0) {
      stats.vk.rejected++;
      return apiError(100, 'One of the parameters specified was missing or invalid: peer_id is undefined', parameters);
    }
    if (randomId === null || !/^-?\d+$/.test(randomId)) {
      stats.vk.rejected++;
      return apiError(
        100,
        'One of the parameters specified was missing or invalid: random_id is a required parameter',
        parameters,
      );
    }
    if (!text && !attachment && !hasPoint) {
      stats.vk.rejected++;
      return apiError(100, 'One of the parameters specified was missing or invalid: message is empty or invalid', parameters);
    }
    if ([...text].length > textLimit) {
      stats.vk.rejected++;
      return apiError(914, 'Message is too long', parameters);
    }
    let keyboard: unknown;
    const rawKeyboard = parameters.get('keyboard');
    if (rawKeyboard !== null) {
      try {
        keyboard = JSON.parse(rawKeyboard);
      } catch {
        stats.vk.rejected++;
        return apiError(911, 'Keyboard format is invalid', parameters);
      }
    }
    const user = users.get(peerId);
    if (!user?.allowed) {
      stats.vk.rejected++;
      return apiError(901, "Can't send messages for users without permission", parameters);
    }
    // VK's de-duplication: the same random_id to the same peer is not delivered again.
    const key = `${peerId}:${randomId}`;
    const repeated = byRandomId.get(key);
    if (repeated) {
      stats.vk.duplicates++;
      return jsonResponse(200, { response: repeated.id });
    }
    const stored: VkSentMessage = {
      id: ++messageId,
      peerId,
      randomId: Number(randomId),
      text,
      ...(keyboard === undefined ? {} : { keyboard }),
      ...(attachment ? { attachment } : {}),
      at: clock.now(),
    };
    sent.push(stored);
    byRandomId.set(key, stored);
    stats.vk.accepted++;
    emitter.emit('message.accepted', {
      provider: 'vk',
      id: String(stored.id),
      to: String(peerId),
      type: attachment ? 'attachment' : 'text',
      at: stored.at,
    });
    return jsonResponse(200, { response: stored.id });
  };

  const longPoll = (request: SandboxRequest): SandboxResponse => {
    const query = request.url.searchParams;
    if (query.get('key') !== longPollKey) return jsonResponse(200, { failed: 2 });
    const asked = Number(query.get('ts'));
    if (!Number.isFinite(asked) || asked > ts) return jsonResponse(200, { failed: 1, ts: String(ts) });
    const updates = queue.splice(0, 100);
    ts += updates.length;
    return jsonResponse(200, { ts: String(ts), updates });
  };

  return {
    async handle(request) {
      const segments = request.url.pathname.split('/').filter(Boolean);
      if (segments[0] === 'lp' && request.method === 'GET') return longPoll(request);
      if (segments[0] === 'upload' && segments[1] && segments[2] && request.method === 'POST') {
        return uploads.upload(request, segments[1], segments[2]);
      }
      if (segments[0] !== 'method' || !segments[1]) return textResponse(404, 'not found');
      const method = segments[1];
      const parameters = readParameters(request);
      if (parameters.get('access_token') !== credentials.token) {
        stats.vk.rejected++;
        return apiError(5, 'User authorization failed: invalid access_token (4).', parameters);
      }
      if (!parameters.get('v')) return apiError(8, 'Invalid request: v (version) is required', parameters);
      switch (method) {
        case 'messages.send':
          return sendMessage(parameters);
        case 'groups.getLongPollServer':
          if (Number(parameters.get('group_id')) !== credentials.groupId) {
            return apiError(15, 'Access denied: no access to this group', parameters);
          }
          return jsonResponse(200, {
            response: { key: longPollKey, server: `${context.origin}/vk/lp/${credentials.groupId}`, ts: String(ts) },
          });
        case 'photos.getMessagesUploadServer':
          return uploads.uploadServer('photo', parameters);
        case 'docs.getMessagesUploadServer':
          return uploads.uploadServer('doc', parameters);
        case 'photos.saveMessagesPhoto':
          return uploads.savePhoto(parameters);
        case 'docs.save':
          return uploads.saveDoc(parameters);
        case 'messages.sendMessageEventAnswer': {
          const eventId = parameters.get('event_id');
          if (!eventId || !parameters.get('user_id') || !parameters.get('peer_id')) {
            return apiError(
              100,
              'One of the parameters specified was missing or invalid: event_id, user_id, peer_id',
              parameters,
            );
          }
          answered.push(eventId);
          return jsonResponse(200, { response: 1 });
        }
        case 'groups.getCallbackConfirmationCode':
          return jsonResponse(200, { response: { code: credentials.confirmationCode } });
        default:
          return apiError(3, 'Unknown method passed', parameters);
      }
    },

    faultResponse(rule: ResolvedFaultRule) {
      const none = new URLSearchParams();
      switch (rule.kind) {
        case 'rate_limit':
          return apiError(6, 'Too many requests per second', none);
        case 'expired_token':
          return apiError(5, 'User authorization failed: access_token has expired.', none);
        case 'unavailable':
          return textResponse(503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', {
            'content-type': 'text/html',
          });
        default:
          return apiError(10, 'Internal server error', none);
      }
    },

    addUser,

    async start(input = {}) {
      const user = addUser({ userId: input.userId });
      user.allowed = true;
      stats.vk.inbound++;
      return emit(
        user.userId,
        'message_new',
        message(user, 'Начать', {
          payload: '{"command":"start"}',
          ...(input.ref ? { ref: input.ref } : {}),
          ...(input.ref && input.refSource ? { ref_source: input.refSource } : {}),
        }),
      );
    },

    async inbound(input) {
      const user = addUser({ userId: input.userId });
      stats.vk.inbound++;
      return emit(user.userId, 'message_new', message(user, input.text));
    },

    async press(input) {
      const user = addUser({ userId: input.userId });
      const payload = JSON.stringify({ id: input.id });
      let label = input.id;
      let callback = false;
      const last = [...sent].reverse().find((candidate) => candidate.peerId === user.userId && candidate.keyboard);
      const rows = (
        last?.keyboard as { buttons?: Array<Array<{ action?: { type?: string; label?: string; payload?: string } }>> }
      )?.buttons;
      for (const button of rows?.flat() ?? [])
        if (button.action?.payload === payload && button.action.label) {
          label = button.action.label;
          callback = button.action.type === 'callback';
        }
      stats.vk.inbound++;
      if (callback && last) {
        // VK hands the payload back parsed, and names the message by its id in the conversation.
        return emit(user.userId, 'message_event', {
          user_id: user.userId,
          peer_id: user.userId,
          event_id: seededHex(12, seed, 'vk.callback', eventCount + 1),
          payload: JSON.parse(payload) as unknown,
          conversation_message_id: last.id - 1000,
        });
      }
      return emit(user.userId, 'message_new', message(user, label, { payload }));
    },

    async read(input) {
      const user = addUser({ userId: input.userId });
      const last = [...sent].reverse().find((candidate) => candidate.peerId === user.userId);
      const readMessageId = input.messageId ?? last?.id ?? messageId;
      return emit(user.userId, 'message_read', { from_id: user.userId, peer_id: user.userId, read_message_id: readMessageId });
    },

    async allow(input) {
      const user = addUser({ userId: input.userId });
      user.allowed = true;
      stats.vk.inbound++;
      return emit(user.userId, 'message_allow', { user_id: user.userId, key: input.key ?? '' });
    },

    async deny(userId) {
      const user = addUser({ userId });
      user.allowed = false;
      return emit(user.userId, 'message_deny', { user_id: user.userId });
    },

    users: () => users,
    sent: () => sent,
    uploads: () => uploads.saved,
    answeredEvents: () => answered,
  };
}
