import {
  type ChannelRateLimit,
  type InboundEvent,
  type StatusEvent,
  ValidationError,
  WebhookError,
  type WebhookResult,
} from '@omnidealer/core';
import { createHttpClient, createSecretRegistry, type HttpClient, loadSetting, money } from '@omnidealer/core/provider-utils';
import type { SmsDeliveryStatus, SmsGateway, SmsGatewaySendResult } from './sms-gateway.js';
import { parseFormBody } from './sms-webhook-util.js';
import { twilioMessageSchema, twilioPriceToMinor } from './twilio-api.js';
import { classifyTwilioError, mapTwilioStatus, twilioStatusError } from './twilio-error.js';
import { verifyTwilioSignature } from './twilio-signature.js';

/** Settings of {@link createTwilioGateway}. */
export interface TwilioGatewaySettings {
  /** `AC…`. Falls back to `TWILIO_ACCOUNT_SID`, read at the first request. */
  accountSid?: string | undefined;
  /** Signs webhooks and (without `apiKey`) authenticates requests. Falls back to `TWILIO_AUTH_TOKEN`. */
  authToken?: string | undefined;
  /** Authenticate REST calls with an API key (`SK…`) instead of the auth token. */
  apiKey?: { sid: string; secret: string } | undefined;
  /** Default `From` number (E.164) or alphanumeric sender id, when a message has no sender. */
  from?: string | undefined;
  /** Send through a Messaging Service (`MG…`) instead of one `From`. */
  messagingServiceSid?: string | undefined;
  /** @default 'https://api.twilio.com' */
  baseURL?: string | undefined;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /**
   * The public URL Twilio posts to, when it differs from what the server sees (TLS-terminating proxy): the
   * signature covers this exact URL. Without a query of its own, it is completed with the query the request
   * arrived with (a message's `StatusCallback` carries our message id there).
   */
  webhookUrl?: string | undefined;
  /** `ValidityPeriod` in seconds (1–36000): Twilio drops the message if not sent in time. */
  validityPeriodSeconds?: number | undefined;
  /** Let Twilio apply its own Smart Encoding (`SmartEncoded=true`). */
  smartEncoded?: boolean | undefined;
  /** Limits the hub applies to this gateway's channel (messages per second, concurrency). */
  rateLimit?: ChannelRateLimit | undefined;
}

/**
 * The query parameter of the `StatusCallback` URL that carries our message id. Twilio posts a message's statuses to
 * the URL given with it, query included, and signs that full URL, so the id comes back signed: a send whose answer
 * (with the `SM…` sid) was lost is still matched by its statuses (`StatusEvent.messageId`).
 * @see https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
 * @see https://www.twilio.com/docs/usage/security#validating-requests
 */
const messageIdParameter = 'omnidealerMessageId';

/** The status callback URL of one message: the configured URL with our message id added to its query. */
function statusCallbackOf(url: string | undefined, messageId: string | undefined): string | undefined {
  if (!url || !messageId) return url;
  const callback = new URL(url);
  callback.searchParams.set(messageIdParameter, messageId);
  return callback.href;
}

/**
 * The URL Twilio signed: the configured public URL (behind a proxy), with the query the request arrived with when
 * the configured one has none (the per-message callback URL carries our message id there); else the request's URL.
 */
function signedUrlOf(webhookUrl: string | undefined, url: URL): string {
  if (!webhookUrl) return url.href;
  return url.search && !webhookUrl.includes('?') ? `${webhookUrl}${url.search}` : webhookUrl;
}

const emptyTwiml = () =>
  new Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', {
    status: 200,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
  });

/**
 * Creates the Twilio Programmable Messaging gateway: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
 * (form-encoded, HTTP basic auth), polling `GET …/Messages/{Sid}.json`, and status-callback / inbound webhooks
 * verified with `X-Twilio-Signature`.
 * @example
 * const gateway = createTwilioGateway({ accountSid: 'AC…', authToken: process.env.TWILIO_AUTH_TOKEN, from: '+15017122661' });
 * const sms = createSmsChannel({ gateway, pricing: { currency: 'USD', perSegmentMinor: 8 } });
 * @throws ValidationError on the first request when no account SID or credentials are configured (naming the setting
 * and its variable).
 * @see https://www.twilio.com/docs/messaging/api/message-resource
 */
export function createTwilioGateway(settings: TwilioGatewaySettings = {}): SmsGateway {
  const secrets = createSecretRegistry();
  secrets.add(settings.authToken);
  secrets.add(settings.apiKey?.secret);
  const authTokenOf = (optional: boolean) =>
    loadSetting(settings.authToken, 'TWILIO_AUTH_TOKEN', {
      channel: 'sms',
      option: 'authToken',
      description: 'Twilio auth token',
      secrets,
      optional,
    });
  const credentials = () => {
    const accountSid = loadSetting(settings.accountSid, 'TWILIO_ACCOUNT_SID', {
      channel: 'sms',
      option: 'accountSid',
      description: 'Twilio account SID',
    });
    const user = settings.apiKey?.sid ?? accountSid;
    // With an API key the auth token is only needed for webhooks.
    const password = settings.apiKey?.secret ?? authTokenOf(false);
    const authorization = `Basic ${btoa(`${user}:${password}`)}`;
    secrets.add(authorization.slice('Basic '.length));
    return { accountSid, authorization };
  };
  let http: HttpClient | undefined;
  const client = () =>
    (http ??= createHttpClient({
      channel: 'sms',
      baseURL: settings.baseURL ?? 'https://api.twilio.com',
      headers: () => ({ ...settings.headers, authorization: credentials().authorization }),
      classifyError: classifyTwilioError,
      secrets,
      ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }));
  const messagesPath = () => `2010-04-01/Accounts/${encodeURIComponent(credentials().accountSid)}/Messages`;

  return {
    name: 'twilio',
    accountId: settings.messagingServiceSid ?? settings.from ?? 'twilio',
    maxSegments: 10,
    rateLimit: settings.rateLimit,
    secrets: () => secrets.values(),

    async send(request, { signal }): Promise<SmsGatewaySendResult> {
      const from = request.sender ?? settings.from;
      if (!from && !settings.messagingServiceSid)
        throw new ValidationError({
          channel: 'sms',
          field: 'sender',
          message: 'twilio: a sender, `from` or `messagingServiceSid` is required',
        });
      const message = await client().request({
        method: 'POST',
        path: `${messagesPath()}.json`,
        form: {
          To: request.to,
          ...(settings.messagingServiceSid && !request.sender
            ? { MessagingServiceSid: settings.messagingServiceSid }
            : { From: from }),
          Body: request.text,
          StatusCallback: statusCallbackOf(request.statusCallbackUrl, request.clientReference),
          ValidityPeriod: settings.validityPeriodSeconds,
          SmartEncoded: settings.smartEncoded ? 'true' : undefined,
        },
        schema: twilioMessageSchema,
        signal,
      });
      const minor = twilioPriceToMinor(message.price);
      return {
        providerMessageId: message.sid,
        ...(message.num_segments ? { segments: message.num_segments } : {}),
        ...(minor !== undefined && message.price_unit ? { cost: money(minor, message.price_unit.toUpperCase()) } : {}),
      };
    },

    async getStatus(providerMessageId, options = {}): Promise<SmsDeliveryStatus> {
      const message = await client().request({
        path: `${messagesPath()}/${encodeURIComponent(providerMessageId)}.json`,
        schema: twilioMessageSchema,
        signal: options.signal,
      });
      const status = mapTwilioStatus(message.status) ?? 'queued';
      const error = twilioStatusError(message.status, message.error_code, message.error_message);
      const minor = twilioPriceToMinor(message.price);
      return {
        providerMessageId,
        status,
        providerStatus: message.status,
        ...(error ? { error } : {}),
        ...(minor !== undefined && message.price_unit ? { cost: money(minor, message.price_unit.toUpperCase()) } : {}),
      };
    },

    async parseWebhook(request, now): Promise<WebhookResult> {
      const authToken = authTokenOf(true);
      if (!authToken)
        throw new WebhookError({
          channel: 'sms',
          kind: 'signature',
          message: 'twilio: no auth token to verify webhooks (pass settings.authToken or set TWILIO_AUTH_TOKEN)',
        });
      const form = parseFormBody(request.body, 'twilio');
      const url = signedUrlOf(settings.webhookUrl, request.url);
      if (!(await verifyTwilioSignature(authToken, url, form, request.headers.get('x-twilio-signature'))))
        throw new WebhookError({ channel: 'sms', kind: 'signature', message: 'twilio: X-Twilio-Signature missing or wrong' });
      const sid = form.get('MessageSid') ?? form.get('SmsSid');
      const providerStatus = form.get('MessageStatus') ?? form.get('SmsStatus');
      if (!sid || !providerStatus)
        throw new WebhookError({
          channel: 'sms',
          kind: 'malformed',
          message: 'twilio: webhook without MessageSid / MessageStatus',
        });
      if (providerStatus === 'received') {
        const from = form.get('From') ?? '';
        const inbound: InboundEvent = {
          type: 'inbound',
          providerMessageId: sid,
          from,
          ...(from.startsWith('+') ? { phone: from } : {}),
          content: { type: 'text', text: form.get('Body') ?? '' },
          kind: 'message',
          at: now,
          metadata: { provider: 'twilio', to: form.get('To'), numSegments: Number(form.get('NumSegments') ?? '1') },
        };
        return { events: [inbound], response: emptyTwiml() };
      }
      const status = mapTwilioStatus(providerStatus);
      if (!status || status === 'queued') return { events: [], ignored: 1, response: emptyTwiml() };
      const error = twilioStatusError(providerStatus, form.get('ErrorCode'), form.get('ErrorMessage'));
      const messageId = request.url.searchParams.get(messageIdParameter);
      const event: StatusEvent = {
        type: 'status',
        providerMessageId: sid,
        ...(messageId ? { messageId } : {}),
        status,
        at: now,
        ...(error ? { error } : {}),
        metadata: { provider: 'twilio', providerStatus },
      };
      return { events: [event], response: emptyTwiml() };
    },
  };
}
