import ky, { HTTPError, type KyInstance, type Options as KyOptions, TimeoutError } from 'ky';
import type { z } from 'zod';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { RateLimitError } from '../errors/rate-limit-error.js';

/** Turns a provider's error response into a typed error. Channel packages supply one; the default is generic. */
export type ErrorClassifier = (response: {
  status: number;
  body: unknown;
  text: string;
  retryAfterMs: number | undefined;
  channel: string;
}) => OmnidealerError;

/** Options of {@link createHttpClient}: the same settings base in every channel package. */
export interface HttpClientOptions {
  channel: string;
  baseURL: string;
  /** Static headers (auth) or a function returning them per request (rotating OAuth tokens). */
  headers?: Record<string, string> | (() => Promise<Record<string, string>> | Record<string, string>);
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof fetch;
  classifyError?: ErrorClassifier;
}

/** One request. `schema` validates a successful JSON response leniently (unknown fields pass). */
export interface HttpRequest<T> {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  json?: unknown;
  form?: Record<string, string | number | boolean | undefined>;
  body?: FormData;
  searchParams?: Record<string, string | number | boolean | undefined>;
  schema?: z.ZodType<T>;
  signal?: AbortSignal | undefined;
  /** Expect a plain-text body (some SMS gateways). */
  responseType?: 'json' | 'text';
}

/** The shared HTTP helper: JSON in/out, typed errors, no own retries (the runtime retries). */
export interface HttpClient {
  request<T = unknown>(request: HttpRequest<T>): Promise<T>;
}

/** Parses `Retry-After` (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The default mapping of an HTTP failure: 429 → rate limit, 5xx/408 → retryable, everything else final. */
export const defaultErrorClassifier: ErrorClassifier = ({ status, body, retryAfterMs, channel }) => {
  if (status === 429)
    return new RateLimitError({ channel, message: `${channel}: rate limited (HTTP 429)`, raw: body, retryAfterMs });
  return new ProviderError({
    channel,
    statusCode: status,
    message: `${channel}: HTTP ${status}`,
    retryable: status >= 500 || status === 408,
    raw: body,
    retryAfterMs,
  });
};

function clean(values: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const output: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) output[key] = String(value);
  return output;
}

/**
 * Creates the HTTP helper on ky that channel packages share: base URL, auth headers, JSON or form bodies,
 * timeouts, and mapping of every failure (HTTP error, timeout, network, malformed body) to a typed error.
 * ky's own retry is off so nothing retries twice.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { channel } = options;
  const classify = options.classifyError ?? defaultErrorClassifier;
  const client: KyInstance = ky.create({
    prefixUrl: options.baseURL,
    retry: 0,
    timeout: options.timeoutMs ?? 15_000,
    throwHttpErrors: true,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  return {
    async request<T>(request: HttpRequest<T>): Promise<T> {
      const headers = typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
      const kyOptions: KyOptions = {
        method: request.method ?? 'GET',
        headers,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.searchParams ? { searchParams: clean(request.searchParams) } : {}),
        ...(request.json !== undefined ? { json: request.json } : {}),
        ...(request.form ? { body: new URLSearchParams(clean(request.form)) } : {}),
        ...(request.body ? { body: request.body } : {}),
      };
      let response: Response;
      try {
        response = await client(request.path.replace(/^\//, ''), kyOptions);
      } catch (error) {
        if (error instanceof HTTPError) {
          const text = await error.response.text().catch(() => '');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Non-JSON error bodies (HTML from a proxy) are kept as text.
          }
          throw classify({
            status: error.response.status,
            body,
            text,
            retryAfterMs: parseRetryAfter(error.response.headers.get('retry-after')),
            channel,
          });
        }
        if (error instanceof TimeoutError) {
          throw new ProviderError({
            channel,
            code: 'timeout',
            retryable: true,
            message: `${channel}: request timed out`,
            cause: error,
          });
        }
        if (OmnidealerError.isInstance(error)) throw error;
        if ((error as Error)?.name === 'AbortError') throw error;
        throw new ProviderError({
          channel,
          code: 'network',
          retryable: true,
          message: `${channel}: network error: ${(error as Error)?.message ?? String(error)}`,
          cause: error,
        });
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        // The connection dropped mid-body: the provider may have acted, so the runtime decides via idempotency.
        throw new ProviderError({
          channel,
          code: 'network',
          retryable: true,
          message: `${channel}: response body cut off`,
          cause: error,
        });
      }
      if (request.responseType === 'text') return text as T;
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch (error) {
        throw new ProviderError({
          channel,
          statusCode: response.status,
          retryable: false,
          message: `${channel}: malformed JSON in a ${response.status} response`,
          raw: text.slice(0, 500),
          cause: error,
        });
      }
      if (!request.schema) return body as T;
      const parsed = request.schema.safeParse(body);
      if (!parsed.success) {
        throw new ProviderError({
          channel,
          statusCode: response.status,
          retryable: false,
          message: `${channel}: unexpected response shape: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
          raw: body,
        });
      }
      return parsed.data;
    },
  };
}
