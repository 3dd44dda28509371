import {
  type InboundEvent,
  type MessageContent,
  type MessageStatus,
  type Money,
  type StatusEvent,
  type UnreachableReason,
  WebhookError,
  type WebhookResult,
} from '@omnidealer/core';
import { type IdentityEvent, money, phoneCountry, type WebhookRequest } from '@omnidealer/core/provider-utils';
import {
  type WhatsAppInboundMessage,
  type WhatsAppStatus,
  whatsAppChangeValueSchema,
  whatsAppInboundMessageSchema,
  whatsAppStatusSchema,
  whatsAppWebhookSchema,
} from './whatsapp-api.js';
import { messageIdFromWhatsAppCallbackData } from './whatsapp-callback-data.js';
import { classifyWhatsAppFailure, failureFromWhatsAppError } from './whatsapp-error.js';
import {
  createWhatsAppPriceList,
  type WhatsAppBillingCategory,
  type WhatsAppPriceList,
  type WhatsAppPricing,
  whatsAppPrice,
} from './whatsapp-pricing.js';
import { whatsAppIdentityEvent } from './whatsapp-system-message.js';
import {
  readWhatsAppTemplateCategoryUpdate,
  readWhatsAppTemplateStatusUpdate,
  type WhatsAppTemplateCategoryUpdate,
  type WhatsAppTemplateStatusUpdate,
} from './whatsapp-template-update.js';
import { whatsAppUserIdCountry } from './whatsapp-user-id.js';
import {
  readWhatsAppChangeValue,
  readWhatsAppEnvelope,
  readWhatsAppInboundMessage,
  readWhatsAppStatus,
  type WhatsAppChangeValue,
} from './whatsapp-webhook-shape.js';
import { answerWhatsAppVerification, verifyWhatsAppSignature } from './whatsapp-webhook-signature.js';

/** What {@link parseWhatsAppWebhook} needs to verify and price a delivery. */
export interface WhatsAppWebhookOptions {
  /** App secret the `X-Hub-Signature-256` HMAC is keyed with. Without it every POST is refused. */
  appSecret: string | undefined;
  /** Token we typed into the webhook settings; the GET handshake must echo it. */
  verifyToken: string | undefined;
  /** When set, changes for another phone number id are ignored (one app, several numbers). */
  phoneNumberId?: string | undefined;
  /** Prices of delivered messages: dated cards and per-market overrides, or one plain table in force at every date. */
  pricing: WhatsAppPriceList | WhatsAppPricing;
  /** Channel kind put on errors. @default 'whatsapp' */
  channel?: string;
  /** Called for `message_template_status_update` changes (approved, paused, disabled…), e.g. to update a registry. */
  onTemplateStatus?: ((update: WhatsAppTemplateStatusUpdate) => void) | undefined;
  /** Called for `template_category_update` changes (a template moved, or will move, to another category). */
  onTemplateCategory?: ((update: WhatsAppTemplateCategoryUpdate) => void) | undefined;
}

/** Decoding without a stream keeps no state, so one decoder serves every delivery. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

const mediaTypes = ['image', 'video', 'audio', 'document', 'sticker'] as const;
/** Message types Meta sends that are not conversation content (system messages that change no identity, welcome requests). */
const ignoredTypes = new Set(['system', 'request_welcome', 'ephemeral']);

type WhatsAppContact = NonNullable<WhatsAppChangeValue['contacts']>[number];

/** Who sent a message: the `contacts[]` entry of the same change, matched by `wa_id` or business-scoped user id. */
function senderOf(message: WhatsAppInboundMessage, contacts: WhatsAppContact[] | null | undefined): WhatsAppContact | undefined {
  if (!contacts?.length) return undefined;
  const byId = contacts.find(
    (contact) =>
      (message.from && contact.wa_id === message.from) || (message.from_user_id && contact.user_id === message.from_user_id),
  );
  if (byId || contacts.length !== 1) return byId;
  // One contact that names nobody else (no id, or a message without one) is the sender.
  const only = contacts[0] as WhatsAppContact;
  return (!only.wa_id && !only.user_id) || (!message.from && !message.from_user_id) ? only : undefined;
}

function contentOf(message: WhatsAppInboundMessage): Pick<InboundEvent, 'content' | 'kind' | 'payload'> | undefined {
  const type = message.type;
  if (type === 'text' && message.text) return { kind: 'message', content: { type: 'text', text: message.text.body || ' ' } };
  for (const kind of mediaTypes) {
    const media = type === kind ? message[kind] : undefined;
    if (media) {
      const content: MessageContent = {
        type: 'media',
        kind,
        mediaId: media.id,
        ...(media.caption ? { caption: media.caption } : {}),
        ...(media.filename ? { filename: media.filename } : {}),
        ...(media.mime_type ? { mimeType: media.mime_type } : {}),
      };
      return { kind: 'message', content };
    }
  }
  if (type === 'location' && message.location) {
    const { latitude, longitude, name, address } = message.location;
    return {
      kind: 'message',
      content: { type: 'location', latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) },
    };
  }
  if (type === 'reaction' && message.reaction) {
    return {
      kind: 'reaction',
      content: { type: 'reaction', messageId: message.reaction.message_id, emoji: message.reaction.emoji ?? '' },
    };
  }
  if (type === 'button' && message.button) {
    const payload = message.button.payload ?? message.button.text ?? '';
    return { kind: 'button_reply', payload, content: { type: 'text', text: message.button.text || payload || ' ' } };
  }
  if (type === 'interactive' && message.interactive) {
    const reply = message.interactive.button_reply ?? message.interactive.list_reply;
    if (reply) {
      return {
        kind: message.interactive.list_reply ? 'list_reply' : 'button_reply',
        payload: reply.id,
        content: { type: 'text', text: reply.title || reply.id },
      };
    }
  }
  if (type === 'contacts' && message.contacts) {
    const names = message.contacts
      .map((card) => (card as { name?: { formatted_name?: string } }).name?.formatted_name)
      .filter(Boolean);
    return { kind: 'message', content: { type: 'text', text: `[contact card] ${names.join(', ') || 'contact'}` } };
  }
  return undefined;
}

/** A click-to-WhatsApp ad or page referral, as the conversation's subject (which ad brought the lead). */
function referralSubject(referral: Record<string, unknown>): Record<string, unknown> {
  const pick = (key: string) => (typeof referral[key] === 'string' ? { [key]: referral[key] } : {});
  const subject: Record<string, unknown> = {
    referral: referral.source_type === 'post' ? 'page_post' : 'ad',
    ...pick('source_id'),
    ...pick('source_url'),
    ...pick('headline'),
    ...pick('ctwa_clid'),
  };
  return subject;
}

/**
 * The sender of an inbound message. `senderId` is the business-scoped user id (`from_user_id`, else the contact's
 * `user_id`), never the parent id: Meta always sends the former, the latter only once parent ids are enabled, and a
 * key that appears later would split one person into two contacts. The parent id is kept in the metadata. `from` is
 * the `wa_id` when Meta shows the number, else the business-scoped user id, which then is the address replies go to.
 */
function senderIdentity(
  message: WhatsAppInboundMessage,
  contact: WhatsAppContact | undefined,
): { from: string; senderId?: string; parentUserId?: string } | undefined {
  const userId = message.from_user_id ?? contact?.user_id ?? undefined;
  const from = message.from ?? contact?.wa_id ?? userId;
  if (!from) return undefined;
  const parentUserId = message.from_parent_user_id ?? contact?.parent_user_id ?? undefined;
  return { from, ...(userId ? { senderId: userId } : {}), ...(parentUserId ? { parentUserId } : {}) };
}

function toInboundEvent(message: WhatsAppInboundMessage, contact: WhatsAppContact | undefined): InboundEvent | undefined {
  const sender = senderIdentity(message, contact);
  // Neither a number nor a user id: nobody to attribute the message to (Meta documents no such message).
  if (!sender) return undefined;
  const metadata: Record<string, unknown> = { whatsappType: message.type };
  const username = contact?.profile?.username ?? undefined;
  if (username) metadata.username = username;
  if (sender.parentUserId) metadata.parentUserId = sender.parentUserId;
  if (message.context?.forwarded || message.context?.frequently_forwarded) metadata.forwarded = true;
  if (message.referral) metadata.referral = message.referral;
  if (message.errors?.length) metadata.errors = message.errors;
  if (message.type === 'contacts' && message.contacts) metadata.contacts = message.contacts;
  if (message.type === 'interactive' && message.interactive?.list_reply?.description)
    metadata.description = message.interactive.list_reply.description;
  const known = contentOf(message);
  if (!known && ignoredTypes.has(message.type)) return undefined;
  const mapped = known ?? {
    kind: 'unsupported' as const,
    content: { type: 'text' as const, text: `[unsupported WhatsApp message: ${message.type}]` },
  };
  const { from, senderId } = sender;
  const event: InboundEvent = {
    type: 'inbound',
    providerMessageId: message.id,
    from,
    kind: mapped.kind,
    content: mapped.content,
    at: message.timestamp * 1000,
    metadata,
  };
  // A `wa_id` is the number without its plus; a username user's business-scoped id reveals no phone.
  if (from !== senderId) event.phone = from.startsWith('+') ? from : `+${from}`;
  if (senderId) event.senderId = senderId;
  const profileName = contact?.profile?.name ?? username;
  if (profileName) event.profileName = profileName;
  if ('payload' in mapped) event.payload = mapped.payload;
  if (message.context?.id) event.replyTo = message.context.id;
  if (message.referral) event.subject = referralSubject(message.referral);
  return event;
}

const statuses = new Set<MessageStatus>(['sent', 'delivered', 'read', 'failed']);

function billingCategory(category: string | null | undefined): WhatsAppBillingCategory | 'free' | undefined {
  if (!category) return undefined;
  const value = category.toLowerCase();
  if (value.startsWith('marketing')) return 'marketing';
  if (value.startsWith('authentication')) return 'authentication';
  if (value === 'utility') return 'utility';
  if (value === 'service') return 'service';
  if (value === 'referral_conversion') return 'free';
  return undefined;
}

/** Statuses that say the message reached the phone: what Meta bills (`read` implies `delivered`). */
const billedStatuses = new Set(['delivered', 'read']);

/**
 * The billed cost of a status, from the PMP `pricing` object or the legacy `conversation.origin`, priced with the
 * card in force when the status happened. Only `delivered` and `read` carry it (Meta bills delivered messages); a
 * `failed` message costs nothing; `sent` carries none.
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
function costOf(status: WhatsAppStatus, prices: WhatsAppPriceList): Money | undefined {
  const card = prices.cardAt(status.timestamp * 1000);
  if (status.status === 'failed') return money(0, card.currency);
  if (!billedStatuses.has(status.status)) return undefined;
  const category = billingCategory(status.pricing?.category ?? status.conversation?.origin?.type);
  if (!status.pricing && !status.conversation) return undefined;
  const free = status.pricing?.billable === false || (status.pricing?.type ?? '').startsWith('free') || category === 'free';
  if (free) return money(0, card.currency);
  if (!category) return undefined;
  // A username user's status has no `recipient_id`: their business-scoped id starts with their country.
  const recipient = status.recipient_id
    ? { country: phoneCountry(`+${status.recipient_id}`), phone: status.recipient_id }
    : { country: status.recipient_user_id ? whatsAppUserIdCountry(status.recipient_user_id) : undefined };
  return money(whatsAppPrice(card, recipient, category, prices.markets), card.currency);
}

function toStatusEvent(status: WhatsAppStatus, pricing: WhatsAppPriceList, channel: string): StatusEvent | undefined {
  if (!statuses.has(status.status as MessageStatus)) return undefined;
  const metadata: Record<string, unknown> = {};
  if (status.pricing)
    metadata.pricing = {
      billable: status.pricing.billable ?? undefined,
      model: status.pricing.pricing_model ?? undefined,
      category: status.pricing.category ?? undefined,
      type: status.pricing.type ?? undefined,
    };
  if (status.conversation)
    metadata.conversation = {
      id: status.conversation.id ?? undefined,
      origin: status.conversation.origin?.type ?? undefined,
      expiresAt: status.conversation.expiration_timestamp ? status.conversation.expiration_timestamp * 1000 : undefined,
    };
  const cost = costOf(status, pricing);
  const first = status.errors?.[0];
  let error: StatusEvent['error'];
  if (first) {
    const classified = classifyWhatsAppFailure({ ...failureFromWhatsAppError(first), raw: first, channel });
    // An opt-out (131050) or an unreachable number (131026) reported on a failed status: the hub records the reason.
    const reason = (classified as { reason?: UnreachableReason }).reason;
    error = {
      code: classified.code,
      message: classified.message,
      ...(classified.providerCode !== undefined ? { providerCode: classified.providerCode } : {}),
      retryable: classified.retryable,
      ...(reason ? { reason } : {}),
    };
  }
  const event: StatusEvent = {
    type: 'status',
    providerMessageId: status.id,
    status: status.status as StatusEvent['status'],
    at: status.timestamp * 1000,
  };
  if (error) event.error = error;
  if (cost) event.cost = cost;
  const messageId = messageIdFromWhatsAppCallbackData(status.biz_opaque_callback_data);
  if (messageId) event.messageId = messageId;
  if (metadata.pricing !== undefined || metadata.conversation !== undefined) event.metadata = metadata;
  return event;
}

function malformedWebhook(channel: string, message: string, raw: unknown): WebhookError {
  return new WebhookError({ channel, kind: 'malformed', message: `whatsapp webhook: ${message}`, raw });
}

/**
 * Verifies and parses one WhatsApp webhook delivery. GET → the verification handshake in `response`. POST →
 * signature check over the raw bytes first, then the envelope: inbound messages of every type become
 * `InboundEvent`s (`kind` `button_reply` / `list_reply` / `reaction` / `unsupported` with the button id as
 * `payload`), statuses `sent`/`delivered`/`read`/`failed` become `StatusEvent`s with error details and cost, and
 * `system` messages that move a user to a new number or business-scoped user id become `IdentityEvent`s. A user who
 * hides their number behind a username is addressed by their business-scoped user id (`from`, `senderId`, no
 * `phone`). Other fields, system messages and unknown statuses are skipped and counted in `ignored`.
 * @throws WebhookError `signature` (401) for a missing/forged signature, `malformed` (400) for a body that is not a
 * WhatsApp envelope.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
 */
export async function parseWhatsAppWebhook(request: WebhookRequest, options: WhatsAppWebhookOptions): Promise<WebhookResult> {
  const channel = options.channel ?? 'whatsapp';
  const prices = 'cardAt' in options.pricing ? options.pricing : createWhatsAppPriceList(options.pricing);
  if (request.method.toUpperCase() === 'GET')
    return { events: [], response: answerWhatsAppVerification(request.url, options.verifyToken) };
  await verifyWhatsAppSignature(request.body, request.headers.get('x-hub-signature-256'), options.appSecret, channel);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(request.body));
  } catch (error) {
    throw new WebhookError({ channel, kind: 'malformed', message: 'whatsapp webhook: body is not UTF-8 JSON', cause: error });
  }
  // The common shapes are checked by hand (same verdicts as the schemas); anything else goes through zod.
  let envelope = readWhatsAppEnvelope(json);
  if (!envelope) {
    const parsed = whatsAppWebhookSchema.safeParse(json);
    if (!parsed.success) throw malformedWebhook(channel, 'not a WhatsApp webhook envelope', parsed.error.issues);
    envelope = parsed.data;
  }
  const events: Array<InboundEvent | StatusEvent | IdentityEvent> = [];
  let ignored = 0;
  if (envelope.object !== 'whatsapp_business_account') return { events, ignored: 1 };
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (change.field === 'message_template_status_update') {
        const update = readWhatsAppTemplateStatusUpdate(change.value);
        if (update) options.onTemplateStatus?.(update);
      } else if (change.field === 'template_category_update') {
        const update = readWhatsAppTemplateCategoryUpdate(change.value);
        if (update) options.onTemplateCategory?.(update);
      }
      if (change.field !== 'messages') {
        ignored += 1;
        continue;
      }
      let value = readWhatsAppChangeValue(change.value);
      if (!value) {
        const parsed = whatsAppChangeValueSchema.safeParse(change.value);
        if (!parsed.success) throw malformedWebhook(channel, 'messages change has an unexpected shape', parsed.error.issues);
        value = parsed.data;
      }
      const { metadata, contacts, messages, statuses: statusList, errors } = value;
      const count = (messages?.length ?? 0) + (statusList?.length ?? 0) + (errors?.length ?? 0);
      if (options.phoneNumberId && metadata?.phone_number_id && metadata.phone_number_id !== options.phoneNumberId) {
        ignored += count;
        continue;
      }
      ignored += errors?.length ?? 0;
      for (const item of messages ?? []) {
        let message = readWhatsAppInboundMessage(item);
        if (!message) {
          const parsed = whatsAppInboundMessageSchema.safeParse(item);
          if (!parsed.success) throw malformedWebhook(channel, 'inbound message without id/timestamp/type', parsed.error.issues);
          message = parsed.data;
        }
        const event =
          message.type === 'system' ? whatsAppIdentityEvent(message) : toInboundEvent(message, senderOf(message, contacts));
        if (event) events.push(event);
        else ignored += 1;
      }
      for (const item of statusList ?? []) {
        let status = readWhatsAppStatus(item);
        if (!status) {
          const parsed = whatsAppStatusSchema.safeParse(item);
          if (!parsed.success) throw malformedWebhook(channel, 'status without id/status/timestamp', parsed.error.issues);
          status = parsed.data;
        }
        const event = toStatusEvent(status, prices, channel);
        if (event) events.push(event);
        else ignored += 1;
      }
    }
  }
  return { events, ignored };
}
