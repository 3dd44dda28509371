import type { Clock } from '@omnidealer/core';
import { createHttpClient, createSecretRegistry, type SecretRegistry, systemClock } from '@omnidealer/core/provider-utils';
import { avitoTokenResponseSchema } from './avito-api.js';
import { classifyAvitoError } from './avito-error.js';

/** Options of {@link createAvitoTokenProvider}. */
export interface AvitoTokenProviderOptions {
  clientId: string;
  clientSecret: string;
  /** @default 'https://api.avito.ru' */
  baseURL?: string | undefined;
  /** @default the system clock */
  clock?: Clock | undefined;
  fetch?: typeof fetch | undefined;
  /** Request timeout in ms. @default 15000 */
  timeoutMs?: number | undefined;
  /** A cached token is replaced this long before Avito's `expires_in` runs out. @default 300000 (5 min) */
  refreshMarginMs?: number | undefined;
  /** The client secret and every access token are added here, so errors and the hub's logs never show them. */
  secrets?: SecretRegistry | undefined;
}

/** Holds one Avito access token per channel instance: fetched lazily, cached, refreshed without stampedes. */
export interface AvitoTokenProvider {
  /**
   * A valid access token: the cached one until `refreshMarginMs` before it expires, otherwise a new one. Concurrent
   * callers share one in-flight `POST /token`.
   * @throws AuthError when Avito rejects the client credentials; RateLimitError / ChannelApiError (retryable) on 429 / 5xx.
   */
  getToken(): Promise<string>;
  /**
   * Called after a 401 with the token that was rejected: fetches a new token unless another caller already replaced
   * it, so ten requests failing with the same expired token cause exactly one refresh.
   */
  refresh(rejected: string): Promise<string>;
  /** How many times a token was requested from Avito (for tests and metrics). */
  readonly fetchCount: number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Used when Avito omits `expires_in` (it documents 86400 s); a short assumption only costs an extra token request. */
const fallbackLifetimeMs = 60 * 60 * 1000;

/**
 * Creates the token holder for the OAuth client-credentials grant: `POST /token` with a form-encoded body
 * `grant_type=client_credentials&client_id=…&client_secret=…`. There is no refresh token for this grant; a new token
 * is fetched before expiry or after a 401. The client secret and every access token are added to `secrets` (a new
 * registry when none is given), so they are redacted from errors and logs.
 * @example
 * const tokens = createAvitoTokenProvider({ clientId, clientSecret });
 * const token = await tokens.getToken();
 * @see https://developers.avito.ru/api-catalog/auth/documentation
 */
export function createAvitoTokenProvider(options: AvitoTokenProviderOptions): AvitoTokenProvider {
  const clock = options.clock ?? systemClock;
  const margin = options.refreshMarginMs ?? 5 * 60 * 1000;
  const secrets = options.secrets ?? createSecretRegistry();
  secrets.add(options.clientSecret);
  const http = createHttpClient({
    channel: 'avito',
    baseURL: options.baseURL ?? 'https://api.avito.ru',
    secrets,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    classifyError: (response) => classifyAvitoError({ ...response, scope: 'token' }),
  });
  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;
  let fetchCount = 0;

  // No caller's AbortSignal is passed on: the request is shared, and one caller giving up must not fail the others.
  async function fetchToken(): Promise<CachedToken> {
    fetchCount += 1;
    const requestedAt = clock.now();
    const body = await http.request({
      method: 'POST',
      path: '/token',
      form: { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret },
      schema: avitoTokenResponseSchema,
    });
    secrets.add(body.access_token);
    const lifetime = body.expires_in ? body.expires_in * 1000 : fallbackLifetimeMs;
    // Never cache for less than half the lifetime, even with a margin larger than a short-lived token.
    return { value: body.access_token, expiresAt: requestedAt + Math.max(lifetime - margin, lifetime / 2) };
  }

  function renew(): Promise<string> {
    if (!pending) {
      const started = fetchToken().then((token) => {
        cached = token;
        return token;
      });
      pending = started;
      void started
        .finally(() => {
          if (pending === started) pending = undefined;
        })
        .catch(() => undefined);
    }
    return pending.then((token) => token.value);
  }

  return {
    getToken() {
      if (cached && clock.now() < cached.expiresAt) return Promise.resolve(cached.value);
      return renew();
    },
    refresh(rejected) {
      if (cached && cached.value !== rejected && clock.now() < cached.expiresAt) return Promise.resolve(cached.value);
      if (cached?.value === rejected) cached = undefined;
      return renew();
    },
    get fetchCount() {
      return fetchCount;
    },
  };
}
