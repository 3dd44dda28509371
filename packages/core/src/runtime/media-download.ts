import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { isPrivateAddress, isPrivateUrl } from '../model/public-url.js';
import { requestOnce } from './http-transport.js';
import { RequestDeadline } from './request-deadline.js';

/** Options of {@link downloadMedia}. */
export interface MediaDownloadOptions {
  /** Channel kind put on errors. */
  channel: string;
  /** Allow loopback and private-network hosts (a sandbox, tests). @default false */
  allowPrivate?: boolean | undefined;
  /** Larger files are refused. @default 16 MiB */
  maxBytes?: number | undefined;
  /** For the whole download, redirects included. @default 15000 */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** DNS lookup (tests); the default is the system resolver. */
  lookup?: LookupFunction | undefined;
}

/** A downloaded media file. */
export interface DownloadedMedia {
  data: Uint8Array;
  /** The `Content-Type` the server sent, if any. */
  contentType?: string | undefined;
  /** The URL after redirects. */
  url: string;
}

const MAX_REDIRECTS = 3;

/** A lookup that fails when the host resolves to a private address, checked at connect time (no DNS rebinding). */
function publicOnly(resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || list.some((entry) => isPrivateAddress(entry.address))) {
        const refused = Object.assign(new Error('media host resolves to a private address'), { code: 'EPRIVATEADDRESS' });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
      const first = list[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Downloads a media file that a channel must upload itself (Avito images, e-mail attachments). Only `http(s)`; at
 * most three redirects, each checked again; unless `allowPrivate`, a host that is private by name or resolves to a
 * private address is refused when connecting, so neither a redirect nor DNS rebinding reaches internal services.
 * @throws ValidationError for a URL that is not public or a file over `maxBytes`; ChannelApiError for HTTP errors
 * (retryable on 5xx), network failures and a passed `timeoutMs` (code `timeout`; both retryable).
 */
export async function downloadMedia(url: string, options: MediaDownloadOptions): Promise<DownloadedMedia> {
  const deadline = new RequestDeadline(options.timeoutMs ?? 15_000);
  try {
    return await downloadWithin(deadline, url, options);
  } finally {
    deadline.clear();
  }
}

async function downloadWithin(deadline: RequestDeadline, url: string, options: MediaDownloadOptions): Promise<DownloadedMedia> {
  const { channel } = options;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const lookup = options.allowPrivate ? options.lookup : publicOnly(options.lookup ?? (dnsLookup as LookupFunction));
  const refuse = (message: string) => new ValidationError({ channel, field: 'content.url', message });
  // Retryable either way; `timeout` when the deadline is what cut it off.
  const failed = (message: string, cause: unknown) =>
    new ChannelApiError({ channel, code: deadline.expired ? 'timeout' : 'network', retryable: true, message, cause });
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') throw refuse('media URLs must be http(s)');
    if (!options.allowPrivate && isPrivateUrl(current.href)) throw refuse('media URL points at a loopback or private address');
    let response: IncomingMessage;
    try {
      response = await requestOnce(current, {
        method: 'GET',
        signal: options.signal,
        lookup,
        onRequest: (outgoing) => deadline.watch(outgoing),
      });
      deadline.watch(response);
    } catch (error) {
      if ((error as { code?: string }).code === 'EPRIVATEADDRESS') throw refuse('media host resolves to a private address');
      throw failed('could not download the media', error);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw refuse(`media URL redirects more than ${MAX_REDIRECTS} times`);
      current = new URL(location, current);
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new ChannelApiError({
        channel,
        statusCode: status,
        retryable: status >= 500,
        message: `could not download the media (HTTP ${status})`,
      });
    }
    if (Number(response.headers['content-length'] ?? 0) > maxBytes) {
      response.destroy();
      throw refuse(`media is larger than ${maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          response.destroy();
          throw refuse(`media is larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (ValidationError.isInstance(error)) throw error;
      throw failed('media download cut off', error);
    }
    const contentType = response.headers['content-type'];
    return { data: new Uint8Array(Buffer.concat(chunks)), url: current.href, ...(contentType ? { contentType } : {}) };
  }
}
