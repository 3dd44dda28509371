import { type InboundEvent, type MessageContent, type StatusEvent, WebhookError, type WebhookResult } from '@omnidealer/core';
import { timingSafeEqualStrings, type WebhookClaim, type WebhookRequest } from '@omnidealer/core/provider-utils';
import type { z } from 'zod';
import {
  type VkMessageWire,
  type vkAttachmentSchema,
  vkEventBaseSchema,
  vkMessageAllowObjectSchema,
  vkMessageDenyObjectSchema,
  vkMessageEventObjectSchema,
  vkMessageNewObjectSchema,
  vkMessageReadObjectSchema,
} from './vk-api.js';

/**
 * Says whether a Callback API event on the shared VK route (`/hooks/vk`, several communities) is this community's:
 * its `group_id` is `groupId` (another community's id goes to `others`). A channel without `groupId` claims nothing
 * there. Never throws; `parseVkWebhook` verifies the event's `secret`.
 * @see https://dev.vk.com/ru/api/callback/getting-started
 */
export function claimVkWebhook(request: WebhookRequest, groupId: number | undefined): WebhookClaim {
  let groupOf: unknown;
  try {
    groupOf = (JSON.parse(new TextDecoder().decode(request.body)) as { group_id?: unknown } | null)?.group_id;
  } catch {
    return { mine: false };
  }
  if (typeof groupOf !== 'number') return { mine: false };
  return groupOf === groupId ? { mine: true } : { mine: false, others: [String(groupOf)] };
}

/** Why an event produced no event for the hub. */
export type VkIgnoredReason =
  /** A type the channel does not turn into events (`message_typing_state`, `group_join`…). */
  | 'unhandled_type'
  /** `message_reply` (the community's own outgoing message) or `message_edit`: core has no edit of a message. */
  | 'outgoing_or_edit'
  /** A message, a read or a button press in a group chat (`peer_id` ≥ 2000000000), not in a dialog with the community. */
  | 'not_a_dialog'
  /** A message from another community (a negative `from_id`). */
  | 'from_a_community';

/** Options of {@link parseVkWebhook}. */
export interface ParseVkWebhookOptions {
  /**
   * The secret key set for the Callback API server (Управление → Работа с API → Callback API → «Секретный ключ»).
   * Every event carries it in its `secret` field, compared in constant time; without one every event is refused.
   */
  secret: string | undefined;
  /** The confirmation string VK asks for in the `confirmation` event; read only for that event. */
  confirmationCode: () => string;
  /** The community id: an event for another community is refused (400). */
  groupId?: number | undefined;
  /** The time of `message_allow` / `message_deny`, `message_read` and `message_event`, which carry none. */
  now: () => number;
  /** Called once per event that produced nothing, e.g. to count them. */
  onIgnored?: ((eventType: string, reason: VkIgnoredReason) => void) | undefined;
}

type Attachment = z.infer<typeof vkAttachmentSchema>;

function httpUrl(value: unknown): string | undefined {
  return typeof value === 'string' && /^https?:\/\//.test(value) ? value : undefined;
}

/** The largest size of a photo (by area, else the last listed), or `orig_photo`. */
function photoUrl(photo: NonNullable<Attachment['photo']>): string | undefined {
  const original = httpUrl(photo.orig_photo?.url);
  if (original) return original;
  let best: { url: string; area: number } | undefined;
  for (const size of photo.sizes ?? []) {
    const url = httpUrl(size.url);
    if (!url) continue;
    const area = (size.width ?? 0) * (size.height ?? 0);
    if (!best || area >= best.area) best = { url, area };
  }
  return best?.url;
}

/** Maps a received attachment to core content (with the message text as its caption), or undefined to skip it. */
function attachmentContent(attachment: Attachment, caption: string | undefined): MessageContent | undefined {
  const captioned = caption ? { caption } : {};
  switch (attachment.type) {
    case 'photo': {
      const url = attachment.photo ? photoUrl(attachment.photo) : undefined;
      return url ? { type: 'media', kind: 'image', url, ...captioned } : undefined;
    }
    case 'doc': {
      const url = httpUrl(attachment.doc?.url);
      const title = attachment.doc?.title;
      return url ? { type: 'media', kind: 'document', url, ...(title ? { filename: title } : {}), ...captioned } : undefined;
    }
    case 'audio_message': {
      const url = httpUrl(attachment.audio_message?.link_mp3) ?? httpUrl(attachment.audio_message?.link_ogg);
      return url ? { type: 'media', kind: 'audio', url } : undefined;
    }
    default:
      return undefined;
  }
}

/** What a received message says, as core content: an attachment, a location, the text, or a labelled placeholder. */
function messageContent(message: VkMessageWire): { content: MessageContent; supported: boolean } {
  const text = message.text?.trim() ? message.text : undefined;
  for (const attachment of message.attachments ?? []) {
    const content = attachmentContent(attachment, text);
    if (content) return { content, supported: true };
  }
  const point = message.geo?.coordinates;
  if (point && Math.abs(point.latitude) <= 90 && Math.abs(point.longitude) <= 180) {
    const name = message.geo?.place?.title ?? undefined;
    return {
      content: { type: 'location', latitude: point.latitude, longitude: point.longitude, ...(name ? { name } : {}) },
      supported: true,
    };
  }
  if (text) return { content: { type: 'text', text }, supported: true };
  const label = message.attachments?.[0]?.type ?? 'empty message';
  return { content: { type: 'text', text: `[VK ${label}]` }, supported: false };
}

/**
 * What a keyboard button's payload means: our buttons carry `{"id":"…"}` (see `convertToVkMessage`); VK's own Start
 * button carries `{"command":"start"}`; any other payload is passed on as the raw JSON string.
 */
function readPayload(payload: string): { start: true } | { id: string } {
  try {
    const value = JSON.parse(payload) as unknown;
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.command === 'start') return { start: true };
      if (typeof record.id === 'string' && record.id) return { id: record.id };
    }
  } catch {
    // Not JSON: VK only sends JSON payloads, but a payload is still a payload.
  }
  return { id: payload };
}

function malformed(what: string, error: z.ZodError): WebhookError {
  const fields = error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
  return new WebhookError({ channel: 'vk', kind: 'malformed', message: `vk: ${what} without a valid ${fields}` });
}

/** What one event produced: events, or why there are none. */
type VkEventOutcome = { events: Array<InboundEvent | StatusEvent> } | { ignored: VkIgnoredReason; eventType: string };

/** The button id a callback button's payload carries (`{"id":"…"}`), else the payload as JSON. */
function callbackPayload(payload: unknown): string | undefined {
  if (payload === undefined || payload === null || payload === '') return undefined;
  const button = readPayload(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return 'id' in button ? button.id : JSON.stringify(payload);
}

/**
 * Normalises one VK event (a Callback API body, or an update of Bots Long Poll) into a core inbound event:
 *
 * | `type` | event |
 * |---|---|
 * | `message_new` in a dialog, with `ref` (the user came through `vk.me/<community>?ref=…` and pressed Start) | `kind: 'start'`, `payload` = the ref |
 * | `message_new` with the Start button's payload `{"command":"start"}` | `kind: 'start'` (no payload) |
 * | `message_new` with a button payload | `kind: 'button_reply'`, `payload` = our button id (or the raw payload) |
 * | `message_new` otherwise | `kind: 'message'` (text, photo, doc, voice message, location), `unsupported` for other attachments |
 * | `message_allow` | `kind: 'start'` (the user allowed the community's messages), `payload` = the widget's `key` |
 * | `message_deny` | `kind: 'stop'`: the user forbade the community's messages, an opt-out |
 * | `message_event` in a dialog (a callback button pressed) | `kind: 'button_reply'`, `payload` = our button id (or the payload as JSON), `metadata.vkCallbackEventId` for `messages.sendMessageEventAnswer` |
 * | `message_read` in a dialog | a `read` status for `read_message_id` with `coversEarlier` (VK reads a dialog up to a message: the hub marks the earlier sends of the conversation read too, from its store) |
 * | `message_reply`, `message_edit`, chats, other communities, any other type | none (ignored, with the reason) |
 *
 * Every inbound event has `from` = `senderId` = `conversationExternalId` = the user's VK id (the `peer_id` a reply
 * goes to) and `metadata.vkEventType`; messages have id = VK's message id and `at` = `date` (seconds, as ms).
 * @throws WebhookError `malformed` when a handled type's required fields do not match VK's shapes.
 */
export function parseVkEvent(event: z.infer<typeof vkEventBaseSchema>, now: () => number): VkEventOutcome {
  const eventType = event.type;
  const eventId = event.event_id ?? undefined;
  const common = { vkEventType: eventType, ...(eventId ? { vkEventId: eventId } : {}) };
  switch (eventType) {
    case 'message_new': {
      const parsed = vkMessageNewObjectSchema.safeParse(event.object);
      if (!parsed.success) throw malformed('message_new', parsed.error);
      const { message } = parsed.data;
      if (message.from_id < 0) return { ignored: 'from_a_community', eventType };
      if (message.peer_id !== message.from_id || message.out === 1) return { ignored: 'not_a_dialog', eventType };
      const userId = String(message.from_id);
      const { content, supported } = messageContent(message);
      const ref = message.ref?.trim() ? message.ref : undefined;
      const button = message.payload ? readPayload(message.payload) : undefined;
      let kind: InboundEvent['kind'] = supported ? 'message' : 'unsupported';
      let payload: string | undefined;
      if (ref) {
        kind = 'start';
        payload = ref;
      } else if (button && 'start' in button) kind = 'start';
      else if (button) {
        kind = 'button_reply';
        payload = button.id;
      }
      const replyTo = message.reply_message?.id ? String(message.reply_message.id) : undefined;
      const lang = parsed.data.client_info?.lang_id;
      return {
        events: [
          {
            type: 'inbound',
            // A dialog message always has its id in the community's messages; chats (ignored) can have id 0.
            providerMessageId: message.id > 0 ? String(message.id) : `${message.peer_id}_${message.conversation_message_id ?? 0}`,
            from: userId,
            senderId: userId,
            conversationExternalId: userId,
            content,
            kind,
            ...(payload !== undefined ? { payload } : {}),
            at: message.date * 1000,
            ...(replyTo ? { replyTo } : {}),
            metadata: {
              ...common,
              ...(message.conversation_message_id != null ? { vkConversationMessageId: message.conversation_message_id } : {}),
              ...(ref && message.ref_source ? { vkRefSource: message.ref_source } : {}),
              ...(message.fwd_messages?.length ? { vkForwarded: message.fwd_messages.length } : {}),
              ...(lang != null ? { vkLangId: lang } : {}),
            },
          },
        ],
      };
    }
    case 'message_allow':
    case 'message_deny': {
      const allowed = eventType === 'message_allow';
      const parsed = (allowed ? vkMessageAllowObjectSchema : vkMessageDenyObjectSchema).safeParse(event.object);
      if (!parsed.success) throw malformed(eventType, parsed.error);
      const userId = String(parsed.data.user_id);
      const key = allowed && typeof parsed.data.key === 'string' && parsed.data.key ? parsed.data.key : undefined;
      return {
        events: [
          {
            type: 'inbound',
            // No message id and no time: the event id identifies it (a redelivery carries the same one).
            providerMessageId: `${eventType}:${userId}:${eventId ?? 'none'}`,
            from: userId,
            senderId: userId,
            conversationExternalId: userId,
            content: { type: 'text', text: allowed ? '[VK messages allowed]' : '[VK messages denied]' },
            kind: allowed ? 'start' : 'stop',
            ...(key ? { payload: key } : {}),
            at: now(),
            metadata: common,
          },
        ],
      };
    }
    case 'message_event': {
      const parsed = vkMessageEventObjectSchema.safeParse(event.object);
      if (!parsed.success) throw malformed('message_event', parsed.error);
      const press = parsed.data;
      if (press.user_id <= 0) return { ignored: 'from_a_community', eventType };
      if (press.peer_id !== press.user_id) return { ignored: 'not_a_dialog', eventType };
      const userId = String(press.user_id);
      const payload = callbackPayload(press.payload);
      return {
        events: [
          {
            type: 'inbound',
            // The press's own event id: unique per press, the same on a redelivery.
            providerMessageId: `callback:${press.event_id}`,
            from: userId,
            senderId: userId,
            conversationExternalId: userId,
            // VK sends neither the label nor the message: the button id stands for the press.
            content: { type: 'text', text: payload ?? '[VK button]' },
            kind: 'button_reply',
            ...(payload !== undefined ? { payload } : {}),
            at: now(),
            metadata: {
              ...common,
              vkCallbackEventId: press.event_id,
              vkPeerId: press.peer_id,
              ...(press.conversation_message_id != null ? { vkConversationMessageId: press.conversation_message_id } : {}),
            },
          },
        ],
      };
    }
    case 'message_read': {
      const parsed = vkMessageReadObjectSchema.safeParse(event.object);
      if (!parsed.success) throw malformed('message_read', parsed.error);
      const read = parsed.data;
      if (read.from_id <= 0) return { ignored: 'from_a_community', eventType };
      if (read.peer_id !== read.from_id) return { ignored: 'not_a_dialog', eventType };
      const status: StatusEvent = {
        type: 'status',
        providerMessageId: String(read.read_message_id),
        status: 'read',
        at: now(),
        coversEarlier: true,
      };
      return { events: [status] };
    }
    case 'message_reply':
    case 'message_edit':
      return { ignored: 'outgoing_or_edit', eventType };
    default:
      return { ignored: 'unhandled_type', eventType };
  }
}

/** VK's answer to every event it should not send again: the plain text `ok`. */
const ok = () => new Response('ok', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Verifies and parses one Callback API delivery (one event per POST, as VK sends them):
 *
 * - **Secret**: the body's `secret` must equal the configured secret key (constant-time compare); missing, wrong, or
 *   no secret configured → `WebhookError` `signature` (the hub answers 401; VK treats any answer but `ok` as a
 *   failure and retries), nothing applied. vk-io and vksdk answer 403 here; the status does not matter to VK.
 * - **Confirmation**: `{"type":"confirmation"}` (after the secret check) is answered with the confirmation string as
 *   plain text, which is how VK confirms the server address.
 * - **Malformed**: not JSON, not an event, an event for another community, or a handled type with a wrong shape →
 *   `WebhookError` `malformed` (400), nothing applied.
 * - **Handled and ignored events** are answered `ok` (plain text): VK retries anything else, up to 5 times.
 * - **Duplicates**: not filtered here; the hub drops repeats by `providerMessageId`.
 * @throws WebhookError as above; ValidationError (the hub answers 500) for a `confirmation` without a configured code.
 * @see https://dev.vk.com/ru/api/callback/getting-started
 */
export async function parseVkWebhook(request: WebhookRequest, options: ParseVkWebhookOptions): Promise<WebhookResult> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(request.body));
  } catch (error) {
    throw new WebhookError({ channel: 'vk', kind: 'malformed', message: 'vk: webhook body is not JSON', cause: error });
  }
  const base = vkEventBaseSchema.safeParse(body);
  if (!base.success) throw malformed('event', base.error);
  const event = base.data;
  if (options.secret === undefined) {
    throw new WebhookError({ channel: 'vk', kind: 'signature', message: 'vk: no secret configured: every event is refused' });
  }
  if (typeof event.secret !== 'string' || !timingSafeEqualStrings(event.secret, options.secret)) {
    throw new WebhookError({ channel: 'vk', kind: 'signature', message: 'vk: the event secret is missing or wrong' });
  }
  if (options.groupId !== undefined && event.group_id != null && event.group_id !== options.groupId) {
    throw new WebhookError({
      channel: 'vk',
      kind: 'malformed',
      message: `vk: an event for community ${event.group_id}, but this channel is community ${options.groupId}`,
    });
  }
  if (event.type === 'confirmation') {
    return {
      events: [],
      response: new Response(options.confirmationCode(), {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      }),
    };
  }
  const outcome = parseVkEvent(event, options.now);
  if ('events' in outcome) return { events: outcome.events, response: ok() };
  options.onIgnored?.(outcome.eventType, outcome.ignored);
  return { events: [], ignored: 1, response: ok() };
}
