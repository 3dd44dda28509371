import { createHash, randomBytes } from 'node:crypto';
import {
  type Channel,
  type ChannelCapabilities,
  type ChannelRateLimit,
  type Clock,
  type Contact,
  type MessageContent,
  type Reachability,
  ValidationError,
} from '@omnidealer/core';
import {
  chatIdentityOf,
  createIgnoredUpdatesCounter,
  createSecretRegistry,
  type IgnoredUpdates,
  loadSetting,
  type OutboundMessage,
  type PerMessagePrice,
  parseInput,
  perMessageCost,
  perMessagePriceSchema,
  rateLimitSettingsSchema,
  type SendResult,
  systemClock,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { convertToVkMessage, VK_TEXT_LIMIT, type VkButtonType, vkUploadOf } from './convert-to-vk-message.js';
import { createVkClient, type VkClient } from './vk-client.js';
import { vkDeepLink } from './vk-deep-link.js';
import { createVkMediaUploader } from './vk-media-upload.js';
import { claimVkWebhook, parseVkWebhook, type VkIgnoredReason } from './vk-webhook.js';

/** Settings of {@link createVkChannel}. */
export interface VkChannelSettings {
  /** Channel id inside the hub; use distinct ids for several communities. @default 'vk' */
  id?: string | undefined;
  /** The community id (positive, as in `club229010001`): names the account, checks events, serves Long Poll and deep links. */
  groupId?: number | string | undefined;
  /**
   * The community access token with the «messages» right (Управление → Работа с API → Ключи доступа). Falls back to
   * `VK_GROUP_TOKEN`, read on the first call. A secret: never logged, removed from every error.
   */
  token?: string | undefined;
  /**
   * The Callback API «Секретный ключ»: VK puts it in every event's `secret` field. Falls back to `VK_CALLBACK_SECRET`,
   * read at the first event. Without it every Callback API event is refused (401); Long Poll works without one.
   */
  secret?: string | undefined;
  /**
   * The string VK expects in answer to the `confirmation` event (shown on the Callback API page, or
   * `groups.getCallbackConfirmationCode`). Falls back to `VK_CONFIRMATION_CODE`, read when VK asks.
   */
  confirmationCode?: string | undefined;
  /** The community's short name for deep links (`https://vk.me/<screenName>?ref=…`). @default `club<groupId>` */
  screenName?: string | undefined;
  /** @default '5.199' */
  apiVersion?: string | undefined;
  /** @default 'https://api.vk.ru/method' */
  baseURL?: string | undefined;
  /** Extra headers for every API request. */
  headers?: Record<string, string> | undefined;
  /** Custom fetch for the API and the long-poll server (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Limits the hub applies to sends. @default { perSecond: 20 } (VK's limit for a community token) */
  rateLimit?: ChannelRateLimit | undefined;
  /** Price per message when your contract bills messages. @default free (0 RUB) */
  pricing?: PerMessagePrice | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /**
   * Download media sent by URL (to upload it to VK) from loopback or private hosts too (a sandbox). Off by default: the
   * channel must not be pointed at internal services.
   */
  allowPrivateMediaUrls?: boolean | undefined;
  /** The time given to `message_allow` / `message_deny`, `message_read` and `message_event`, which carry none. @default the system clock */
  clock?: Clock | undefined;
  /**
   * The buttons of interactive content: `text` (a press is the user's message, `message_new`) or `callback` (a press
   * is a `message_event`, no message in the dialog; VK's choice for bots). Callback buttons need the community's
   * «Возможности ботов», API version ≥ 5.103 in the Callback API / Long Poll settings and the `message_event` event
   * turned on: without it presses are lost, hence not the default. @default 'text'
   */
  buttons?: VkButtonType | undefined;
  /**
   * Answer every callback button press (`message_event`) with `messages.sendMessageEventAnswer` as soon as it is
   * parsed, so the button stops spinning. Turn off to answer yourself (`channel.client.call`, with the press's
   * `metadata.vkCallbackEventId`), e.g. with a snackbar. @default true
   */
  answerCallbacks?: boolean | undefined;
}

/** Counts of events that produced no hub event, by `type` and reason. */
export type VkIgnoredEvents = IgnoredUpdates<VkIgnoredReason>;

/** The VK channel: the core `Channel` plus the typed API client and Long Poll support. */
export interface VkChannel extends Channel {
  /** The typed VK API client this channel sends with. */
  readonly client: VkClient;
  /** Events ignored so far (`message_reply`, `message_edit`, chats, other types). */
  ignoredEvents(): VkIgnoredEvents;
  /**
   * Wraps one Bots Long Poll update as the Callback API delivery VK would have POSTed (with the secret), for
   * `hub.handleWebhook(channel.id, request)`: polled updates then go through exactly the webhook path. Used by
   * `createVkPoller`.
   */
  updateRequest(update: unknown): Request;
}

/**
 * VK allows a community token 20 API calls per second (dev.vk.com, «Ограничения и рекомендации»: «20 запросов в
 * секунду» for community keys).
 */
export const VK_DEFAULT_RATE_LIMIT: ChannelRateLimit = { perSecond: 20 };

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    groupId: z
      .union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be the numeric community id')])
      .transform(Number)
      .optional(),
    token: z.string().min(1).optional(),
    secret: z.string().min(1).max(256).optional(),
    confirmationCode: z.string().min(1).max(256).optional(),
    screenName: z.string().min(1).optional(),
    apiVersion: z
      .string()
      .regex(/^\d+\.\d+$/, 'an API version like 5.199')
      .optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
    rateLimit: rateLimitSettingsSchema.optional(),
    pricing: perMessagePriceSchema.optional(),
    timeoutMs: z.number().int().positive().optional(),
    allowPrivateMediaUrls: z.boolean().optional(),
    clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function').optional(),
    buttons: z.enum(['text', 'callback']).optional(),
    answerCallbacks: z.boolean().optional(),
  })
  .strict();

const capabilities: ChannelCapabilities = {
  maxTextLength: VK_TEXT_LIMIT,
  contentTypes: ['text', 'media', 'template', 'email', 'interactive', 'location'],
  mediaKinds: ['image', 'document', 'video', 'audio'],
  templates: false,
  canStartConversation: false,
  address: 'chat',
  billedOn: 'accepted',
  // VK drops a repeated messages.send with the same random_id, which is derived from our message id.
  interruptedSend: 'resend',
};

const userIdPattern = /^\d{1,12}$/;

/**
 * The VK user id a contact is reachable at: `identities.vk` (set by the CRM, or when a deep link linked the contact),
 * else the latest id the hub recorded from their messages (`identities.vkChatIds`: the dialogs, which VK addresses by
 * the user's id as `peer_id`).
 */
export function vkUserIdOf(contact: Contact, channelKind = 'vk'): string | undefined {
  return chatIdentityOf(contact, channelKind, userIdPattern);
}

/**
 * The `random_id` of `messages.send` for one of our messages: the first 31 bits of SHA-256 of the message id, never 0
 * (VK's `random_id` is an int32; 0 would turn de-duplication off). The same message id always gives the same
 * `random_id`, so a retried send, or a resend after a crash, is dropped by VK instead of delivered twice.
 * @example
 * vkRandomId('msg_01JQ8Z6W7N4K'); // the same positive int32 on every call
 */
export function vkRandomId(messageId: string): number {
  const value = createHash('sha256').update(messageId).digest().readUInt32BE(0) & 0x7fffffff;
  return value === 0 ? 1 : value;
}

/**
 * Creates the VK channel for one community (group) — community messages, the VK counterpart of a bot dialog. VK is
 * reply-only for a community: it may only write to a user who wrote to it or allowed its messages, never by phone
 * number, so `canReach` is true only for a contact with a VK user id (`identities.vk`, or one recorded from their
 * messages) — e.g. one who came through {@link vkDeepLink} / `hub.inviteLink`.
 *
 * Sends text (≤ 4096 characters), media by URL (uploaded first: images as photos, other kinds as documents) or
 * attachments VK already has (`mediaId`), interactive content as an inline keyboard
 * of text buttons, locations, templates as their `fallbackText` and e-mail content as its `text`, each with a
 * `random_id` derived from our message id (VK's de-duplication). Messages are free by default. The Callback API
 * (`parseWebhook`: confirmation, `secret`, `ok`) and Bots Long Poll (`createVkPoller`) feed the same events, including
 * `message_read` (`read` statuses for the messages read) and, with `buttons: 'callback'`, callback button presses.
 * @example
 * const vk = createVkChannel({
 *   groupId: 229010001, token: process.env.VK_GROUP_TOKEN,
 *   secret: process.env.VK_CALLBACK_SECRET, confirmationCode: process.env.VK_CONFIRMATION_CODE,
 * });
 * const hub = createOmnidealer({ channels: [vk] });
 * // POST /hooks/vk → hub.handleWebhook('vk', request)
 * @throws ValidationError for malformed settings (no network call is made here; a missing token fails on first use).
 * @see https://dev.vk.com/ru/api/community-messages/getting-started
 */
export function createVkChannel(settings: VkChannelSettings = {}): VkChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'vk');
  const secrets = createSecretRegistry();
  secrets.add(parsed.token);
  secrets.add(parsed.secret);
  const id = parsed.id ?? 'vk';
  const accountId =
    parsed.groupId !== undefined
      ? String(parsed.groupId)
      : parsed.token
        ? `token-${createHash('sha256').update(parsed.token).digest('hex').slice(0, 12)}`
        : id;
  const client = createVkClient({
    secrets,
    accountId: id,
    token: parsed.token,
    groupId: parsed.groupId,
    apiVersion: parsed.apiVersion,
    baseURL: parsed.baseURL,
    headers: parsed.headers,
    fetch: parsed.fetch,
    timeoutMs: parsed.timeoutMs,
  });
  const clock = parsed.clock ?? systemClock;
  const uploader = createVkMediaUploader({ client, allowPrivate: parsed.allowPrivateMediaUrls, timeoutMs: parsed.timeoutMs });
  const pricing = parsed.pricing;
  const ignored = createIgnoredUpdatesCounter<VkIgnoredReason>();

  // Read at the first event: the configured secret, else VK_CALLBACK_SECRET, else a random one for polled updates
  // that no outside request can know (so Callback API events stay refused without a configured secret).
  let configuredSecret: string | undefined;
  let secretRead = false;
  const internalSecret = randomBytes(24).toString('base64url');
  secrets.add(internalSecret);
  const configured = (): string | undefined => {
    if (!secretRead) {
      configuredSecret = loadSetting(parsed.secret, 'VK_CALLBACK_SECRET', {
        channel: 'vk',
        option: 'secret',
        description: 'Callback API secret',
        secrets,
        optional: true,
      });
      secretRead = true;
    }
    return configuredSecret;
  };
  let confirmationCode: string | undefined;
  const confirmation = () =>
    (confirmationCode ??= loadSetting(parsed.confirmationCode, 'VK_CONFIRMATION_CODE', {
      channel: 'vk',
      option: 'confirmationCode',
      description: 'Callback API confirmation code',
    }));

  const unsupported = (content: MessageContent): string | undefined => {
    if (!capabilities.contentTypes.includes(content.type)) return `VK community messages cannot carry ${content.type} content`;
    if (content.type === 'media' && !capabilities.mediaKinds.includes(content.kind))
      return `VK cannot send ${content.kind} media`;
    if (content.type === 'template' && !content.fallbackText) return 'VK has no templates: a fallbackText is required';
    return undefined;
  };

  // Checked now: a bad short name is a settings error, not a failure at the first invite.
  const community = parsed.screenName ?? parsed.groupId;
  if (community !== undefined) vkDeepLink(community);

  const channel: VkChannel = {
    id,
    kind: 'vk',
    accountId,
    capabilities,
    rateLimit: parsed.rateLimit ?? VK_DEFAULT_RATE_LIMIT,
    client,
    secrets: () => secrets.values(),
    ...(community !== undefined ? { inviteLink: (payload: string) => vkDeepLink(community, payload) } : {}),

    validate(content) {
      convertToVkMessage(content, { buttons: parsed.buttons });
    },

    canReach({ contact, content }): Reachability {
      const problem = unsupported(content);
      if (problem) return { reachable: false, reason: 'unsupported_content', detail: problem };
      if (contact.consent?.[id] === 'opted_out' || contact.consent?.vk === 'opted_out') {
        return {
          reachable: false,
          reason: 'opted_out',
          detail: "the contact denied the community's messages or opted out of VK",
        };
      }
      const userId = vkUserIdOf(contact);
      if (!userId) {
        return {
          reachable: false,
          reason: 'cannot_start_conversation',
          detail: 'VK is reply-only for a community: no VK user id for this contact (they must write or allow messages first)',
        };
      }
      return { reachable: true, address: userId };
    },

    estimateCost() {
      return perMessageCost(pricing, 'VK community messages are free');
    },

    async doSend(message: OutboundMessage, { signal }): Promise<SendResult> {
      if (!userIdPattern.test(message.to)) {
        throw new ValidationError({ channel: 'vk', field: 'to', message: 'a VK recipient is the numeric VK user id' });
      }
      const params = convertToVkMessage(message.content, { replyTo: message.replyTo, buttons: parsed.buttons });
      const upload = vkUploadOf(message.content);
      if (upload) params.attachment = await uploader.attachmentFor(message.id, upload, message.to, signal);
      const sent = await client.sendMessage({ ...params, peerId: message.to, randomId: vkRandomId(message.id) }, { signal });
      uploader.sent(message.id);
      return { providerMessageId: String(sent), status: 'sent' };
    },

    provider: 'vk',
    claimWebhook: (request) => claimVkWebhook(request, parsed.groupId),
    async parseWebhook(request) {
      const result = await parseVkWebhook(request, {
        secret: configured() ?? internalSecret,
        confirmationCode: confirmation,
        groupId: parsed.groupId,
        now: () => clock.now(),
        onIgnored: ignored.record,
      });
      if (parsed.answerCallbacks !== false) {
        for (const event of result.events) {
          const eventId = event.type === 'inbound' ? event.metadata?.vkCallbackEventId : undefined;
          // Not awaited: the answer only stops the button's spinner; a failed one (older than a minute) changes nothing.
          if (typeof eventId === 'string' && event.type === 'inbound')
            void client
              .call('messages.sendMessageEventAnswer', { event_id: eventId, user_id: event.from, peer_id: event.from })
              .catch(() => undefined);
        }
      }
      return result;
    },

    ignoredEvents: ignored.snapshot,

    updateRequest(update) {
      const secret = configured() ?? internalSecret;
      const body = update && typeof update === 'object' && !Array.isArray(update) ? { ...update, secret } : update;
      return new Request(`http://vk.poller.local/${encodeURIComponent(id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
  };
  return channel;
}
