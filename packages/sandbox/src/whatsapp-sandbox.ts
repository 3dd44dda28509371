import { createHash } from 'node:crypto';
import { createSeededRandom, seededDigits, seededHex } from './random.js';
import type { ResolvedFaultRule, WhatsAppOutcome } from './sandbox-behaviour.js';
import { type HttpProvider, type SandboxContext, unixSeconds } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import { bearerToken, jsonResponse, readJson, readMultipart, type SandboxRequest, type SandboxResponse } from './sandbox-http.js';
import { createWamid, signWhatsAppPayload, whatsAppEnvelope, whatsAppError, whatsAppStatusError } from './whatsapp-payloads.js';
import {
  describeIssue,
  type WhatsAppSendRequest,
  whatsAppMarkReadRequestSchema,
  whatsAppSendRequestSchema,
} from './whatsapp-request.js';

const windowMs = 24 * 3_600_000;

/**
 * An inbound WhatsApp message to inject: exactly one of `text`, `button` (template quick reply) or `reply`
 * (interactive button), from a number (`from`), a business-scoped user id (`userId`) or both.
 */

/** From this day Meta charges service messages and utility templates inside the customer-service window. */
const windowChargedFrom = Date.parse('2026-10-01T00:00:00Z');
export interface WhatsAppInboundInput {
  /**
   * Customer number, E.164 (`+79161234567`) or digits. Leave it out, with `userId` set, for a user who hides their
   * number behind a username: the webhook then has no `from` and no `wa_id`, as Meta sends it.
   */
  from?: string;
  /** The customer's business-scoped user id (`US.13491208655302741918`): `from_user_id` and `contacts[].user_id`. */
  userId?: string;
  /** The customer's WhatsApp username (`contacts[].profile.username`), for a username user. */
  username?: string;
  /** Profile name shown in `contacts[].profile.name`. */
  name?: string;
  text?: string;
  /** A tapped template quick-reply button: `{ text: 'Позвать оператора', payload: 'CALL_OPERATOR' }`. */
  button?: { text: string; payload: string };
  /** A tapped interactive reply button: `{ id: 'call_operator', title: 'Позвать оператора' }`. */
  reply?: { id: string; title: string };
  /** wamid of our message this one answers (`context.id`). Button presses default to our last message to them. */
  replyTo?: string;
  /** When it was sent (epoch ms); default: the sandbox clock. */
  at?: number;
}

/** What {@link WhatsAppSandbox.inbound} sent. */
export interface WhatsAppInboundResult {
  /** wamid of the inbound message. */
  id: string;
  /** The webhook body (already delivered). */
  payload: Record<string, unknown>;
  /** One delivery attempt per target. */
  deliveries: WebhookDeliveryEvent[];
}

/** An outbound message the WhatsApp sandbox accepted. */
export interface WhatsAppSentMessage {
  id: string;
  /** Recipient `wa_id`, or the business-scoped user id of a message sent to a `recipient`. */
  to: string;
  type: string;
  /** Template name for `type: template`. */
  template?: string | undefined;
  /** Pricing category (`service` for free-form). */
  category: 'marketing' | 'utility' | 'authentication' | 'service';
  at: number;
  /** What the behaviour model decided (`read`, `delivered`, `not_on_whatsapp`, `window_closed`, …). */
  plannedOutcome: WhatsAppOutcome | 'window_closed';
  /** The request body as received. */
  request: Record<string, unknown>;
}

/** Result of the `hub.challenge` handshake against one target. */
export interface WebhookVerification {
  url: string;
  status: number;
  /** True when the target answered 200 with the challenge as its body. */
  ok: boolean;
}

/** The WhatsApp Cloud API simulator, as reachable from `sandbox.whatsapp`. */
export interface WhatsAppSandbox {
  /** Sends an inbound message webhook (opens the 24 h window for that number). */
  inbound(input: WhatsAppInboundInput): Promise<WhatsAppInboundResult>;
  /** Performs Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` against every target. */
  verifyWebhook(): Promise<WebhookVerification[]>;
  /** Messages accepted so far, in order. */
  messages(): readonly WhatsAppSentMessage[];
  /** wamids the business marked read. */
  readMarks(): readonly string[];
  /** wamids whose read receipt asked to show the typing indicator (`typing_indicator: { type: 'text' }`). */
  typingIndicators(): readonly string[];
}

interface StoredMedia {
  id: string;
  mimeType: string;
  bytes: Buffer;
}

/** WhatsApp digits as Meta normalises them (`8916…` Russian trunk prefix → `7916…`). */
function toWaId(to: string): string {
  const digits = to.replace(/\D/g, '');
  return digits.length === 11 && digits.startsWith('8') ? `7${digits.slice(1)}` : digits;
}

/** A business-scoped user id (`US.1349…`) rather than a number. */
function isUserId(address: string): boolean {
  return /^[A-Za-z]{2}\./.test(address);
}

/** Creates the WhatsApp Cloud API simulator. */
export function createWhatsAppSandbox(context: SandboxContext): HttpProvider & WhatsAppSandbox {
  const { seed, clock, scheduler, emitter, stats, credentials: all } = context;
  const credentials = all.whatsapp;
  const behaviour = context.behaviour.whatsapp;
  const lastInbound = new Map<string, number>();
  const lastOutbound = new Map<string, string>();
  const perRecipient = new Map<string, number>();
  const sent: WhatsAppSentMessage[] = [];
  const readMarks: string[] = [];
  const typingIndicators: string[] = [];
  const media = new Map<string, StoredMedia>();
  let inboundCount = 0;
  let mediaCount = 0;

  const error = (status: number, body: Parameters<typeof whatsAppError>[1]) => jsonResponse(status, whatsAppError(seed, body));

  const deliver = async (payload: Record<string, unknown>) => {
    const body = JSON.stringify(payload);
    return context.dispatcher.dispatch({
      provider: 'whatsapp',
      targets: context.targets.whatsapp,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'facebookexternalua',
        'x-hub-signature-256': signWhatsAppPayload(body, credentials.appSecret),
      },
    });
  };

  const decideOutcome = (message: Omit<WhatsAppSentMessage, 'plannedOutcome'>, freeForm: boolean) => {
    const scripted = behaviour.outcomes[message.to] ?? behaviour.outcomes[`+${message.to}`];
    const registered = createSeededRandom(seed, 'whatsapp.registered', message.to);
    if (scripted === 'not_on_whatsapp' || (scripted === undefined && registered.chance(behaviour.notOnWhatsApp))) {
      return 'not_on_whatsapp' as const;
    }
    const inbound = lastInbound.get(message.to);
    if (behaviour.enforceWindow && freeForm && (inbound === undefined || message.at - inbound > windowMs)) {
      return 'window_closed' as const;
    }
    if (scripted) return scripted;
    const random = createSeededRandom(seed, 'whatsapp.outcome', message.id);
    if (random.chance(behaviour.silent)) return 'silent' as const;
    if (random.chance(behaviour.failed)) return 'failed' as const;
    if (!random.chance(behaviour.delivered)) return 'sent' as const;
    return random.chance(behaviour.read) ? ('read' as const) : ('delivered' as const);
  };

  const pricingOf = (message: WhatsAppSentMessage) => {
    const inbound = lastInbound.get(message.to);
    const windowOpen = inbound !== undefined && message.at - inbound <= windowMs;
    // From 1 Oct 2026 Meta charges service messages and utility templates inside the window too
    // (https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing); their statuses then read
    // billable `regular` like any other (our reading: Meta has published no sample of such a status yet).
    const chargedInWindow = message.at >= windowChargedFrom;
    const free = !chargedInWindow && (message.category === 'service' || (message.category === 'utility' && windowOpen));
    const category = message.category;
    if (behaviour.pricingModel === 'CBP') {
      return {
        conversation: {
          id: seededHex(32, seed, 'conversation', message.to, category),
          origin: { type: category },
        },
        pricing: { billable: !free, pricing_model: 'CBP', category },
      };
    }
    return {
      pricing: {
        billable: !free,
        pricing_model: 'PMP',
        category,
        type: free ? 'free_customer_service' : 'regular',
      },
    };
  };

  const planStatuses = (message: WhatsAppSentMessage) => {
    const random = createSeededRandom(seed, 'whatsapp.delays', message.id);
    const sentAt = message.at + Math.floor(random.between(behaviour.delays.sentMs));
    const deliveredAt = sentAt + Math.floor(random.between(behaviour.delays.deliveredMs));
    const readAt = deliveredAt + Math.floor(random.between(behaviour.delays.readMs));
    const swap = createSeededRandom(seed, 'whatsapp.order', message.id).chance(behaviour.outOfOrder);
    const duplicate = createSeededRandom(seed, 'whatsapp.duplicate', message.id);
    const { pricing, conversation } = pricingOf(message) as { pricing: unknown; conversation?: unknown };
    const request = message.request;
    const opaque =
      typeof request.biz_opaque_callback_data === 'string' ? { biz_opaque_callback_data: request.biz_opaque_callback_data } : {};

    const emit = (status: 'sent' | 'delivered' | 'read' | 'failed', at: number, errorCode?: number) => {
      scheduler.schedule(
        at,
        async () => {
          const statusObject: Record<string, unknown> = {
            id: message.id,
            status,
            timestamp: String(unixSeconds(at)),
            ...(isUserId(message.to) ? { recipient_user_id: message.to } : { recipient_id: message.to }),
            ...(status === 'failed' ? {} : { ...(conversation ? { conversation } : {}), pricing }),
            ...opaque,
            ...(errorCode === undefined ? {} : { errors: [whatsAppStatusError(errorCode)] }),
          };
          stats.whatsapp[status]++;
          if (status === 'delivered' && (pricing as { billable: boolean }).billable) {
            stats.whatsapp.billable[message.category]++;
          }
          emitter.emit('message.status', { provider: 'whatsapp', id: message.id, to: message.to, status, at, errorCode });
          const payload = whatsAppEnvelope(credentials, { statuses: [statusObject] });
          await deliver(payload);
          if (duplicate.chance(behaviour.duplicate)) await deliver(payload);
        },
        message.id,
      );
    };

    switch (message.plannedOutcome) {
      case 'silent':
        return;
      case 'not_on_whatsapp':
        return emit('failed', sentAt, 131026);
      case 'window_closed':
        return emit('failed', sentAt, 131047);
      case 'failed':
        emit('sent', sentAt);
        return emit('failed', deliveredAt, message.category === 'marketing' ? 131049 : 131000);
      default:
        emit('sent', sentAt);
        if (message.plannedOutcome === 'sent') return;
        emit('delivered', swap && message.plannedOutcome === 'read' ? readAt : deliveredAt);
        if (message.plannedOutcome === 'read') emit('read', swap ? deliveredAt : readAt);
    }
  };

  // A bare name is an approved marketing template in every language.
  const templates = (behaviour.templates ?? []).map((item) =>
    typeof item === 'string'
      ? {
          name: item,
          language: 'ru',
          category: 'marketing' as const,
          status: 'APPROVED' as const,
          body: undefined,
          anyLanguage: true,
        }
      : { ...item, anyLanguage: false },
  );

  /** Meta's synchronous template checks: existence, status, body parameter count. */
  const checkTemplate = (template: NonNullable<WhatsAppSendRequest['template']>): SandboxResponse | undefined => {
    if (!behaviour.templates) return undefined;
    const language = template.language.code;
    const known = templates.find((item) => item.name === template.name && (item.anyLanguage || item.language === language));
    if (!known) {
      return error(404, {
        message: '(#132001) Template name does not exist in the translation',
        code: 132001,
        details: `template name (${template.name}) does not exist in ${language}`,
      });
    }
    if (known.status === 'PAUSED')
      return error(400, {
        message: '(#132015) Template is Paused',
        code: 132015,
        details: `Template ${known.name} is paused due to low quality.`,
      });
    if (known.status === 'DISABLED')
      return error(400, {
        message: '(#132016) Template is Disabled',
        code: 132016,
        details: `Template ${known.name} is disabled.`,
      });
    if (known.status !== 'APPROVED') {
      return error(404, {
        message: '(#132001) Template name does not exist in the translation',
        code: 132001,
        details: `template ${known.name} is ${known.status.toLowerCase()}`,
      });
    }
    const expected = new Set([...(known.body ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1])).size;
    const bodyComponent = template.components?.find((component) => component.type.toLowerCase() === 'body') as
      | { parameters?: unknown[] }
      | undefined;
    const given = bodyComponent?.parameters?.length ?? 0;
    if (known.body !== undefined && given !== expected) {
      return error(400, {
        message: '(#132000) Number of parameters does not match the expected number of params',
        code: 132000,
        details: `body: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
      });
    }
    return undefined;
  };

  const listTemplates = (request: SandboxRequest): SandboxResponse => {
    const limit = Math.min(Math.max(Number(request.url.searchParams.get('limit') ?? 25) || 25, 1), 250);
    const offset = Number(Buffer.from(request.url.searchParams.get('after') ?? '', 'base64').toString('utf8')) || 0;
    const page = templates.slice(offset, offset + limit);
    const cursor = (index: number) => Buffer.from(String(index)).toString('base64');
    const hasNext = offset + limit < templates.length;
    const next = new URL(request.url.href);
    next.searchParams.set('after', cursor(offset + limit));
    return jsonResponse(200, {
      data: page.map((item) => ({
        name: item.name,
        parameter_format:
          /\{\{\s*[a-z_]\w*\s*\}\}/i.test(item.body ?? '') && !/\{\{\s*\d+\s*\}\}/.test(item.body ?? '') ? 'NAMED' : 'POSITIONAL',
        components: item.body === undefined ? [] : [{ type: 'BODY', text: item.body }],
        language: item.language,
        status: item.status,
        category: item.category.toUpperCase(),
        id: seededDigits(16, seed, 'whatsapp.template', item.name, item.language),
      })),
      paging: {
        cursors: { before: cursor(offset), after: cursor(offset + page.length) },
        ...(hasNext ? { next: `${context.origin}/whatsapp${next.pathname}${next.search}` } : {}),
      },
    });
  };

  const send = (body: unknown): SandboxResponse => {
    const parsed = whatsAppSendRequestSchema.safeParse(body);
    if (!parsed.success) {
      stats.whatsapp.rejected++;
      return error(400, { message: '(#100) Invalid parameter', code: 100, details: describeIssue(parsed.error.issues[0]) });
    }
    const request = parsed.data;
    if (request.type === 'template' && request.template) {
      const refusal = checkTemplate(request.template);
      if (refusal) {
        stats.whatsapp.rejected++;
        return refusal;
      }
    }
    // `to` wins over `recipient`, as at Meta; an address is a wa_id or a business-scoped user id.
    const waId = request.to !== undefined ? toWaId(request.to) : (request.recipient as string);
    const templateCategory = templates.find((item) => item.name === request.template?.name)?.category;
    if (request.to === undefined && templateCategory === 'authentication') {
      stats.whatsapp.rejected++;
      return error(400, {
        message: '(#131062) Business-scoped User ID recipients are not supported for this message.',
        code: 131062,
        details: 'Authentication templates can only be sent to a phone number.',
      });
    }
    const nth = (perRecipient.get(waId) ?? 0) + 1;
    perRecipient.set(waId, nth);
    const id = createWamid(seed, waId, `${credentials.phoneNumberId}:${waId}:${nth}`);
    const templateName = request.template?.name;
    const category =
      request.type === 'template'
        ? (behaviour.templateCategories[templateName ?? ''] ??
          templates.find((item) => item.name === templateName)?.category ??
          'marketing')
        : ('service' as const);
    const draft = {
      id,
      to: waId,
      type: request.type,
      template: templateName,
      category,
      at: clock.now(),
      request: body as Record<string, unknown>,
    };
    const message: WhatsAppSentMessage = {
      ...draft,
      plannedOutcome: decideOutcome(draft, request.type !== 'template' && request.type !== 'reaction'),
    };
    sent.push(message);
    lastOutbound.set(waId, id);
    stats.whatsapp.accepted++;
    emitter.emit('message.accepted', {
      provider: 'whatsapp',
      id,
      to: waId,
      type: request.type,
      at: message.at,
      plannedOutcome: message.plannedOutcome,
    });
    planStatuses(message);
    return jsonResponse(200, {
      messaging_product: 'whatsapp',
      contacts: [request.to !== undefined ? { input: request.to, wa_id: waId } : { input: waId, user_id: waId }],
      messages: [{ id, message_status: 'accepted' }],
    });
  };

  const markRead = (body: unknown): SandboxResponse => {
    const parsed = whatsAppMarkReadRequestSchema.safeParse(body);
    if (!parsed.success) {
      stats.whatsapp.rejected++;
      return error(400, { message: '(#100) Invalid parameter', code: 100, details: describeIssue(parsed.error.issues[0]) });
    }
    readMarks.push(parsed.data.message_id);
    if (parsed.data.typing_indicator) typingIndicators.push(parsed.data.message_id);
    return jsonResponse(200, { success: true });
  };

  const upload = async (request: SandboxRequest): Promise<SandboxResponse> => {
    const form = await readMultipart(request);
    const file = form?.get('file');
    if (form?.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob)) {
      stats.whatsapp.rejected++;
      return error(400, {
        message: '(#100) Invalid parameter',
        code: 100,
        details: 'multipart fields messaging_product=whatsapp, type and file are required',
      });
    }
    const id = seededDigits(16, seed, 'whatsapp.media', ++mediaCount);
    const type = form.get('type');
    media.set(id, {
      id,
      mimeType: typeof type === 'string' && type ? type : file.type || 'application/octet-stream',
      bytes: Buffer.from(await file.arrayBuffer()),
    });
    return jsonResponse(200, { id });
  };

  const mediaInfo = (item: StoredMedia) =>
    jsonResponse(200, {
      messaging_product: 'whatsapp',
      url: `${context.origin}/whatsapp/whatsapp_business/attachments/?mid=${item.id}`,
      mime_type: item.mimeType,
      sha256: createHash('sha256').update(item.bytes).digest('hex'),
      file_size: item.bytes.length,
      id: item.id,
    });

  return {
    async handle(request) {
      const segments = request.url.pathname.split('/').filter(Boolean);
      if (bearerToken(request) !== credentials.accessToken) {
        stats.whatsapp.rejected++;
        return error(401, { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
      }
      if (segments[0] === 'whatsapp_business') {
        const item = media.get(request.url.searchParams.get('mid') ?? '');
        return item
          ? { status: 200, headers: { 'content-type': item.mimeType }, body: item.bytes }
          : error(404, { message: 'Media not found', code: 100 });
      }
      const [, objectId, edge] = segments;
      if (objectId === credentials.wabaId && edge === 'message_templates' && request.method === 'GET')
        return listTemplates(request);
      if (segments.length === 2 && objectId && media.has(objectId)) {
        const item = media.get(objectId) as StoredMedia;
        if (request.method === 'DELETE') {
          media.delete(objectId);
          return jsonResponse(200, { success: true });
        }
        return mediaInfo(item);
      }
      if (objectId !== credentials.phoneNumberId || segments.length !== 3 || request.method !== 'POST') {
        stats.whatsapp.rejected++;
        return error(400, {
          message: `Unsupported ${request.method.toLowerCase()} request. Object with ID '${objectId ?? ''}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          type: 'GraphMethodException',
          code: 100,
          subcode: 33,
        });
      }
      if (edge === 'media') return upload(request);
      if (edge !== 'messages') return error(400, { message: `Unknown path components: /${edge}`, code: 2500 });
      const body = readJson(request);
      if (body && typeof body === 'object' && (body as { status?: unknown }).status === 'read') return markRead(body);
      return send(body);
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return jsonResponse(
            429,
            whatsAppError(seed, {
              message: '(#130429) Rate limit hit',
              code: 130429,
              details: 'Cloud API message throughput has been reached.',
            }),
            { 'retry-after': String(rule.retryAfterSeconds) },
          );
        case 'expired_token':
          return error(401, {
            message: 'Error validating access token: Session has expired on Tuesday, 01-Jan-30 00:00:00 PST.',
            code: 190,
            subcode: 463,
          });
        case 'unavailable':
          return error(503, { message: 'Service temporarily unavailable', code: 2, isTransient: true });
        default:
          return error(500, { message: 'An unknown error occurred', code: 1, isTransient: true });
      }
    },

    async inbound(input) {
      const kinds = [input.text, input.button, input.reply].filter((value) => value !== undefined);
      if (kinds.length !== 1) throw new TypeError('whatsapp.inbound needs exactly one of text, button or reply');
      if (input.from === undefined && input.userId === undefined)
        throw new TypeError('whatsapp.inbound needs from (a number) or userId (a business-scoped user id)');
      const phone = input.from === undefined ? undefined : toWaId(input.from);
      // The address replies come back to: the number when the user shows it, else the user id.
      const waId = phone ?? (input.userId as string);
      const at = input.at ?? clock.now();
      const id = createWamid(seed, waId, `inbound:${++inboundCount}`);
      const replyTo = input.replyTo ?? (input.text === undefined ? lastOutbound.get(waId) : undefined);
      const message: Record<string, unknown> = {
        ...(phone ? { from: phone } : {}),
        ...(input.userId ? { from_user_id: input.userId } : {}),
        id,
        timestamp: String(unixSeconds(at)),
        ...(replyTo ? { context: { from: credentials.displayPhoneNumber, id: replyTo } } : {}),
      };
      if (input.text !== undefined) Object.assign(message, { type: 'text', text: { body: input.text } });
      else if (input.button) Object.assign(message, { type: 'button', button: input.button });
      else if (input.reply)
        Object.assign(message, { type: 'interactive', interactive: { type: 'button_reply', button_reply: input.reply } });
      // The window opens for both addresses: a reply may go `to` the number or to the user id as `recipient`.
      for (const address of new Set([waId, input.userId ?? waId]))
        lastInbound.set(address, Math.max(lastInbound.get(address) ?? 0, at));
      const payload = whatsAppEnvelope(credentials, {
        contacts: [
          {
            profile: { name: input.name ?? 'Клиент', ...(input.username ? { username: input.username } : {}) },
            ...(phone ? { wa_id: phone } : {}),
            ...(input.userId ? { user_id: input.userId } : {}),
          },
        ],
        messages: [message],
      });
      stats.whatsapp.inbound++;
      emitter.emit('inbound.sent', { provider: 'whatsapp', id, from: waId, at });
      const deliveries = await deliver(payload);
      return { id, payload, deliveries };
    },

    async verifyWebhook() {
      return Promise.all(
        context.targets.whatsapp.map(async (target, index) => {
          const challenge = seededDigits(10, seed, 'whatsapp.challenge', index);
          const url = new URL(target);
          url.searchParams.set('hub.mode', 'subscribe');
          url.searchParams.set('hub.verify_token', credentials.verifyToken);
          url.searchParams.set('hub.challenge', challenge);
          try {
            const response = await context.fetch(url);
            const text = await response.text();
            return { url: target, status: response.status, ok: response.status === 200 && text.trim() === challenge };
          } catch {
            return { url: target, status: 0, ok: false };
          }
        }),
      );
    },

    messages: () => sent,
    readMarks: () => readMarks,
    typingIndicators: () => typingIndicators,
  };
}
