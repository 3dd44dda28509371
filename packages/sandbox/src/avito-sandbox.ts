import { type AvitoItem, createAvitoItem, formatRoubles } from './avito-catalog.js';
import { createSeededRandom, seededDigits, seededHex } from './random.js';
import type { ResolvedFaultRule } from './sandbox-behaviour.js';
import { type HttpProvider, type SandboxContext, unixSeconds } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import {
  bearerToken,
  jsonResponse,
  readJson,
  readMultipart,
  readParameters,
  type SandboxRequest,
  type SandboxResponse,
} from './sandbox-http.js';

/** One message in a simulated Avito chat, in the v3 list shape. */
export interface AvitoSandboxMessage {
  id: string;
  author_id: number;
  created: number;
  type: 'text' | 'image';
  direction: 'in' | 'out';
  content: { text: string } | { image: { sizes: Record<string, string> } };
  is_read: boolean;
  read?: number;
}

/** A simulated Avito chat about a listing. */
export interface AvitoSandboxChat {
  id: string;
  item: AvitoItem;
  buyer: { id: number; name: string };
  created: number;
  updated: number;
  /** Oldest first. */
  messages: AvitoSandboxMessage[];
}

/** A chat to create: everything optional, missing parts are seeded. */
export interface AvitoChatInput {
  chatId?: string;
  buyerName?: string;
  item?: Partial<AvitoItem>;
}

/** An inbound buyer message to inject. A missing or unknown `chatId` opens a new chat. */
export interface AvitoInboundInput extends AvitoChatInput {
  text: string;
  at?: number;
}

/** What {@link AvitoSandbox.inbound} sent. */
export interface AvitoInboundResult {
  chatId: string;
  messageId: string;
  /** The v3 webhook body (already delivered). */
  payload: Record<string, unknown>;
  deliveries: WebhookDeliveryEvent[];
}

/** The Avito Messenger API simulator, as reachable from `sandbox.avito`. */
export interface AvitoSandbox {
  /** Registers a chat (a buyer opened it about a listing) without sending a webhook. */
  addChat(input?: AvitoChatInput): AvitoSandboxChat;
  /** A buyer writes: stores the message and delivers a v3 `message` webhook. */
  inbound(input: AvitoInboundInput): Promise<AvitoInboundResult>;
  /** Every chat, by id. */
  chats(): ReadonlyMap<string, AvitoSandboxChat>;
  /** Webhook URLs subscribed through `POST /messenger/v3/webhook`. */
  subscriptions(): readonly string[];
}

const errorBody = (code: number, message: string) => ({ error: { code, message } });

/** Creates the Avito Messenger API simulator. */
export function createAvitoSandbox(context: SandboxContext): HttpProvider & AvitoSandbox {
  const { seed, clock, scheduler, emitter, stats } = context;
  const credentials = context.credentials.avito;
  const behaviour = context.behaviour.avito;
  const tokens = new Map<string, number>();
  const chats = new Map<string, AvitoSandboxChat>();
  const images = new Map<string, Record<string, string>>();
  const subscribed = new Set<string>();
  let tokenCount = 0;
  let chatCount = 0;
  let eventCount = 0;
  let imageCount = 0;

  const targets = () => [...new Set([...context.targets.avito, ...subscribed])];

  const chatJson = (chat: AvitoSandboxChat) => {
    const last = chat.messages.at(-1);
    return {
      id: chat.id,
      created: chat.created,
      updated: chat.updated,
      context: {
        type: 'item',
        value: {
          id: chat.item.id,
          title: chat.item.title,
          price_string: formatRoubles(chat.item.price),
          url: chat.item.url,
          images: { main: { '140x105': `https://00.img.avito.st/image/1/${chat.item.id}` }, count: 12 },
          status_id: 0,
          user_id: credentials.userId,
        },
      },
      users: [
        { id: credentials.userId, name: 'Автосалон', public_user_profile: { user_id: credentials.userId } },
        {
          id: chat.buyer.id,
          name: chat.buyer.name,
          public_user_profile: {
            user_id: chat.buyer.id,
            item_id: chat.item.id,
            url: `https://www.avito.ru/user/${seededHex(16, seed, 'avito.profile', chat.buyer.id)}/profile`,
          },
        },
      ],
      ...(last ? { last_message: { ...last } } : {}),
    };
  };

  const addChat = (input: AvitoChatInput = {}): AvitoSandboxChat => {
    const existing = input.chatId ? chats.get(input.chatId) : undefined;
    if (existing) return existing;
    const key = input.chatId ?? `chat:${++chatCount}`;
    const id = input.chatId ?? `u2i-${seededHex(22, seed, 'avito.chat', key)}`;
    const random = createSeededRandom(seed, 'avito.buyer', key);
    const now = unixSeconds(clock.now());
    const chat: AvitoSandboxChat = {
      id,
      item: { ...createAvitoItem(seed, key), ...input.item },
      buyer: {
        id: Number(seededDigits(9, seed, 'avito.buyer.id', key)),
        name: input.buyerName ?? random.pick(['Алексей', 'Мария', 'Дмитрий', 'Ольга', 'Сергей', 'Ирина', 'Андрей', 'Наталья']),
      },
      created: now,
      updated: now,
      messages: [],
    };
    chats.set(id, chat);
    return chat;
  };

  const webhookFor = (chat: AvitoSandboxChat, message: AvitoSandboxMessage) => ({
    id: `${seededHex(8, seed, 'avito.event', ++eventCount)}-${seededHex(4, seed, 'avito.event.b', eventCount)}-4${seededHex(3, seed, 'avito.event.c', eventCount)}-a${seededHex(3, seed, 'avito.event.d', eventCount)}-${seededHex(12, seed, 'avito.event.e', eventCount)}`,
    version: 'v3.0.0',
    timestamp: message.created,
    payload: {
      type: 'message',
      value: {
        id: message.id,
        chat_id: chat.id,
        user_id: credentials.userId,
        author_id: message.author_id,
        created: message.created,
        type: message.type,
        chat_type: 'u2i',
        content: message.content,
        item_id: chat.item.id,
        published_at: new Date(message.created * 1000).toISOString().replace('.000Z', 'Z'),
      },
    },
  });

  const deliver = (payload: Record<string, unknown>) =>
    context.dispatcher.dispatch({
      provider: 'avito',
      targets: targets(),
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });

  const messageId = (chat: AvitoSandboxChat) => seededHex(32, seed, 'avito.message', chat.id, chat.messages.length + 1);

  const token = (request: SandboxRequest): SandboxResponse => {
    const parameters = readParameters(request);
    if (parameters.get('grant_type') !== 'client_credentials') {
      stats.avito.rejected++;
      return jsonResponse(400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
    }
    if (parameters.get('client_id') !== credentials.clientId || parameters.get('client_secret') !== credentials.clientSecret) {
      stats.avito.rejected++;
      return jsonResponse(400, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const accessToken = seededHex(40, seed, 'avito.token', ++tokenCount).replace(/^(.{8})/, '$1_');
    tokens.set(accessToken, clock.now() + behaviour.tokenTtlSeconds * 1000);
    stats.avito.tokensIssued++;
    return jsonResponse(200, { access_token: accessToken, expires_in: behaviour.tokenTtlSeconds, token_type: 'Bearer' });
  };

  const sendMessage = (
    chat: AvitoSandboxChat,
    message: Omit<AvitoSandboxMessage, 'id' | 'author_id' | 'created' | 'direction' | 'is_read'>,
  ) => {
    const created = unixSeconds(clock.now());
    const stored: AvitoSandboxMessage = {
      id: messageId(chat),
      author_id: credentials.userId,
      created,
      direction: 'out',
      is_read: false,
      ...message,
    };
    chat.messages.push(stored);
    chat.updated = created;
    stats.avito.accepted++;
    emitter.emit('message.accepted', { provider: 'avito', id: stored.id, to: chat.id, type: stored.type, at: clock.now() });
    if (behaviour.echo) scheduler.schedule(clock.now(), async () => void (await deliver(webhookFor(chat, stored))), stored.id);
    const random = createSeededRandom(seed, 'avito.read', stored.id);
    if (random.chance(behaviour.read)) {
      const at = clock.now() + Math.floor(random.between(behaviour.readDelayMs));
      scheduler.schedule(
        at,
        async () => {
          stored.is_read = true;
          stored.read = unixSeconds(at);
          stats.avito.read++;
          emitter.emit('message.status', { provider: 'avito', id: stored.id, to: chat.id, status: 'read', at });
        },
        stored.id,
      );
    }
    return jsonResponse(200, { id: stored.id, created, direction: 'out', type: stored.type, content: stored.content });
  };

  const messenger = async (request: SandboxRequest, segments: string[]): Promise<SandboxResponse> => {
    // messenger / vN / accounts / {user_id} / …
    const [, version, accounts, userId, ...rest] = segments;
    if (version === 'v3' && accounts === 'webhook' && request.method === 'POST') {
      const url = (readJson(request) as { url?: unknown } | undefined)?.url;
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return jsonResponse(400, errorBody(400, 'url is required'));
      subscribed.add(url);
      return jsonResponse(200, { ok: true });
    }
    if (version === 'v1' && accounts === 'webhook' && userId === 'unsubscribe') {
      const url = (readJson(request) as { url?: unknown } | undefined)?.url;
      if (typeof url === 'string') subscribed.delete(url);
      return jsonResponse(200, { ok: true });
    }
    if (version === 'v1' && accounts === 'subscriptions') {
      return jsonResponse(200, { subscriptions: [...subscribed].map((url) => ({ url, version: '3' })) });
    }
    if (accounts !== 'accounts' || userId === undefined) return jsonResponse(404, errorBody(404, 'not found'));
    if (Number(userId) !== credentials.userId) {
      stats.avito.rejected++;
      return jsonResponse(403, errorBody(403, 'forbidden: no access to this account'));
    }
    const [collection, chatId, sub, subId] = rest;
    if (collection === 'uploadImages' && request.method === 'POST') {
      const form = await readMultipart(request);
      const files = form?.getAll('uploadfile[]').filter((file) => file instanceof Blob) ?? [];
      if (files.length === 0) return jsonResponse(400, errorBody(400, 'uploadfile[] is required'));
      const result: Record<string, Record<string, string>> = {};
      for (const _file of files) {
        const id = `${seededDigits(10, seed, 'avito.image', ++imageCount)}.${seededHex(16, seed, 'avito.image.hash', imageCount)}`;
        const sizes = { '1280x960': `https://00.img.avito.st/image/1280x960/${id}` };
        images.set(id, sizes);
        result[id] = sizes;
      }
      return jsonResponse(200, result);
    }
    if (collection !== 'chats') return jsonResponse(404, errorBody(404, 'not found'));
    if (chatId === undefined) {
      if (request.method !== 'GET') return jsonResponse(405, errorBody(405, 'method not allowed'));
      const query = request.url.searchParams;
      const limit = Math.min(Number(query.get('limit') ?? 100) || 100, 100);
      const offset = Number(query.get('offset') ?? 0) || 0;
      const itemIds = query.get('item_ids')?.split(',').filter(Boolean).map(Number);
      const unreadOnly = query.get('unread_only') === 'true';
      const types = query.get('chat_types')?.split(',') ?? ['u2i', 'u2u'];
      const list = [...chats.values()]
        .filter((_chat) => types.includes('u2i'))
        .filter((chat) => !itemIds || itemIds.includes(chat.item.id))
        .filter((chat) => !unreadOnly || chat.messages.some((message) => message.direction === 'in' && !message.is_read))
        .sort((a, b) => b.updated - a.updated || a.id.localeCompare(b.id))
        .slice(offset, offset + limit);
      return jsonResponse(200, { chats: list.map(chatJson) });
    }
    let chat = chats.get(chatId);
    if (!chat && behaviour.autoCreateChats && chatId.startsWith('u2i-')) chat = addChat({ chatId });
    if (!chat) return jsonResponse(404, errorBody(404, 'chat not found'));
    if (sub === undefined && request.method === 'GET') return jsonResponse(200, chatJson(chat));
    if (sub === 'read' && request.method === 'POST') {
      for (const message of chat.messages) {
        if (message.direction === 'in' && !message.is_read) {
          message.is_read = true;
          message.read = unixSeconds(clock.now());
        }
      }
      return jsonResponse(200, { ok: true });
    }
    if (sub === 'messages' && request.method === 'GET') {
      const query = request.url.searchParams;
      const limit = Math.min(Number(query.get('limit') ?? 100) || 100, 100);
      const offset = Number(query.get('offset') ?? 0) || 0;
      const newestFirst = [...chat.messages].reverse().slice(offset, offset + limit);
      // The v3 message list is a bare array in Avito's spec (not `{ messages: [...] }`).
      return jsonResponse(200, newestFirst);
    }
    if (sub === 'messages' && request.method === 'POST' && subId === 'image') {
      const imageId = (readJson(request) as { image_id?: unknown } | undefined)?.image_id;
      const sizes = typeof imageId === 'string' ? images.get(imageId) : undefined;
      if (!sizes) {
        stats.avito.rejected++;
        return jsonResponse(400, errorBody(400, 'image_id is invalid'));
      }
      return sendMessage(chat, { type: 'image', content: { image: { sizes } } });
    }
    if (sub === 'messages' && request.method === 'POST' && subId === undefined) {
      const body = readJson(request) as { message?: { text?: unknown }; type?: unknown } | undefined;
      const text = body?.message?.text;
      if (body?.type !== 'text' || typeof text !== 'string' || text.trim() === '') {
        stats.avito.rejected++;
        return jsonResponse(400, errorBody(400, 'message.text is required and type must be "text"'));
      }
      if (text.length > behaviour.maxTextLength) {
        stats.avito.rejected++;
        return jsonResponse(400, errorBody(400, `message.text is longer than ${behaviour.maxTextLength} characters`));
      }
      return sendMessage(chat, { type: 'text', content: { text } });
    }
    return jsonResponse(404, errorBody(404, 'not found'));
  };

  return {
    async handle(request) {
      const segments = request.url.pathname.split('/').filter(Boolean);
      if (segments[0] === 'token' && request.method === 'POST') return token(request);
      const accessToken = bearerToken(request);
      const expiresAt = accessToken === undefined ? undefined : tokens.get(accessToken);
      if (expiresAt === undefined || expiresAt <= clock.now()) {
        stats.avito.rejected++;
        return jsonResponse(401, errorBody(401, expiresAt === undefined ? 'Unauthorized' : 'token expired'));
      }
      if (segments[0] === 'core' && segments[2] === 'accounts' && segments[3] === 'self') {
        return jsonResponse(200, {
          id: credentials.userId,
          name: 'Автосалон (sandbox)',
          email: 'dealer@example.ru',
          phone: '79990000000',
          profile_url: `https://www.avito.ru/user/${seededHex(16, seed, 'avito.self')}/profile`,
        });
      }
      if (segments[0] === 'messenger') return messenger(request, segments);
      return jsonResponse(404, errorBody(404, 'not found'));
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return jsonResponse(429, errorBody(429, 'too many requests'), { 'retry-after': String(rule.retryAfterSeconds) });
        case 'expired_token':
          return jsonResponse(401, errorBody(401, 'token expired'));
        case 'unavailable':
          return jsonResponse(503, errorBody(503, 'service unavailable'));
        default:
          return jsonResponse(500, errorBody(500, 'internal server error'));
      }
    },

    addChat,

    async inbound(input) {
      const chat = addChat(input);
      const at = input.at ?? clock.now();
      const message: AvitoSandboxMessage = {
        id: messageId(chat),
        author_id: chat.buyer.id,
        created: unixSeconds(at),
        type: 'text',
        direction: 'in',
        content: { text: input.text },
        is_read: false,
      };
      chat.messages.push(message);
      chat.updated = message.created;
      stats.avito.inbound++;
      emitter.emit('inbound.sent', { provider: 'avito', id: message.id, from: chat.id, at });
      const payload = webhookFor(chat, message);
      const deliveries = await deliver(payload);
      return { chatId: chat.id, messageId: message.id, payload, deliveries };
    },

    chats: () => chats,
    subscriptions: () => [...subscribed],
  };
}
