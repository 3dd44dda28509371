import {
  AuthError,
  type ChannelRateLimit,
  createHttpClient,
  defaultErrorClassifier,
  type HttpClient,
  money,
  ProviderError,
  registerSecret,
  WebhookError,
} from '@omnidealer/core';
import type { SmsCostQuote, SmsDeliveryStatus, SmsGateway, SmsGatewaySendResult } from './sms-gateway.js';
import { rublesToKopecks } from './sms-ru-api.js';
import { smscSendResponseSchema, smscStatusResponseSchema } from './smsc-api.js';
import { classifySmscError, mapSmscStatus } from './smsc-error.js';

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
  /** Limits the hub applies to this gateway's channel (messages per second, concurrency). */
  rateLimit?: ChannelRateLimit | undefined;
}

type Env = Record<string, string | undefined>;
const env = (): Env => (globalThis as { process?: { env?: Env } }).process?.env ?? {};

/**
 * Creates the SMSC.ru gateway: sends with `POST /sys/send.php` (form-encoded, `fmt=3` JSON answers, `cost=3` so the
 * answer carries the price), polls `/sys/status.php`, quotes with `cost=1`. The number goes out with its `+` so SMSC
 * does not "auto-correct" it. The provider message id is `<id>:<phone digits>` because SMSC looks statuses up by
 * both. Delivery callbacks are not parsed yet: poll with `fetchStatus`.
 * @example
 * const sms = createSmsChannel({ gateway: createSmscGateway({ login: 'dealer', password: process.env.SMSC_PASSWORD }) });
 * @throws AuthError on the first request when login or password is missing.
 * @see https://smsc.ru/api/http/
 */
export function createSmscGateway(settings: SmscGatewaySettings = {}): SmsGateway {
  registerSecret(settings.password);
  let http: HttpClient | undefined;
  const client = () =>
    (http ??= createHttpClient({
      channel: 'sms',
      baseURL: settings.baseURL ?? 'https://smsc.ru',
      classifyError: (response) => defaultErrorClassifier({ ...response, channel: 'sms' }),
      ...(settings.headers ? { headers: settings.headers } : {}),
      ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }));
  // `cost`: 1 = only quote the price, 3 = send and report the price and balance.
  const sendForm = (request: { to: string; text: string; sender?: string | undefined }, cost: 1 | 3) => ({
    ...credentials(),
    phones: request.to,
    mes: request.text,
    fmt: 3,
    charset: 'utf-8',
    cost,
    sender: request.sender,
  });
  const credentials = () => {
    const login = settings.login ?? env().SMSC_LOGIN;
    const password = settings.password ?? env().SMSC_PASSWORD;
    if (!login || !password)
      throw new AuthError({ channel: 'sms', message: 'smsc: login and password are required (SMSC_LOGIN / SMSC_PASSWORD)' });
    registerSecret(password);
    return { login, psw: password };
  };

  return {
    name: 'smsc',
    accountId: settings.accountId ?? 'smsc.ru',
    rateLimit: settings.rateLimit,

    async send(request, { signal }): Promise<SmsGatewaySendResult> {
      const body = await client().request({
        method: 'POST',
        path: 'sys/send.php',
        form: sendForm(request, 3),
        schema: smscSendResponseSchema,
        signal,
      });
      if (body.error_code || body.error) throw classifySmscError(body.error_code ?? 1, body, body.error);
      if (body.id === null || body.id === undefined)
        throw new ProviderError({ channel: 'sms', retryable: false, message: 'smsc: answer without id', raw: body });
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
        throw new ProviderError({
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
        throw new ProviderError({
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
        throw new ProviderError({ channel: 'sms', retryable: false, message: 'smsc: cost answer without cost/cnt', raw: body });
      return { cost: money(kopecks, 'RUB'), segments: body.cnt };
    },

    async parseWebhook() {
      throw new WebhookError({
        channel: 'sms',
        kind: 'malformed',
        message: 'smsc: delivery callbacks are not supported yet; poll with fetchStatus',
      });
    },
  };
}
