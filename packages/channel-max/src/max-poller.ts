import { OmnidealerError, ProviderError, type RetryOptions, retryAfterOf, withRetry } from '@omnidealer/core';
import type { MaxChannel } from './max-channel.js';
import { MAX_HANDLED_UPDATE_TYPES } from './max-client.js';

/** Options of {@link createMaxPoller}. */
export interface MaxPollerOptions {
  /** The channel whose bot is polled (its client, its secret for the wrapped deliveries). */
  channel: MaxChannel;
  /**
   * Hands one update, wrapped as a webhook delivery, to the hub: `(request) => hub.handleWebhook(channel.id, request)`.
   * A 5xx answer stops the page (the marker is not advanced, the page is polled again); a 4xx one skips the update.
   */
  deliver: (request: Request) => Promise<Response>;
  /** Update types to ask for. @default message_created, message_callback, bot_started, bot_stopped */
  types?: readonly string[] | undefined;
  /** Seconds MAX holds a poll open when there is nothing new (0–90). @default 30 */
  timeoutSeconds?: number | undefined;
  /** Updates per page (1–1000). @default 100 */
  limit?: number | undefined;
  /** Where to resume (a marker saved from an earlier run). @default none: MAX's oldest unread update */
  marker?: number | undefined;
  /** Called with each failure the loop survives or stops on (network, 5xx, a refused update, a rejected token). */
  onError?: ((error: unknown) => void) | undefined;
  /** How one poll is retried (429, 5xx, network). @default core's policy: 4 retries, backoff from 500 ms, `Retry-After` honoured */
  retry?: RetryOptions | undefined;
  /** Waits between failed polls (injectable for tests). @default setTimeout */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** A running or stopped long-polling loop. */
export interface MaxPoller {
  /** Starts the loop in the background (no-op when running). Resolves at once. */
  start(): void;
  /** Stops the loop and aborts the poll in flight; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Polls one page and delivers it; returns how many updates were delivered. The loop calls it; tests may too. */
  pollOnce(signal?: AbortSignal): Promise<number>;
  /** The marker of the next page (save it to resume after a restart). */
  readonly marker: number | undefined;
  readonly running: boolean;
}

const firstBackoffMs = 5_000;
const maxBackoffMs = 60_000;

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Long-polls `GET /updates` for a CRM without a public URL and feeds each update to the hub exactly as a webhook
 * delivery (`channel.updateRequest`), so polled and pushed updates become the same events, deduplicated the same way.
 * Each poll goes through core's retry (429 and 5xx retried, `Retry-After` honoured); a failure the retry gives up on
 * is reported and the loop waits 5 s, doubling up to 60 s, as the official client's `Polling` does. A rejected token
 * (`AuthError`) stops the loop. MAX serves polling only while the bot has no webhook subscription.
 * @example
 * const poller = createMaxPoller({ channel: max, deliver: (request) => hub.handleWebhook(max.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://dev.max.ru/docs-api/methods/GET/updates
 */
export function createMaxPoller(options: MaxPollerOptions): MaxPoller {
  const { channel } = options;
  const sleep = options.sleep ?? defaultSleep;
  let marker = options.marker;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function pollOnce(signal?: AbortSignal): Promise<number> {
    const page = await withRetry(
      () =>
        channel.client.getUpdates(
          {
            marker,
            limit: options.limit ?? 100,
            timeoutSeconds: options.timeoutSeconds ?? 30,
            types: options.types ?? MAX_HANDLED_UPDATE_TYPES,
          },
          { signal },
        ),
      options.retry,
    );
    let delivered = 0;
    for (const update of page.updates) {
      const response = await options.deliver(channel.updateRequest(update));
      if (response.status >= 500) {
        throw new ProviderError({
          channel: 'max',
          retryable: true,
          message: `max: the hub answered ${response.status} to a polled update; the page will be polled again`,
        });
      }
      if (response.status >= 400) {
        options.onError?.(
          new ProviderError({
            channel: 'max',
            retryable: false,
            message: `max: a polled update was refused (${response.status})`,
          }),
        );
        continue;
      }
      delivered++;
    }
    if (page.marker !== undefined) marker = page.marker;
    return delivered;
  }

  async function run(signal: AbortSignal): Promise<void> {
    let backoff = firstBackoffMs;
    while (!signal.aborted) {
      try {
        await pollOnce(signal);
        backoff = firstBackoffMs;
      } catch (error) {
        if (signal.aborted) return;
        options.onError?.(error);
        if (OmnidealerError.isInstance(error) && error.code === 'auth') return;
        await sleep(Math.max(backoff, retryAfterOf(error) ?? 0), signal);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  }

  return {
    start() {
      if (loop) return;
      controller = new AbortController();
      const signal = controller.signal;
      loop = run(signal).finally(() => {
        loop = undefined;
      });
    },
    async stop() {
      controller?.abort();
      await loop;
    },
    pollOnce,
    get marker() {
      return marker;
    },
    get running() {
      return loop !== undefined;
    },
  };
}
