import { ChannelApiError, type ChannelRateLimit, type StatusEvent, WebhookError, type WebhookResult } from '@omnidealer/core';
import {
  createHttpClient,
  createSecretRegistry,
  defaultErrorClassifier,
  type HttpClient,
  loadSetting,
  money,
} from '@omnidealer/core/provider-utils';
import type { SmsCostQuote, SmsDeliveryStatus, SmsGateway, SmsGatewaySendResult } from './sms-gateway.js';
import { rublesToKopecks } from './sms-ru-api.js';
import { parseFormBody } from './sms-webhook-util.js';
import { smscCallbackSchema, smscSendResponseSchema, smscStatusResponseSchema } from './smsc-api.js';
import { classifySmscError, mapSmscStatus } from './smsc-error.js';
import { verifySmscSignature } from './smsc-signature.js';

/** Settings of {@link createSmscGateway}. */
export interface SmscGatewaySettings {
  /** Account login. Falls back to `SMSC_LOGIN`, read at the first request. */
  login?: string | undefined;
  /** Account (API) password. Falls back to `SMSC_PASSWORD`. */
  password?: string | undefined;
  /** @default 'https://smsc.ru' (the reserve server is https://www2.smsc.ru) */
  baseURL?: string | undefined;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch | undefined;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string> | undefined;
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /** Label for `accountId`. @default 'smsc.ru' */
  accountId?: string | undefined;
  /**
   * The secret SMSC signs delivery callbacks with: the `md5` (or `sha1`) field of each callback is the hash of
   * `id:phone:status:<secret>`. Set the same value next to the callback URL in the SMSC account settings. Falls back
   * to `SMSC_CALLBACK_SECRET`; without it every callback is refused with 401.
   * @see https://smsc.ru/api/http/miscellaneous/callback/
   */
  callbackSecret?: string | undefined;
  /** Limits the hub applies to this gateway's channel (messages per second, concurrency). */
  rateLimit?: ChannelRateLimit | undefined;
}

/**
 * The message `id` send.php is given: our message id, which SMSC accepts as a client-chosen id ("назначается
 * Клиентом… строка длиной до 40 символов, состоящая из латинских букв, цифр и символов `.-_`") and which its
 * answer, status.php and the delivery callbacks then use. So statuses name our message even when the answer to the
 * send was lost (`StatusEvent.messageId`), and the provider id `<id>:<phone>` is known before the answer. An id that
 * does not fit is not sent (SMSC numbers the message itself).
 * @see https://smsc.ru/api/http/send/sms/ (parameter `id`; the same text is quoted by SMSC's own client libraries)
 */
function smscClientId(messageId: string | undefined): string | undefined {
  return messageId && /^[A-Za-z0-9._-]{1,40}$/.test(messageId) ? messageId : undefined;
}

/** The answer to a callback: peer handlers answer a plain 200; nothing we found says SMSC reads the body. */
const ok = () => new Response('OK', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Creates the SMSC.ru gateway: sends with `POST /sys/send.php` (form-encoded, `fmt=3` JSON answers, `cost=3` so the
 * answer carries the price), polls `/sys/status.php`, quotes with `cost=1`. The number goes out with its `+` so SMSC
 * does not "auto-correct" it. The provider message id is `<id>:<phone digits>` because SMSC looks statuses up by
 * both. Delivery callbacks (the URL set in the account settings, form-encoded `id, phone, status, err, ts, …`) are
 * verified with `callbackSecret` (`md5`/`sha1` of `id:phone:status:<secret>`) and answered `200 OK`. We found no
 * per-message callback URL among SMSC's `send.php` parameters, so `statusCallbackUrl` is not sent. The
 * callback page could not be read in full: field names and the formula were cross-checked against two open-source
 * SMSC handlers; what stays unconfirmed is listed in the package README ("Webhooks").
 * @example
 * const gateway = createSmscGateway({ login: 'dealer', password: process.env.SMSC_PASSWORD, callbackSecret: process.env.SMSC_CALLBACK_SECRET });
 * const sms = createSmsChannel({ gateway });
 * @throws ValidationError on the first request when login or password is missing (naming the setting and its variable).
 * @see https://smsc.ru/api/http/
 * @see https://smsc.ru/api/http/miscellaneous/callback/
 */
export function createSmscGateway(settings: SmscGatewaySettings = {}): SmsGateway {
  const secrets = createSecretRegistry();
  secrets.add(settings.password);
  secrets.add(settings.callbackSecret);
  let http: HttpClient | undefined;
  const client = () =>
    (http ??= createHttpClient({
      channel: 'sms',
      baseURL: settings.baseURL ?? 'https://smsc.ru',
      classifyError: (response) => defaultErrorClassifier({ ...response, channel: 'sms' }),
      secrets,
      ...(settings.headers ? { headers: settings.headers } : {}),
      ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }));
  // `cost`: 1 = only quote the price, 3 = send and report the price and balance.
  const sendForm = (
    request: { to: string; text: string; sender?: string | undefined; id?: string | undefined },
    cost: 1 | 3,
  ) => ({
    ...credentials(),
    phones: request.to,
    mes: request.text,
    fmt: 3,
    charset: 'utf-8',
    cost,
    sender: request.sender,
    id: request.id,
  });
  const credentials = () => {
    const login = loadSetting(settings.login, 'SMSC_LOGIN', { channel: 'sms', option: 'login', description: 'SMSC login' });
    const password = loadSetting(settings.password, 'SMSC_PASSWORD', {
      channel: 'sms',
      option: 'password',
      description: 'SMSC password',
      secrets,
    });
    return { login, psw: password };
  };

  return {
    name: 'smsc',
    accountId: settings.accountId ?? 'smsc.ru',
    rateLimit: settings.rateLimit,
    secrets: () => secrets.values(),

    async send(request, { signal }): Promise<SmsGatewaySendResult> {
      const body = await client().request({
        method: 'POST',
        path: 'sys/send.php',
        form: sendForm({ ...request, id: smscClientId(request.clientReference) }, 3),
        schema: smscSendResponseSchema,
        signal,
      });
      if (body.error_code || body.error) throw classifySmscError(body.error_code ?? 1, body, body.error);
      if (body.id === null || body.id === undefined)
        throw new ChannelApiError({ channel: 'sms', retryable: false, message: 'smsc: answer without id', raw: body });
      const kopecks = rublesToKopecks(body.cost);
      return {
        providerMessageId: `${body.id}:${request.to.replace(/^\+/, '')}`,
        ...(body.cnt ? { segments: body.cnt } : {}),
        ...(kopecks !== undefined ? { cost: money(kopecks, 'RUB') } : {}),
      };
    },

    async getStatus(providerMessageId, options = {}): Promise<SmsDeliveryStatus> {
      const [id, phone] = providerMessageId.split(':');
      if (!id || !phone)
        throw new ChannelApiError({
          channel: 'sms',
          code: 'not_found',
          retryable: false,
          message: 'smsc: message id must be "<id>:<phone>"',
        });
      const body = await client().request({
        path: 'sys/status.php',
        searchParams: { ...credentials(), phone, id, fmt: 3 },
        schema: smscStatusResponseSchema,
        signal: options.signal,
      });
      if (body.error_code || body.error) throw classifySmscError(body.error_code ?? 1, body, body.error);
      const mapped = body.status === null || body.status === undefined ? undefined : mapSmscStatus(body.status, body.err);
      if (!mapped)
        throw new ChannelApiError({
          channel: 'sms',
          code: 'not_found',
          providerCode: body.status ?? 'missing',
          retryable: false,
          message: `smsc: message ${id} not found`,
          raw: body,
        });
      return {
        providerMessageId,
        status: mapped.status,
        providerStatus: body.status as number,
        ...(mapped.error ? { error: mapped.error } : {}),
      };
    },

    async getCost(request, options = {}): Promise<SmsCostQuote> {
      const body = await client().request({
        method: 'POST',
        path: 'sys/send.php',
        form: sendForm(request, 1),
        schema: smscSendResponseSchema,
        signal: options.signal,
      });
      if (body.error_code || body.error) throw classifySmscError(body.error_code ?? 1, body, body.error);
      const kopecks = rublesToKopecks(body.cost);
      if (kopecks === undefined || !body.cnt)
        throw new ChannelApiError({ channel: 'sms', retryable: false, message: 'smsc: cost answer without cost/cnt', raw: body });
      return { cost: money(kopecks, 'RUB'), segments: body.cnt };
    },

    async parseWebhook(request, now): Promise<WebhookResult> {
      const secret = loadSetting(settings.callbackSecret, 'SMSC_CALLBACK_SECRET', {
        channel: 'sms',
        option: 'callbackSecret',
        secrets,
        optional: true,
      });
      if (!secret)
        throw new WebhookError({
          channel: 'sms',
          kind: 'signature',
          message: 'smsc: no callback secret to verify callbacks (pass settings.callbackSecret or set SMSC_CALLBACK_SECRET)',
        });
      // SMSC posts a form; a handler reached with GET carries the same fields in the query.
      const parameters = request.body.byteLength > 0 ? parseFormBody(request.body, 'smsc') : request.url.searchParams;
      if (!verifySmscSignature(parameters, secret))
        throw new WebhookError({
          channel: 'sms',
          kind: 'signature',
          message: 'smsc: callback md5/sha1 signature missing or wrong',
        });
      // An inbound SMS to a dedicated number: verified, not a delivery status of ours.
      if (parameters.has('mes') && !parameters.has('status')) return { events: [], ignored: 1, response: ok() };
      const parsed = smscCallbackSchema.safeParse(Object.fromEntries(parameters));
      if (!parsed.success)
        throw new WebhookError({
          channel: 'sms',
          kind: 'malformed',
          message: 'smsc: callback without a numeric id, phone and status',
          cause: parsed.error,
        });
      const callback = parsed.data;
      const providerStatus = Number(callback.status);
      const err = callback.err ? Number(callback.err) : undefined;
      const mapped = mapSmscStatus(providerStatus, Number.isFinite(err) ? err : undefined);
      // -1 (still queued at SMSC) and codes we do not know change nothing; SMSC still gets its 200.
      if (!mapped || mapped.status === 'queued') return { events: [], ignored: 1, response: ok() };
      const seconds = Number(callback.ts);
      const kopecks = rublesToKopecks(callback.cost);
      const event: StatusEvent = {
        type: 'status',
        providerMessageId: `${callback.id}:${callback.phone.replace(/\D/g, '')}`,
        // SMSC numbers its own ids: any other id is one we chose, our message id.
        ...(/^\d+$/.test(callback.id) ? {} : { messageId: callback.id }),
        status: mapped.status,
        at: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : now,
        ...(mapped.error ? { error: mapped.error } : {}),
        ...(kopecks !== undefined && kopecks > 0 ? { cost: money(kopecks, 'RUB') } : {}),
        metadata: {
          provider: 'smsc',
          providerStatus,
          ...(err !== undefined ? { err } : {}),
          ...(callback.cnt ? { segments: Number(callback.cnt) } : {}),
        },
      };
      return { events: [event], response: ok() };
    },
  };
}
