import { ChannelApiError, type ChannelRateLimit, type StatusEvent, WebhookError, type WebhookResult } from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  type HttpClient,
  loadSetting,
  money,
  timingSafeEqualStrings,
} from '@omnidealer/core/provider-utils';
import type { SmsCostQuote, SmsDeliveryStatus, SmsGateway, SmsGatewaySendResult } from './sms-gateway.js';
import { rublesToKopecks, smsRuCostResponseSchema, smsRuSendResponseSchema, smsRuStatusResponseSchema } from './sms-ru-api.js';
import { classifySmsRuError, mapSmsRuStatus, smsRuHttpErrorClassifier } from './sms-ru-error.js';
import { parseFormBody } from './sms-webhook-util.js';

/** Settings of {@link createSmsRuGateway}. */
export interface SmsRuGatewaySettings {
  /** The account's API key. Falls back to the `SMSRU_API_ID` environment variable, read at the first request. */
  apiId?: string | undefined;
  /** @default 'https://sms.ru' */
  baseURL?: string | undefined;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /** Send with `test=1`: SMS.ru validates and answers but sends nothing and charges nothing. @default false */
  test?: boolean | undefined;
  /**
   * SMS.ru signs nothing in its callbacks: put a random token in the callback URL you register
   * (`https://crm.example/webhooks/sms?token=…`) and set it here; callbacks without it are refused with 401.
   * @default process.env.SMSRU_WEBHOOK_TOKEN
   */
  webhookToken?: string | undefined;
  /** Label for `accountId` (never the API key). @default 'sms.ru' */
  accountId?: string | undefined;
  /** Limits the hub applies to this gateway's channel (messages per second, concurrency). */
  rateLimit?: ChannelRateLimit | undefined;
}

const toDigits = (e164: string) => e164.replace(/^\+/, '');

/**
 * Creates the SMS.ru gateway: sends with `POST /sms/send` (form-encoded, `json=1`), polls `/sms/status`, quotes
 * `/sms/cost`, and parses the delivery callback (`data[N]=sms_status\n<sms_id>\n<status>\n<unix time>` lines,
 * answered with `100`). SMS.ru answers HTTP 200 for its own errors; the `status_code` of the request and of each
 * number is classified into typed errors.
 * @example
 * const gateway = createSmsRuGateway({ apiId: process.env.SMSRU_API_ID, webhookToken: process.env.SMSRU_WEBHOOK_TOKEN });
 * const sms = createSmsChannel({ gateway, sender: 'AutoDealer' });
 * @throws ValidationError on the first request when no API key is configured (naming `apiId` and `SMSRU_API_ID`).
 * @see https://sms.ru/api/send
 */
export function createSmsRuGateway(settings: SmsRuGatewaySettings = {}): SmsGateway {
  const secrets = createSecretRegistry();
  secrets.add(settings.apiId);
  secrets.add(settings.webhookToken);
  let http: HttpClient | undefined;
  const client = () =>
    (http ??= createHttpClient({
      channel: 'sms',
      baseURL: settings.baseURL ?? 'https://sms.ru',
      classifyError: smsRuHttpErrorClassifier,
      secrets,
      ...(settings.headers ? { headers: settings.headers } : {}),
      ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }));
  const apiId = (): string =>
    loadSetting(settings.apiId, 'SMSRU_API_ID', { channel: 'sms', option: 'apiId', description: 'SMS.ru api_id', secrets });

  return {
    name: 'smsru',
    accountId: settings.accountId ?? 'sms.ru',
    maxSegments: 8,
    rateLimit: settings.rateLimit,
    secrets: () => secrets.values(),

    async send(request, { signal }): Promise<SmsGatewaySendResult> {
      const to = toDigits(request.to);
      const body = await client().request({
        method: 'POST',
        path: 'sms/send',
        form: { api_id: apiId(), to, msg: request.text, json: 1, from: request.sender, test: settings.test ? 1 : undefined },
        schema: smsRuSendResponseSchema,
        signal,
      });
      if (body.status !== 'OK') throw classifySmsRuError(body.status_code, body, body.status_text);
      const item = body.sms?.[to] ?? Object.values(body.sms ?? {})[0];
      if (!item)
        throw new ChannelApiError({
          channel: 'sms',
          retryable: false,
          message: 'sms.ru: no result for the recipient',
          raw: body,
        });
      if (item.status !== 'OK' || !item.sms_id) throw classifySmsRuError(item.status_code, body, item.status_text);
      return { providerMessageId: item.sms_id };
    },

    async getStatus(providerMessageId, options = {}): Promise<SmsDeliveryStatus> {
      const body = await client().request({
        path: 'sms/status',
        searchParams: { api_id: apiId(), sms_id: providerMessageId, json: 1 },
        schema: smsRuStatusResponseSchema,
        signal: options.signal,
      });
      if (body.status !== 'OK') throw classifySmsRuError(body.status_code, body, body.status_text);
      const item = body.sms?.[providerMessageId];
      if (!item || item.status_code === -1)
        throw new ChannelApiError({
          channel: 'sms',
          code: 'not_found',
          providerCode: item?.status_code ?? 'missing',
          retryable: false,
          message: `sms.ru: message ${providerMessageId} not found`,
          raw: body,
        });
      const mapped = mapSmsRuStatus(item.status_code, item.status_text);
      if (!mapped) throw classifySmsRuError(item.status_code, body, item.status_text);
      const kopecks = rublesToKopecks(item.cost);
      return {
        providerMessageId,
        status: mapped.status,
        providerStatus: item.status_code,
        ...(mapped.error ? { error: mapped.error } : {}),
        ...(kopecks !== undefined && kopecks > 0 ? { cost: money(kopecks, 'RUB') } : {}),
      };
    },

    async getCost(request, options = {}): Promise<SmsCostQuote> {
      const to = toDigits(request.to);
      const body = await client().request({
        path: 'sms/cost',
        searchParams: { api_id: apiId(), to, msg: request.text, json: 1, from: request.sender },
        schema: smsRuCostResponseSchema,
        signal: options.signal,
      });
      if (body.status !== 'OK') throw classifySmsRuError(body.status_code, body, body.status_text);
      const item = body.sms?.[to];
      if (item && item.status !== 'OK') throw classifySmsRuError(item.status_code, body, item.status_text);
      const kopecks = rublesToKopecks(body.total_cost ?? item?.cost);
      const segments = body.total_sms ?? item?.sms;
      if (kopecks === undefined || segments === undefined || segments === null)
        throw new ChannelApiError({
          channel: 'sms',
          retryable: false,
          message: 'sms.ru: cost answer without total_cost',
          raw: body,
        });
      return { cost: money(kopecks, 'RUB'), segments };
    },

    async parseWebhook(request, now): Promise<WebhookResult> {
      const webhookToken = loadSetting(settings.webhookToken, 'SMSRU_WEBHOOK_TOKEN', {
        channel: 'sms',
        option: 'webhookToken',
        secrets,
        optional: true,
      });
      if (webhookToken !== undefined) {
        const token = request.url.searchParams.get('token') ?? '';
        if (!timingSafeEqualStrings(token, webhookToken))
          throw new WebhookError({ channel: 'sms', kind: 'signature', message: 'sms.ru: callback token missing or wrong' });
      }
      const form = parseFormBody(request.body, 'sms.ru');
      const entries = [...form.entries()].filter(([key]) => /^data\[\d*\]$/.test(key));
      if (entries.length === 0)
        throw new WebhookError({ channel: 'sms', kind: 'malformed', message: 'sms.ru: callback without data[] entries' });
      const events: StatusEvent[] = [];
      let ignored = 0;
      for (const [, value] of entries) {
        const [kind, smsId, statusCode, unixTime] = value.split('\n').map((line) => line.trim());
        const mapped = kind === 'sms_status' && smsId ? mapSmsRuStatus(Number(statusCode)) : undefined;
        if (!mapped || mapped.status === 'queued' || !smsId) {
          ignored++;
          continue;
        }
        const seconds = Number(unixTime);
        events.push({
          type: 'status',
          providerMessageId: smsId,
          status: mapped.status,
          at: unixTime && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : now,
          ...(mapped.error ? { error: mapped.error } : {}),
          metadata: { provider: 'smsru', providerStatus: Number(statusCode) },
        });
      }
      return {
        events,
        ignored,
        // SMS.ru repeats a callback until it reads exactly `100`.
        response: new Response('100', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
      };
    },
  };
}
