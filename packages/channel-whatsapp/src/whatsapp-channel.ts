import type { Channel, ChannelCapabilities, ChannelRateLimit, Clock, Contact, MessageContent } from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  type HttpClient,
  loadSetting,
  type MarkReadOptions,
  parseInput,
  phoneCountry,
  rateLimitSettingsSchema,
  type SendResult,
  systemClock,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { convertToWhatsAppMessage, validateWhatsAppContent } from './convert-to-whatsapp-message.js';
import { whatsAppSendResponseSchema, whatsAppSuccessResponseSchema, whatsAppTemplateListSchema } from './whatsapp-api.js';
import { toWhatsAppCallbackData } from './whatsapp-callback-data.js';
import { classifyWhatsAppError } from './whatsapp-error.js';
import { type WhatsAppMediaUpload, whatsAppMediaForm, whatsAppMediaUploadResponseSchema } from './whatsapp-media.js';
import {
  createWhatsAppPriceList,
  estimateWhatsAppCost,
  type WhatsAppPricing,
  type WhatsAppPricingSettings,
} from './whatsapp-pricing.js';
import {
  createWhatsAppTemplateRegistry,
  templatesFromWhatsAppList,
  validateWhatsAppTemplate,
  type WhatsAppTemplateDefinition,
  type WhatsAppTemplateRegistry,
} from './whatsapp-template.js';
import { isWhatsAppUserId, whatsAppUserIdCountry } from './whatsapp-user-id.js';
import { parseWhatsAppWebhook } from './whatsapp-webhook.js';
import { claimWhatsAppWebhook } from './whatsapp-webhook-claim.js';
import { canReachOnWhatsApp, WHATSAPP_WINDOW_MS, whatsAppWindow } from './whatsapp-window.js';

/** Settings of {@link createWhatsAppChannel}. Credentials fall back to environment variables, read when first needed. */
export interface WhatsAppChannelSettings {
  /** Channel id inside the hub (several numbers → several channels). @default 'whatsapp' */
  id?: string | undefined;
  /** Business phone number id from WhatsApp Manager. @default process.env.WHATSAPP_PHONE_NUMBER_ID */
  phoneNumberId?: string | undefined;
  /** System-user access token (or the BSP's API key with `authHeader`). @default process.env.WHATSAPP_ACCESS_TOKEN */
  accessToken?: string | undefined;
  /** Graph API version. @default 'v23.0' */
  apiVersion?: string | undefined;
  /**
   * Where `messages` is posted. @default `https://graph.facebook.com/{apiVersion}/{phoneNumberId}`.
   * For a BSP that exposes the Cloud API format elsewhere, e.g. 360dialog: `https://waba-v2.360dialog.io`.
   */
  baseURL?: string | undefined;
  /**
   * Header that carries the token. Unset → `Authorization: Bearer <token>`; set (e.g. `D360-API-KEY`) → the raw
   * token in that header.
   */
  authHeader?: string | undefined;
  /** Extra static headers on every request. */
  headers?: Record<string, string> | undefined;
  /** App secret for `X-Hub-Signature-256`. @default process.env.WHATSAPP_APP_SECRET */
  appSecret?: string | undefined;
  /** Token of the webhook verification handshake. @default process.env.WHATSAPP_VERIFY_TOKEN */
  verifyToken?: string | undefined;
  /**
   * Prices in minor units per category and market: `{ cards, markets }` — dated rate cards (the one in force on the
   * message's date applies) and per-market overrides (ISO country, `+<calling code>` or `default` → prices per
   * category) — or one plain table `{ currency, rates }` in force at every date.
   * @default `{ cards: WHATSAPP_RATE_CARDS }` (EXAMPLE values, see {@link WHATSAPP_RATE_CARDS})
   * @example
   * pricing: { markets: { '+7': { marketing: 900, utility: 300 }, KZ: { marketing: 700 } } }
   * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
   */
  pricing?: WhatsAppPricing | WhatsAppPricingSettings | undefined;
  /**
   * Throughput (default 80 msg/s per number, up to 1000) and pair limit (default one message per 6 s per user),
   * applied by the hub around every send and mark-read. @default {@link WHATSAPP_DEFAULT_RATE_LIMIT}
   */
  rateLimit?: ChannelRateLimit | undefined;
  /** Known templates: enable offline validation (name, language, APPROVED, parameters) and category pricing. */
  templates?: WhatsAppTemplateDefinition[] | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  clock?: Clock | undefined;
  fetch?: typeof fetch | undefined;
}

/** Options of {@link WhatsAppChannel.loadTemplates}. */
export interface LoadWhatsAppTemplatesOptions {
  /** WhatsApp Business Account id that owns the templates. */
  wabaId: string;
  /** @default `https://graph.facebook.com/{apiVersion}` */
  baseURL?: string;
  /** Page size. @default 100 */
  pageSize?: number;
}

/** The WhatsApp channel: the core {@link Channel} plus its template registry. */
export interface WhatsAppChannel extends Channel {
  readonly kind: 'whatsapp';
  /** Templates known to this channel; `loadTemplates` fills it from the WABA. */
  readonly templates: WhatsAppTemplateRegistry;
  /**
   * Loads every template of the WABA (`GET /{waba-id}/message_templates`, following cursor paging) into the
   * registry and returns them.
   * @throws AuthError / ChannelApiError classified like sends.
   * @see https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates/
   */
  loadTemplates(options: LoadWhatsAppTemplatesOptions): Promise<WhatsAppTemplateDefinition[]>;
  /**
   * Uploads a file (`POST /{phone-number-id}/media`, multipart) and returns its media id for
   * `{ type: 'media', kind, mediaId }` content. Type and size are checked first.
   * @throws ValidationError for an unsupported MIME type or an oversized file, before any network call.
   * @example
   * const { mediaId } = await whatsapp.uploadMedia({ data: pdfBytes, mimeType: 'application/pdf', filename: 'offer.pdf' });
   * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
   */
  uploadMedia(upload: WhatsAppMediaUpload): Promise<{ mediaId: string }>;
}

/** Default limits: 80 messages/s per business number, one message per 6 s to the same user. */
export const WHATSAPP_DEFAULT_RATE_LIMIT = { perSecond: 80, perRecipientIntervalMs: 6000 } as const satisfies ChannelRateLimit;

const rateSchema = z
  .object({
    marketing: z.number().int().nonnegative(),
    utility: z.number().int().nonnegative(),
    authentication: z.number().int().nonnegative(),
    service: z.number().int().nonnegative().optional(),
  })
  .strict();

const tableShape = { currency: z.string().length(3), rates: z.record(z.string(), rateSchema) };
const rateCardSchema = z
  .object({
    ...tableShape,
    validFrom: z.iso.date(),
    source: z.string().min(1),
    freeInsideWindow: z.array(z.enum(['service', 'utility'])).optional(),
  })
  .strict();
const pricingSchema = z.union([
  z.object(tableShape).strict(),
  z
    .object({
      cards: z.array(rateCardSchema).min(1).optional(),
      markets: z.record(z.string(), rateSchema.partial()).optional(),
    })
    .strict(),
]);

const rateLimitSchema = rateLimitSettingsSchema.extend({
  perSecond: z.number().positive().max(1000, 'WhatsApp allows at most 1000 messages/s per number').optional(),
});

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    phoneNumberId: z.string().min(1).optional(),
    accessToken: z.string().min(1).optional(),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, 'expected a Graph API version like v23.0')
      .optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    authHeader: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    appSecret: z.string().min(1).optional(),
    verifyToken: z.string().min(1).optional(),
    pricing: pricingSchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    templates: z.array(z.unknown()).optional(),
    timeoutMs: z.number().int().positive().optional(),
    clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function', 'expected a Clock').optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function', 'expected a fetch function').optional(),
  })
  .strict();

const capabilities: ChannelCapabilities = {
  maxTextLength: 4096,
  contentTypes: ['text', 'template', 'media', 'interactive', 'location', 'reaction'],
  mediaKinds: ['image', 'video', 'document', 'audio', 'sticker'],
  templates: true,
  canStartConversation: true,
  conversationWindowMs: WHATSAPP_WINDOW_MS,
  address: 'phone',
  // Per-message pricing charges delivered messages only.
  billedOn: 'delivered',
};

/**
 * Creates a WhatsApp Business Cloud API channel for the hub. Sends text, templates, media, interactive buttons and
 * lists, locations and reactions; enforces the 24 h customer-service window in `canReach`; verifies and parses
 * webhooks; classifies Graph errors for the core's retries; prices messages per category and country.
 * The factory does not read credentials: a missing token surfaces as a `ValidationError` naming `accessToken` and
 * `WHATSAPP_ACCESS_TOKEN` at the first send.
 * @throws ValidationError when a setting is malformed (the field is named).
 * @example
 * const whatsapp = createWhatsAppChannel({
 *   phoneNumberId: '106540352242922', accessToken: process.env.WA_TOKEN, apiVersion: 'v23.0',
 *   appSecret: process.env.WA_APP_SECRET, verifyToken: 'dealer-hook',
 *   templates: [{ name: 'booking_reminder', language: 'ru', category: 'utility', bodyParams: ['client', 'model'] }],
 * });
 * const hub = createOmnidealer({ channels: [whatsapp] });
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api
 */
export function createWhatsAppChannel(settings: WhatsAppChannelSettings = {}): WhatsAppChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'whatsapp');
  const kind = 'whatsapp' as const;
  const id = parsed.id ?? 'whatsapp';
  const apiVersion = parsed.apiVersion ?? 'v23.0';
  const clock = parsed.clock ?? systemClock;
  const prices = createWhatsAppPriceList(parsed.pricing as WhatsAppPricing | WhatsAppPricingSettings | undefined);
  const templates = createWhatsAppTemplateRegistry(settings.templates ?? []);
  const secrets = createSecretRegistry();
  secrets.add(parsed.accessToken);
  secrets.add(parsed.appSecret);
  secrets.add(parsed.verifyToken);
  /** The phone number id, or '' while neither the option nor WHATSAPP_PHONE_NUMBER_ID is set (sends then fail). */
  const phoneNumberIdOrEmpty = () =>
    loadSetting(parsed.phoneNumberId, 'WHATSAPP_PHONE_NUMBER_ID', { channel: kind, option: 'phoneNumberId', optional: true }) ??
    '';
  const phoneNumberId = () =>
    loadSetting(parsed.phoneNumberId, 'WHATSAPP_PHONE_NUMBER_ID', {
      channel: kind,
      option: 'phoneNumberId',
      description: 'phone number id',
    });

  const appSecret = () =>
    loadSetting(parsed.appSecret, 'WHATSAPP_APP_SECRET', { channel: kind, option: 'appSecret', secrets, optional: true });
  const verifyTokenSetting = () =>
    loadSetting(parsed.verifyToken, 'WHATSAPP_VERIFY_TOKEN', { channel: kind, option: 'verifyToken', secrets, optional: true });

  // Built once per token (the HTTP helper copies them into each request), and again when the env token changes.
  let headersFor: { token: string; headers: Record<string, string> } | undefined;
  const authHeaders = (): Record<string, string> => {
    const token = loadSetting(parsed.accessToken, 'WHATSAPP_ACCESS_TOKEN', {
      channel: kind,
      option: 'accessToken',
      description: 'access token',
      secrets,
    });
    if (headersFor?.token !== token) {
      headersFor = {
        token,
        headers: {
          ...parsed.headers,
          ...(parsed.authHeader ? { [parsed.authHeader]: token } : { authorization: `Bearer ${token}` }),
        },
      };
    }
    return headersFor.headers;
  };
  const clientFor = (baseURL: string): HttpClient =>
    createHttpClient({
      channel: kind,
      accountId: id,
      baseURL,
      headers: authHeaders,
      classifyError: classifyWhatsAppError,
      // The Graph API (and BSPs exposing its format) never redirects; refusing redirects also saves fetch a copy
      // of every request body.
      redirect: 'error',
      secrets,
      ...(parsed.timeoutMs ? { timeoutMs: parsed.timeoutMs } : {}),
      ...(parsed.fetch ? { fetch: parsed.fetch } : {}),
    });
  let messagesClient: HttpClient | undefined;
  const messages = () => {
    if (!messagesClient) {
      // With a BSP's base URL the phone number id is not part of the path, and may be unset.
      const baseURL = parsed.baseURL ?? `https://graph.facebook.com/${apiVersion}/${phoneNumberId()}`;
      messagesClient = clientFor(baseURL);
    }
    return messagesClient;
  };

  const validate = (content: MessageContent): void => {
    validateWhatsAppContent(content);
    if (content.type === 'template') validateWhatsAppTemplate(content, templates);
  };

  const countryOf = (contact: Contact): string | undefined => {
    if (contact.phone) return phoneCountry(contact.phone);
    const identity = contact.identities?.whatsapp;
    if (typeof identity !== 'string') return undefined;
    // A username user known only by a business-scoped id: the id starts with their country.
    return isWhatsAppUserId(identity) ? whatsAppUserIdCountry(identity) : phoneCountry(`+${identity}`);
  };

  return {
    id,
    kind,
    get accountId() {
      return phoneNumberIdOrEmpty();
    },
    capabilities,
    rateLimit: { ...WHATSAPP_DEFAULT_RATE_LIMIT, ...parsed.rateLimit },
    secrets: () => secrets.values(),
    templates,
    validate,
    canReach(context) {
      const reach = canReachOnWhatsApp(context);
      const { content } = context;
      // Meta sends authentication templates (one-tap, zero-tap, copy-code) to phone numbers only (error 131062).
      if (
        reach.reachable &&
        isWhatsAppUserId(reach.address) &&
        content.type === 'template' &&
        templates.get(content.name, content.language)?.category === 'authentication'
      )
        return {
          reachable: false,
          reason: 'unsupported_content',
          detail: 'an authentication template needs a phone number; this contact is known only by a WhatsApp user id',
        };
      return reach;
    },
    estimateCost(content, contact, context) {
      const now = context?.now ?? clock.now();
      return estimateWhatsAppCost({
        content,
        country: countryOf(contact),
        phone: contact.phone,
        templateCategory: content.type === 'template' ? templates.categoryAt(content.name, content.language, now) : undefined,
        windowOpen: whatsAppWindow(context?.conversation, now).open,
        pricing: prices.cardAt(now),
        markets: prices.markets,
        at: now,
      });
    },
    async doSend(message, options): Promise<SendResult> {
      validate(message.content);
      const body = convertToWhatsAppMessage(message.content, message.to, message.replyTo);
      // Our id comes back with the message's statuses: they match it even if this answer is lost.
      const callbackData = toWhatsAppCallbackData(message.id);
      if (callbackData) body.biz_opaque_callback_data = callbackData;
      const response = await messages().request({
        method: 'POST',
        path: 'messages',
        json: body,
        schema: whatsAppSendResponseSchema,
        signal: options.signal,
      });
      const [accepted] = response.messages;
      // `wa_id` for a send `to` a number, `user_id` for a send to a `recipient` (business-scoped user id).
      const recipient = response.contacts?.[0];
      const canonical = recipient?.wa_id ?? recipient?.user_id ?? undefined;
      return {
        providerMessageId: (accepted as { id: string }).id,
        status: 'sent',
        ...(canonical ? { canonicalAddress: canonical } : {}),
      };
    },
    async doMarkRead(providerMessageId, _conversation, options?: MarkReadOptions) {
      await messages().request({
        method: 'POST',
        path: 'messages',
        json: {
          messaging_product: 'whatsapp',
          status: 'read',
          message_id: providerMessageId,
          // Shown until our reply or for up to 25 s; only the `text` type exists.
          ...(options?.typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
        },
        schema: whatsAppSuccessResponseSchema,
      });
    },
    provider: 'whatsapp',
    claimWebhook(request) {
      return claimWhatsAppWebhook(request, {
        appSecret: appSecret(),
        verifyToken: verifyTokenSetting(),
        phoneNumberId: phoneNumberIdOrEmpty() || undefined,
      });
    },
    parseWebhook(request) {
      return parseWhatsAppWebhook(request, {
        appSecret: appSecret(),
        verifyToken: verifyTokenSetting(),
        phoneNumberId: phoneNumberIdOrEmpty() || undefined,
        pricing: prices,
        channel: kind,
        onTemplateStatus: ({ name, language, status }) => templates.setStatus(name, language, status),
        onTemplateCategory: ({ name, language, category, upcoming }) => templates.setCategory(name, language, category, upcoming),
      });
    },
    async uploadMedia(upload) {
      const body = whatsAppMediaForm(upload);
      const response = await messages().request({
        method: 'POST',
        path: 'media',
        body,
        schema: whatsAppMediaUploadResponseSchema,
      });
      return { mediaId: response.id };
    },
    async loadTemplates(options) {
      const client = clientFor(options.baseURL ?? `https://graph.facebook.com/${apiVersion}`);
      const loaded: WhatsAppTemplateDefinition[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const list = await client.request({
          path: `${encodeURIComponent(options.wabaId)}/message_templates`,
          searchParams: {
            fields: 'name,status,category,language,components,parameter_format',
            limit: options.pageSize ?? 100,
            ...(after ? { after } : {}),
          },
          schema: whatsAppTemplateListSchema,
        });
        loaded.push(...templatesFromWhatsAppList(list));
        after = list.paging?.cursors?.after ?? undefined;
        if (!after || !list.paging?.next) break;
      }
      templates.replace(loaded);
      return loaded;
    },
  };
}
