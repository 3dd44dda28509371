import type { z } from 'zod';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { RateLimitError } from '../errors/rate-limit-error.js';
import type { SecretRegistry } from '../redact.js';
import { createNodeTransport, fetchTransport, type Transport, type TransportResponse } from './http-transport.js';
import { TransportTimeoutError } from './request-deadline.js';

/** One keep-alive pool for every client that brings no `fetch` of its own. */
let sharedTransport: Transport | undefined;

/** Turns a provider's error response into a typed error. Channel packages supply one; the default is generic. */
export type ErrorClassifier = (response: {
  status: number;
  body: unknown;
  text: string;
  retryAfterMs: number | undefined;
  channel: string;
  /** The channel account's id ({@link HttpClientOptions.accountId}), for the error's `accountId`. */
  accountId?: string | undefined;
}) => OmnidealerError;

/** Options of {@link createHttpClient}: the same settings base in every channel package. */
export interface HttpClientOptions {
  channel: string;
  /** Id of the channel account making the calls; set on every {@link ChannelApiError} the client throws. */
  accountId?: string | undefined;
  baseURL: string;
  /** Static headers (auth) or a function returning them per request (rotating OAuth tokens). */
  headers?: Record<string, string> | (() => Promise<Record<string, string>> | Record<string, string>);
  /** Per-request timeout in ms. @default 15000 */
  timeoutMs?: number;
  /** Custom fetch (tests, proxies). Without one, requests go over `node:http(s)` with keep-alive (faster than `fetch`). */
  fetch?: typeof fetch;
  classifyError?: ErrorClassifier;
  /**
   * `'error'` refuses redirects: an API that never redirects (the WhatsApp Cloud API) then gets a clear,
   * non-retryable error instead, and each request skips the copy of its body that `fetch` keeps in case it must
   * follow one (measured ~150 µs of CPU per request, a quarter of a whole send). @default 'follow'
   */
  redirect?: 'follow' | 'error';
  /** The channel's secrets: removed from every error this client throws (messages, stacks, raw bodies). */
  secrets?: SecretRegistry;
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
export const defaultErrorClassifier: ErrorClassifier = ({ status, body, retryAfterMs, channel, accountId }) => {
  if (status === 429)
    return new RateLimitError({
      channel,
      accountId,
      statusCode: status,
      message: `${channel}: rate limited (HTTP 429)`,
      raw: body,
      retryAfterMs,
    });
  return new ChannelApiError({
    channel,
    accountId,
    statusCode: status,
    message: `${channel}: HTTP ${status}`,
    retryable: status >= 500 || status === 408,
    raw: body,
    retryAfterMs,
  });
};

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function clean(values: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const output: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) output[key] = String(value);
  return output;
}

/** Our timer fired, not the caller's signal: a retryable timeout, whether it hit before or during the body. */
function timeoutError(channel: string, accountId: string | undefined, cause: unknown): ChannelApiError {
  return new ChannelApiError({
    channel,
    accountId,
    code: 'timeout',
    retryable: true,
    message: `${channel}: request timed out`,
    cause,
  });
}

/** `fetch` with `redirect: 'error'` rejects a redirect with a TypeError caused by "unexpected redirect". */
function isRedirectRefusal(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const cause: unknown = error.cause;
  const reason = typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : '';
  return /redirect/i.test(reason);
}

/**
 * Creates the HTTP helper channel packages share: base URL, auth headers, JSON or form bodies, timeouts, and
 * mapping of every failure (HTTP error, timeout, network, malformed body) to a typed error. It never retries: the
 * runtime does, so nothing retries twice. Built on `fetch` directly rather than ky: ky builds a `Request` object
 * per call, which measured 0.5× raw-fetch throughput on the send path (`pnpm bench send-path`) against 0.6×+ here.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { channel, accountId } = options;
  const classify = options.classifyError ?? defaultErrorClassifier;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const base = options.baseURL.endsWith('/') ? options.baseURL : `${options.baseURL}/`;
  const redirect = options.redirect ?? 'follow';
  const transport = options.fetch ? fetchTransport(options.fetch) : (sharedTransport ??= createNodeTransport());

  const { secrets } = options;
  // The request headers for the last header object the settings gave, per content type: a channel's header function
  // returns one object per token, so most requests reuse these instead of copying them (the transport and node:http
  // only read them).
  let headersGiven: Record<string, string> | undefined;
  const headersByType = new Map<string | undefined, Record<string, string>>();
  const headersFor = (given: Record<string, string> | undefined, contentType: string | undefined): Record<string, string> => {
    if (given !== headersGiven) {
      headersGiven = given;
      headersByType.clear();
    }
    let headers = headersByType.get(contentType);
    if (!headers) {
      headers = contentType
        ? { accept: 'application/json', 'content-type': contentType, ...given }
        : { accept: 'application/json', ...given };
      headersByType.set(contentType, headers);
    }
    return headers;
  };
  const client: HttpClient = {
    async request<T>(request: HttpRequest<T>): Promise<T> {
      const provided = typeof options.headers === 'function' ? options.headers() : options.headers;
      // Awaited only when it is a promise: a sync header function (a cached token) costs no extra turn.
      const given = isPromise(provided) ? await provided : provided;
      let url = base + (request.path.startsWith('/') ? request.path.slice(1) : request.path);
      if (request.searchParams) {
        const query = new URLSearchParams(clean(request.searchParams)).toString();
        if (query) url += (url.includes('?') ? '&' : '?') + query;
      }
      let requestBody: string | FormData | undefined;
      let contentType: string | undefined;
      if (request.json !== undefined) {
        requestBody = JSON.stringify(request.json);
        contentType = 'application/json';
      } else if (request.form) {
        requestBody = new URLSearchParams(clean(request.form)).toString();
        contentType = 'application/x-www-form-urlencoded;charset=UTF-8';
      } else if (request.body) requestBody = request.body;
      const headers = headersFor(given, contentType);
      let response: TransportResponse;
      try {
        response = await transport(url, {
          method: request.method ?? 'GET',
          headers,
          body: requestBody,
          signal: request.signal,
          timeoutMs,
          redirect,
        });
      } catch (error) {
        if (error instanceof TransportTimeoutError) throw timeoutError(channel, accountId, error);
        if (OmnidealerError.isInstance(error)) throw error;
        if ((error as Error)?.name === 'AbortError') throw error;
        if (redirect === 'error' && isRedirectRefusal(error)) {
          throw new ChannelApiError({
            channel,
            accountId,
            retryable: false,
            message: `${channel}: the API answered with a redirect; set the base URL to its final address`,
            cause: error,
          });
        }
        throw new ChannelApiError({
          channel,
          accountId,
          code: 'network',
          retryable: true,
          message: `${channel}: network error: ${(error as Error)?.message ?? String(error)}`,
          cause: error,
        });
      }
      if (response.status < 200 || response.status >= 300) {
        const text = await response.text().catch(() => '');
        let errorBody: unknown = text;
        try {
          errorBody = JSON.parse(text);
        } catch {
          // Non-JSON error bodies (HTML from a proxy) are kept as text.
        }
        throw classify({
          status: response.status,
          body: errorBody,
          text,
          retryAfterMs: parseRetryAfter(response.header('retry-after') ?? null),
          channel,
          accountId,
        });
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (error instanceof TransportTimeoutError) throw timeoutError(channel, accountId, error);
        // The connection dropped mid-body after a 2xx: the provider acted. A read is safe to repeat; a write (a send)
        // is not — repeating it would deliver twice — so it is reported as `response_lost` and never retried.
        const method = request.method ?? 'GET';
        throw new ChannelApiError({
          channel,
          accountId,
          code: method === 'GET' ? 'network' : 'response_lost',
          retryable: method === 'GET',
          statusCode: response.status,
          message: `${channel}: response body cut off after HTTP ${response.status}`,
          cause: error,
        });
      }
      if (request.responseType === 'text') return text as T;
      let body: unknown;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch (error) {
        throw new ChannelApiError({
          channel,
          accountId,
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
        throw new ChannelApiError({
          channel,
          accountId,
          statusCode: response.status,
          retryable: false,
          message: `${channel}: unexpected response shape: ${parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')}`,
          raw: body,
        });
      }
      return parsed.data;
    },
  };
  if (!secrets) return client;
  return {
    request: <T>(request: HttpRequest<T>): Promise<T> =>
      client.request(request).catch((error: unknown) => {
        throw secrets.redactError(error);
      }),
  };
}
