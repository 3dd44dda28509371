import type { InboundEvent, MessageContent, WebhookResult } from '@omnidealer/core';
import { WebhookError } from '@omnidealer/core';
import { timingSafeEqualStrings, type WebhookClaim, type WebhookRequest } from '@omnidealer/core/provider-utils';
import { type AvitoWebhookMessageWire, avitoWebhookEventSchema, avitoWebhookMessageSchema } from './avito-api.js';
import { type AvitoChat, largestImageUrl } from './avito-client.js';

/** Options of {@link parseAvitoWebhook}. */
export interface ParseAvitoWebhookOptions {
  /** Our Avito user id: events whose `author_id` equals it are echoes of our own messages. */
  userId: string;
  /**
   * The secret carried by the subscribed URL, as a path segment (`…/hooks/avito/<secret>`) or a `?token=<secret>`
   * query parameter. When set, deliveries without it are rejected with `WebhookError` (401).
   */
  webhookSecret?: string | undefined;
  /** Channel kind for errors. @default 'avito' */
  channel?: string | undefined;
  /**
   * Looks up the chat for the listing (title, price, url) and the buyer's name. Failures are swallowed: the event
   * is still delivered with the `itemId` from the webhook.
   */
  lookupChat?: ((chatId: string) => Promise<AvitoChat | undefined>) | undefined;
}

/**
 * Checks that a webhook URL carries the secret: as `?token=<secret>` or as any path segment. Every candidate is
 * compared timing-safely, without an early exit.
 */
export async function hasAvitoWebhookSecret(url: URL, secret: string): Promise<boolean> {
  return carriesAvitoWebhookSecret(url, secret);
}

function carriesAvitoWebhookSecret(url: URL, secret: string): boolean {
  const candidates: string[] = [];
  const token = url.searchParams.get('token');
  if (token) candidates.push(token);
  for (const segment of url.pathname.split('/')) {
    if (!segment) continue;
    try {
      candidates.push(decodeURIComponent(segment));
    } catch {
      candidates.push(segment);
    }
  }
  let found = false;
  for (const candidate of candidates) if (timingSafeEqualStrings(candidate, secret)) found = true;
  return found;
}

/** The account a v3 delivery is for: `payload.value.user_id`, the Avito user whose chat it is (not its author). */
function recipientOf(body: Uint8Array): string | undefined | null {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  const userId = record(record(record(json).payload).value).user_id;
  return typeof userId === 'number' || (typeof userId === 'string' && userId) ? String(userId) : undefined;
}

/**
 * Says whether a delivery on the shared Avito route (`/hooks/avito/<secret>`, several accounts) is this account's:
 * a v3 event is, when its `payload.value.user_id` is this account's user id (the other id goes to `others`); a
 * delivery that names no account (Avito's URL check `POST {}`) is, when the URL carries this account's secret or the
 * account has none. Never throws; the secret is verified again by `parseAvitoWebhook`.
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export function claimAvitoWebhook(
  request: WebhookRequest,
  options: { userId: string | undefined; webhookSecret: string | undefined },
): WebhookClaim {
  const recipient = recipientOf(request.body);
  if (recipient === null) return { mine: false };
  if (recipient === undefined) {
    const secret = options.webhookSecret;
    return { mine: secret === undefined || carriesAvitoWebhookSecret(request.url, secret) };
  }
  const own = options.userId || undefined;
  return recipient === own ? { mine: true } : { mine: false, others: [recipient] };
}

/** Why an event was ignored (for `metadata` in logs and tests). */
export type AvitoIgnoredReason = 'echo' | 'system' | 'deleted' | 'not_a_message';

/** Classifies a message event: an inbound buyer message, or one of the kinds the channel ignores. */
export function avitoIgnoredReason(value: AvitoWebhookMessageWire, userId: string): AvitoIgnoredReason | undefined {
  const author = value.author_id === null || value.author_id === undefined ? undefined : String(value.author_id);
  if (value.type === 'system' || author === '0' || author === undefined) return 'system';
  if (author === userId) return 'echo';
  if (value.type === 'deleted') return 'deleted';
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/** Maps an Avito message's `type` + `content` to core content; types core cannot carry become a labelled text. */
export function avitoContentToMessage(
  type: string,
  content: Record<string, unknown>,
): { content: MessageContent; kind: InboundEvent['kind'] } {
  const unsupported = (label: string) => ({
    content: { type: 'text', text: `[Avito ${label}]` } as MessageContent,
    kind: 'unsupported' as const,
  });
  switch (type) {
    case 'text': {
      const body = text(content.text);
      return body ? { content: { type: 'text', text: body }, kind: 'message' } : unsupported('empty message');
    }
    case 'image': {
      const url = largestImageUrl(record(content.image).sizes);
      return url && /^https?:\/\//.test(url)
        ? { content: { type: 'media', kind: 'image', url }, kind: 'message' }
        : unsupported('image');
    }
    case 'link': {
      const link = record(content.link);
      const body = [text(link.text), text(link.url)].filter(Boolean).join(' ');
      return body ? { content: { type: 'text', text: body }, kind: 'message' } : unsupported('link');
    }
    case 'item': {
      const item = record(content.item);
      const body = [text(item.title), text(item.price_string), text(item.item_url)].filter(Boolean).join(' · ');
      return body ? { content: { type: 'text', text: body }, kind: 'message' } : unsupported('listing');
    }
    case 'location': {
      const location = record(content.location);
      const latitude = Number(location.lat);
      const longitude = Number(location.lon);
      if (Number.isFinite(latitude) && Number.isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
        const name = text(location.title);
        const address = text(location.text);
        return {
          content: { type: 'location', latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
          kind: 'message',
        };
      }
      return unsupported('location');
    }
    case 'voice':
      return unsupported('voice message');
    case 'call':
      return unsupported('call');
    case 'file':
      return unsupported('file');
    default:
      return unsupported(`${type} message`);
  }
}

function listingSubject(value: AvitoWebhookMessageWire, chat: AvitoChat | undefined): Record<string, unknown> | undefined {
  const subject: Record<string, unknown> = {};
  const listing = chat?.listing;
  const rawItemId = value.item_id ?? listing?.id;
  if (rawItemId !== null && rawItemId !== undefined) {
    const number = Number(rawItemId);
    subject.itemId = Number.isSafeInteger(number) ? number : rawItemId;
  }
  if (listing?.title) subject.title = listing.title;
  if (listing?.price) subject.price = listing.price;
  if (listing?.url) subject.url = listing.url;
  if (value.chat_type) subject.chatType = value.chat_type;
  return Object.keys(subject).length > 0 ? subject : undefined;
}

/**
 * Verifies and parses one Avito webhook delivery (v3 `message` events) into core inbound events.
 *
 * - **Secret**: Avito does not sign deliveries. With `webhookSecret` set, the request URL must carry it (path
 *   segment or `?token=`), compared timing-safely; otherwise `WebhookError` `signature` (HTTP 401).
 * - **Ignored, counted in `ignored`**: our own messages (`author_id` = our user id: Avito echoes what we send),
 *   system messages (`type: system` or `author_id` 0), deleted messages and non-`message` event types.
 * - **URL check**: an empty JSON object (`POST {}`, how Avito's documentation says to check the URL) answers with
 *   no events, so the hub replies 200 and applies nothing.
 * - **Duplicates**: not filtered here; the hub drops repeats by `providerMessageId` (the Avito message id).
 * - Each event carries `conversationExternalId` = the chat id and `subject` = the listing (`itemId`, and `title`,
 *   `price`, `url` when `lookupChat` is given).
 * @throws WebhookError `signature` for a missing/wrong secret, `malformed` for a body that is not a v3 event.
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
export async function parseAvitoWebhook(request: WebhookRequest, options: ParseAvitoWebhookOptions): Promise<WebhookResult> {
  const channel = options.channel ?? 'avito';
  if (options.webhookSecret !== undefined) {
    if (!(await hasAvitoWebhookSecret(request.url, options.webhookSecret))) {
      throw new WebhookError({ channel, kind: 'signature', message: 'avito: webhook secret token missing or wrong' });
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(request.body));
  } catch (error) {
    throw new WebhookError({ channel, kind: 'malformed', message: 'avito: webhook body is not JSON', cause: error });
  }
  // Avito's documentation tells integrators to check the URL with `POST {}` and expect 200: a check, nothing applied.
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return { events: [] };
  const event = avitoWebhookEventSchema.safeParse(body);
  if (!event.success) {
    throw new WebhookError({
      channel,
      kind: 'malformed',
      message: `avito: webhook body is not a v3 event: ${event.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
    });
  }
  if (event.data.payload.type !== 'message') return { events: [], ignored: 1 };
  const parsed = avitoWebhookMessageSchema.safeParse(event.data.payload.value);
  if (!parsed.success) {
    throw new WebhookError({
      channel,
      kind: 'malformed',
      message: `avito: message event without ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
    });
  }
  const value = parsed.data;
  if (avitoIgnoredReason(value, options.userId)) return { events: [], ignored: 1 };

  let chat: AvitoChat | undefined;
  if (options.lookupChat) {
    try {
      chat = await options.lookupChat(value.chat_id);
    } catch {
      chat = undefined;
    }
  }
  const type = value.type ?? 'text';
  const { content, kind } = avitoContentToMessage(type, value.content ?? {});
  const authorId = String(value.author_id);
  const profileName = chat?.users.find((user) => user.id === authorId)?.name;
  const subject = listingSubject(value, chat);
  const inbound: InboundEvent = {
    type: 'inbound',
    providerMessageId: value.id,
    from: value.chat_id,
    senderId: authorId,
    content,
    kind,
    at: value.created * 1000,
    conversationExternalId: value.chat_id,
    ...(profileName ? { profileName } : {}),
    ...(subject ? { subject } : {}),
    ...(value.quote?.id ? { replyTo: value.quote.id } : {}),
    metadata: {
      avitoType: type,
      avitoAuthorId: authorId,
      ...(event.data.id ? { avitoEventId: event.data.id } : {}),
      ...(value.chat_type ? { avitoChatType: value.chat_type } : {}),
    },
  };
  return { events: [inbound] };
}
