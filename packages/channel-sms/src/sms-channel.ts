import {
  type Channel,
  type ChannelCapabilities,
  type ChannelRateLimit,
  type Clock,
  type Contact,
  type CostEstimate,
  type MessageContent,
  type StatusEvent,
  ValidationError,
} from '@omnidealer/core';
import {
  contentToPlainText,
  createSecretRegistry,
  money,
  parseInput,
  rateLimitSettingsSchema,
  type SendResult,
  systemClock,
} from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import type { SmsCostQuote, SmsGateway } from './sms-gateway.js';
import { assertMobilePhone, classifyPhone, phoneCountryOf } from './sms-phone.js';
import { type SmsPricing, segmentPrice } from './sms-pricing.js';
import { type CountSegmentsOptions, countSegments, GSM7_PART_LIMIT, type SegmentCount } from './sms-segments.js';
import type { TransliterationScheme } from './sms-transliteration.js';

/** Settings of {@link createSmsChannel}. */
export interface SmsChannelSettings {
  /** The gateway that carries the messages: {@link createSmsRuGateway}, {@link createTwilioGateway} or your own. */
  gateway: SmsGateway;
  /** Channel id inside the hub. @default 'sms' */
  id?: string | undefined;
  /** Registered sender name ("альфа-имя") or from-number; the gateway's default when absent. */
  sender?: string | undefined;
  /** Price per segment (per country). @default 3 ₽ per segment everywhere */
  pricing?: SmsPricing | undefined;
  /** @default the system clock */
  clock?: Clock | undefined;
  /** Replace typographic look-alikes with GSM-7 characters before counting and sending. @default false */
  smartEncoding?: boolean | undefined;
  /** Transliterate Cyrillic to Latin before counting and sending (`true` = `icao`). @default false */
  transliterate?: boolean | TransliterationScheme | undefined;
  /** Longest message in segments; longer texts fail validation. @default the gateway's limit, else 10 */
  maxSegments?: number | undefined;
  /** Delivery-report URL passed with every message, for gateways that take one per message (Twilio). */
  statusCallbackUrl?: string | undefined;
  /** @default the gateway's */
  rateLimit?: ChannelRateLimit | undefined;
}

/** The SMS channel: the core {@link Channel} plus segment counting, polling and the gateway's own quote. */
export interface SmsChannel extends Channel {
  /** The gateway this channel sends through. */
  readonly gateway: SmsGateway;
  /** Segments of `content` as this channel will send it (after smart encoding / transliteration). */
  countSegments(content: MessageContent): SegmentCount;
  /**
   * Polls the gateway for a delivery status, as a `StatusEvent` (`undefined` while still queued). Feed it to the
   * hub like a webhook event when the gateway has no callback configured.
   * @throws ValidationError when the gateway cannot poll; ChannelApiError (`code: 'not_found'`) for an unknown id.
   */
  fetchStatus(providerMessageId: string): Promise<StatusEvent | undefined>;
  /**
   * Asks the gateway what this message would cost (SMS.ru `/sms/cost`).
   * @throws ValidationError when the gateway offers no quote or the contact has no mobile number.
   */
  fetchCost(contact: Contact, content: MessageContent): Promise<SmsCostQuote>;
}

const minorUnits = z.number().int().nonnegative();
/** {@link SmsChannelSettings}, checked strictly: an unknown or misspelt setting is an error that names it. */
const smsChannelSettingsSchema = z.strictObject({
  gateway: z.custom<SmsGateway>(
    (value) => typeof (value as SmsGateway | undefined)?.send === 'function',
    'a gateway with send()',
  ),
  id: z.string().min(1).optional(),
  sender: z.string().min(1).max(64).optional(),
  pricing: z
    .strictObject({
      currency: z.string().length(3).optional(),
      perSegmentMinor: minorUnits.optional(),
      countries: z.record(z.string().length(2), minorUnits).optional(),
      asOf: z.iso.date().optional(),
      source: z.string().min(1).max(500).optional(),
    })
    .optional(),
  maxSegments: z.number().int().min(1).max(255).optional(),
  statusCallbackUrl: z.url({ protocol: /^https?$/ }).optional(),
  transliterate: z.union([z.boolean(), z.enum(['icao', 'simple'])]).optional(),
  smartEncoding: z.boolean().optional(),
  clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function', 'a clock with now()').optional(),
  rateLimit: rateLimitSettingsSchema.optional(),
});

const contentTypes: ChannelCapabilities['contentTypes'] = ['text', 'template', 'interactive', 'location', 'email'];

/**
 * Creates the SMS channel. `estimateCost` is exact: it counts the segments of this very text (GSM-7 160/153,
 * UCS-2 70/67) and multiplies by the per-segment price for the recipient's country, so the cascade can compare
 * SMS with WhatsApp per contact and per message. Numbers are checked as E.164 mobile numbers before any network call.
 * @example
 * const sms = createSmsChannel({
 *   gateway: createSmsRuGateway({ apiId: process.env.SMSRU_API_ID }),
 *   sender: 'AutoDealer',
 *   pricing: { perSegmentMinor: 300, countries: { KZ: 450 } },
 * });
 * const hub = createOmnidealer({ channels: [sms] });
 * await hub.estimateCost('sms', { id: 'c1', phone: '+79161234567' }, { type: 'text', text: 'Ваш автомобиль готов' });
 * @throws ValidationError when the settings are malformed (negative or fractional prices, no gateway…).
 * @see https://sms.ru/api/send
 */
export function createSmsChannel(settings: SmsChannelSettings): SmsChannel {
  parseInput(smsChannelSettingsSchema, settings, 'settings', 'sms');
  const { gateway } = settings;
  const clock = settings.clock ?? systemClock;
  const maxSegments = settings.maxSegments ?? gateway.maxSegments ?? 10;
  const segmentOptions: CountSegmentsOptions = {
    ...(settings.smartEncoding ? { smartEncoding: true } : {}),
    ...(settings.transliterate ? { transliterate: settings.transliterate } : {}),
  };
  const capabilities: ChannelCapabilities = {
    maxTextLength: maxSegments * GSM7_PART_LIMIT,
    contentTypes,
    mediaKinds: [],
    templates: false,
    canStartConversation: true,
    address: 'phone',
  };
  /** A gateway's own errors (even a third-party gateway's) never carry its credentials out of the channel. */
  const scrubbed = <T>(running: Promise<T>): Promise<T> =>
    running.catch((error: unknown) => {
      const secrets = createSecretRegistry();
      for (const secret of gateway.secrets?.() ?? []) secrets.add(secret);
      throw secrets.redactError(error);
    });
  const count = (content: MessageContent): SegmentCount => countSegments(contentToPlainText(content) ?? '', segmentOptions);
  const textOf = (content: MessageContent, field = 'content'): SegmentCount => {
    const counts = count(content);
    if (counts.segments === 0)
      throw new ValidationError({
        channel: 'sms',
        field,
        message: `${field}: ${content.type} content has no text to send by SMS`,
      });
    if (counts.segments > maxSegments)
      throw new ValidationError({
        channel: 'sms',
        field,
        message: `${field}: ${counts.segments} ${counts.encoding} segments; this SMS channel allows ${maxSegments}`,
      });
    return counts;
  };

  return {
    id: settings.id ?? 'sms',
    kind: 'sms',
    accountId: settings.sender ?? gateway.accountId,
    capabilities,
    rateLimit: settings.rateLimit ?? gateway.rateLimit,
    gateway,
    secrets: () => gateway.secrets?.() ?? [],
    countSegments: count,

    // Content only: whether the number can take SMS is `canReach`'s answer (an unreachable recipient lets the
    // cascade move on, a validation error would not); `doSend` checks the number again before the network.
    validate(content) {
      textOf(content);
    },

    canReach({ contact, content }) {
      if (!contact.phone) return { reachable: false, reason: 'no_identity', detail: 'contact has no phone number' };
      if (contact.consent?.sms === 'opted_out')
        return { reachable: false, reason: 'opted_out', detail: 'contact opted out of SMS' };
      const check = classifyPhone(contact.phone);
      if (check !== 'mobile')
        return {
          reachable: false,
          reason: 'invalid_address',
          detail: check === 'not_mobile' ? 'not a mobile number' : 'not a valid number',
        };
      if (!contentTypes.includes(content.type) || !contentToPlainText(content))
        return { reachable: false, reason: 'unsupported_content', detail: `${content.type} has no text for SMS` };
      return { reachable: true, address: contact.phone };
    },

    estimateCost(content, contact): CostEstimate {
      const counts = count(content);
      const price = segmentPrice(settings.pricing, contact.phone ? phoneCountryOf(contact.phone) : undefined);
      const detail =
        `${counts.segments} ${counts.encoding} segment${counts.segments === 1 ? '' : 's'} × ${price.amountMinor} ${price.currency}/100` +
        (counts.original && counts.original.segments !== counts.segments
          ? ` (${counts.original.segments} ${counts.original.encoding} before ${settings.transliterate ? 'transliteration' : 'smart encoding'}, saves ${(counts.original.segments - counts.segments) * price.amountMinor} ${price.currency}/100)`
          : '');
      return {
        money: money(counts.segments * price.amountMinor, price.currency),
        units: counts.segments,
        unitName: 'segment',
        detail,
      };
    },

    async doSend(message, { signal }): Promise<SendResult> {
      assertMobilePhone(message.to);
      const counts = textOf(message.content, 'content.text');
      const result = await scrubbed(
        gateway.send(
          {
            to: message.to,
            text: counts.text,
            sender: settings.sender,
            statusCallbackUrl: settings.statusCallbackUrl,
            clientReference: message.id,
            segments: counts.segments,
          },
          { signal },
        ),
      );
      return {
        providerMessageId: result.providerMessageId,
        status: 'sent',
        canonicalAddress: message.to,
        units: result.segments ?? counts.segments,
        ...(result.cost ? { cost: result.cost } : {}),
      };
    },

    parseWebhook(request) {
      return scrubbed(gateway.parseWebhook(request, clock.now()));
    },

    async fetchStatus(providerMessageId) {
      if (!gateway.getStatus)
        throw new ValidationError({ channel: 'sms', field: 'gateway', message: `${gateway.name} cannot poll statuses` });
      const status = await scrubbed(gateway.getStatus(providerMessageId));
      if (status.status === 'queued') return undefined;
      return {
        type: 'status',
        providerMessageId,
        status: status.status,
        at: clock.now(),
        ...(status.error ? { error: status.error } : {}),
        ...(status.cost ? { cost: status.cost } : {}),
        metadata: { provider: gateway.name, providerStatus: status.providerStatus },
      };
    },

    async fetchCost(contact, content) {
      if (!gateway.getCost)
        throw new ValidationError({ channel: 'sms', field: 'gateway', message: `${gateway.name} offers no cost quote` });
      if (!contact.phone)
        throw new ValidationError({ channel: 'sms', field: 'contact.phone', message: 'contact.phone: missing' });
      assertMobilePhone(contact.phone, 'contact.phone');
      return scrubbed(gateway.getCost({ to: contact.phone, text: textOf(content).text, sender: settings.sender }));
    },
  };
}
