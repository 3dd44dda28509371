import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type InboundEvent,
  type MessageContent,
  type MessageStatus,
  type Money,
  type StatusEvent,
  WebhookError,
  type WebhookRequest,
  type WebhookResult,
} from '@omnidealer/core';
import { money, phoneCountry } from '@omnidealer/core/provider-utils';
import {
  type WhatsAppInboundMessage,
  type WhatsAppStatus,
  whatsAppChangeValueSchema,
  whatsAppInboundMessageSchema,
  whatsAppStatusSchema,
  whatsAppTemplateStatusUpdateSchema,
  whatsAppWebhookSchema,
} from './whatsapp-api.js';
import { classifyWhatsAppFailure, failureFromWhatsAppError } from './whatsapp-error.js';
import { type WhatsAppBillingCategory, type WhatsAppPricing, whatsAppPrice } from './whatsapp-pricing.js';
import {
  readWhatsAppChangeValue,
  readWhatsAppEnvelope,
  readWhatsAppInboundMessage,
  readWhatsAppStatus,
} from './whatsapp-webhook-shape.js';

/** What {@link parseWhatsAppWebhook} needs to verify and price a delivery. */
export interface WhatsAppWebhookOptions {
  /** App secret the `X-Hub-Signature-256` HMAC is keyed with. Without it every POST is refused. */
  appSecret: string | undefined;
  /** Token we typed into the webhook settings; the GET handshake must echo it. */
  verifyToken: string | undefined;
  /** When set, changes for another phone number id are ignored (one app, several numbers). */
  phoneNumberId?: string | undefined;
  pricing: WhatsAppPricing;
  /** Channel kind put on errors. @default 'whatsapp' */
  channel?: string;
  /** Called for `message_template_status_update` changes (approved, paused, disabled…), e.g. to update a registry. */
  onTemplateStatus?: ((update: WhatsAppTemplateStatusUpdate) => void) | undefined;
}

/** A template review/quality change Meta reported by webhook. */
export interface WhatsAppTemplateStatusUpdate {
  name: string;
  language: string;
  /** Meta's event: `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `PENDING_DELETION`, `FLAGGED`, `REINSTATED`… */
  status: string;
  reason?: string | undefined;
}

const encoder = new TextEncoder();
/** Decoding without a stream keeps no state, so one decoder serves every delivery. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Compares two strings in time independent of where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index += 1) difference |= (left[index] as number) ^ (right[index] as number);
  return difference === 0;
}

/**
 * Computes the `X-Hub-Signature-256` header value (`sha256=<hex>`) Meta sends for a body: for tests and local
 * replays of webhook deliveries.
 * @example
 * const body = JSON.stringify(payload);
 * const request = new Request(url, { method: 'POST', body, headers: { 'x-hub-signature-256': await signWhatsAppWebhook(body, appSecret) } });
 */
export async function signWhatsAppWebhook(body: string | Uint8Array, appSecret: string): Promise<string> {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Verifies `X-Hub-Signature-256` over the raw bytes with the app secret (HMAC-SHA256, compared in constant time).
 * The HMAC runs synchronously with `node:crypto`: for a webhook-sized body that is a few microseconds, where Web
 * Crypto's `verify` costs a round trip through the thread pool.
 * @throws WebhookError (`signature`, answered 401) when the header is missing, not `sha256=<64 hex>`, or wrong.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
 */
export async function verifyWhatsAppSignature(
  body: Uint8Array,
  header: string | null,
  appSecret: string | undefined,
  channel = 'whatsapp',
): Promise<void> {
  const reject = (message: string) => new WebhookError({ channel, kind: 'signature', message: `whatsapp webhook: ${message}` });
  if (!appSecret) throw reject('app secret is not configured; refusing unsigned deliveries');
  if (!header) throw reject('missing X-Hub-Signature-256 header');
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) throw reject('X-Hub-Signature-256 is not sha256=<hex>');
  const expected = createHmac('sha256', appSecret).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(match[1] as string, 'hex'))) throw reject('signature does not match the body');
}

/**
 * Answers Meta's verification handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * 200 with the challenge as plain text when the token matches, otherwise 403.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
 */
export function answerWhatsAppVerification(url: URL, verifyToken: string | undefined): Response {
  const mode = url.searchParams.get('hub.mode');
  const token = url.searchParams.get('hub.verify_token');
  const challenge = url.searchParams.get('hub.challenge');
  if (mode === 'subscribe' && verifyToken && token !== null && challenge !== null && constantTimeEqual(token, verifyToken)) {
    return new Response(challenge, { status: 200, headers: { 'content-type': 'text/plain' } });
  }
  return new Response('forbidden', { status: 403, headers: { 'content-type': 'text/plain' } });
}

const mediaTypes = ['image', 'video', 'audio', 'document', 'sticker'] as const;
/** Message types Meta sends that are not conversation content (number changes, welcome requests). */
const ignoredTypes = new Set(['system', 'request_welcome', 'ephemeral']);

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

function toInboundEvent(message: WhatsAppInboundMessage, profileName: string | undefined): InboundEvent | undefined {
  const metadata: Record<string, unknown> = { whatsappType: message.type };
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
  const from = message.from;
  const event: InboundEvent = {
    type: 'inbound',
    providerMessageId: message.id,
    from,
    phone: from.startsWith('+') ? from : `+${from}`,
    kind: mapped.kind,
    content: mapped.content,
    at: message.timestamp * 1000,
    metadata,
  };
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

/** The billed cost of a status, from the PMP `pricing` object or the legacy `conversation.origin`. */
function costOf(status: WhatsAppStatus, pricing: WhatsAppPricing): Money | undefined {
  const category = billingCategory(status.pricing?.category ?? status.conversation?.origin?.type);
  if (!status.pricing && !status.conversation) return undefined;
  const free = status.pricing?.billable === false || (status.pricing?.type ?? '').startsWith('free') || category === 'free';
  if (free) return money(0, pricing.currency);
  if (!category) return undefined;
  const country = status.recipient_id ? phoneCountry(`+${status.recipient_id}`) : undefined;
  return money(whatsAppPrice(pricing, country, category), pricing.currency);
}

function toStatusEvent(status: WhatsAppStatus, pricing: WhatsAppPricing, channel: string): StatusEvent | undefined {
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
    error = {
      code: classified.code,
      message: classified.message,
      ...(classified.providerCode !== undefined ? { providerCode: classified.providerCode } : {}),
      retryable: classified.retryable,
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
 * `payload`), statuses `sent`/`delivered`/`read`/`failed` become `StatusEvent`s with error details and cost.
 * Other fields, system messages and unknown statuses are skipped and counted in `ignored`.
 * @throws WebhookError `signature` (401) for a missing/forged signature, `malformed` (400) for a body that is not a
 * WhatsApp envelope.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
 */
export async function parseWhatsAppWebhook(request: WebhookRequest, options: WhatsAppWebhookOptions): Promise<WebhookResult> {
  const channel = options.channel ?? 'whatsapp';
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
  const events: Array<InboundEvent | StatusEvent> = [];
  let ignored = 0;
  if (envelope.object !== 'whatsapp_business_account') return { events, ignored: 1 };
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (change.field === 'message_template_status_update') {
        const update = whatsAppTemplateStatusUpdateSchema.safeParse(change.value);
        if (update.success)
          options.onTemplateStatus?.({
            name: update.data.message_template_name,
            language: update.data.message_template_language,
            status: update.data.event.toUpperCase(),
            ...(update.data.reason ? { reason: update.data.reason } : {}),
          });
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
      const names = new Map<string, string>();
      for (const contact of contacts ?? [])
        if (contact.wa_id && contact.profile?.name) names.set(contact.wa_id, contact.profile.name);
      for (const item of messages ?? []) {
        let message = readWhatsAppInboundMessage(item);
        if (!message) {
          const parsed = whatsAppInboundMessageSchema.safeParse(item);
          if (!parsed.success)
            throw malformedWebhook(channel, 'inbound message without from/id/timestamp/type', parsed.error.issues);
          message = parsed.data;
        }
        const event = toInboundEvent(message, names.get(message.from));
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
        const event = toStatusEvent(status, options.pricing, channel);
        if (event) events.push(event);
        else ignored += 1;
      }
    }
  }
  return { events, ignored };
}
