import { ChannelApiError, OmnidealerError } from '@omnidealer/core';
import { type RetryOptions, retryAfterOf, withRetry } from '@omnidealer/core/provider-utils';
import { TELEGRAM_HANDLED_UPDATE_TYPES } from './telegram-api.js';
import type { TelegramChannel } from './telegram-channel.js';

/** Options of {@link createTelegramPoller}. */
export interface TelegramPollerOptions {
  /** The channel whose bot is polled (its client, its secret for the wrapped deliveries). */
  channel: TelegramChannel;
  /**
   * Hands one update, wrapped as a webhook delivery, to the hub: `(request) => hub.handleWebhook(channel.id, request)`.
   * A 5xx answer stops the page (the offset stays before that update, which is polled again); a 4xx one skips it.
   */
  deliver: (request: Request) => Promise<Response>;
  /** Update kinds to ask for (`allowed_updates`). @default message, callback_query, my_chat_member */
  allowedUpdates?: readonly string[] | undefined;
  /** Seconds Telegram holds a poll open when there is nothing new. @default 30 */
  timeoutSeconds?: number | undefined;
  /** Updates per page (1–100). @default 100 */
  limit?: number | undefined;
  /** Where to resume (an offset saved from an earlier run). @default none: the oldest unconfirmed update */
  offset?: number | undefined;
  /** Called with each failure the loop survives or stops on (network, 5xx, a refused update, a rejected token). */
  onError?: ((error: unknown) => void) | undefined;
  /** How one poll is retried (429, 5xx, network). @default core's policy; a 429 waits `retry_after` */
  retry?: RetryOptions | undefined;
  /** Waits between failed polls (injectable for tests). @default setTimeout */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** A running or stopped long-polling loop. */
export interface TelegramPoller {
  /** Starts the loop in the background (no-op when running). Resolves at once. */
  start(): void;
  /** Stops the loop and aborts the poll in flight; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Polls one page and delivers it; returns how many updates were delivered. The loop calls it; tests may too. */
  pollOnce(signal?: AbortSignal): Promise<number>;
  /** The `offset` of the next poll (the last handled `update_id` + 1; save it to resume after a restart). */
  readonly offset: number | undefined;
  readonly running: boolean;
}

const firstBackoffMs = 1_000;
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

function updateIdOf(update: unknown): number | undefined {
  const id = (update as { update_id?: unknown } | null)?.update_id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Long-polls `getUpdates` for a CRM without a public URL and feeds each update to the hub exactly as a webhook
 * delivery (`channel.updateRequest`), so polled and pushed updates become the same events, deduplicated the same way.
 * Each handled update is confirmed by the next poll's `offset`. Each poll goes through core's retry (429 after
 * `retry_after`, 5xx and network retried); a failure the retry gives up on is reported and the loop waits 1 s, doubling
 * up to 60 s. A rejected token (`AuthError`) or a 409 Conflict (a webhook is set, or another poller runs) stops the
 * loop. Telegram serves `getUpdates` only while no webhook is set (`client.deleteWebhook()` first).
 * @example
 * const poller = createTelegramPoller({ channel: telegram, deliver: (request) => hub.handleWebhook(telegram.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://core.telegram.org/bots/api#getupdates
 */
export function createTelegramPoller(options: TelegramPollerOptions): TelegramPoller {
  const { channel } = options;
  const sleep = options.sleep ?? defaultSleep;
  let offset = options.offset;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function pollOnce(signal?: AbortSignal): Promise<number> {
    const updates = await withRetry(
      () =>
        channel.client.getUpdates(
          {
            offset,
            limit: options.limit ?? 100,
            timeoutSeconds: options.timeoutSeconds ?? 30,
            allowedUpdates: options.allowedUpdates ?? TELEGRAM_HANDLED_UPDATE_TYPES,
          },
          { signal },
        ),
      options.retry,
    );
    let delivered = 0;
    for (const update of updates) {
      const response = await options.deliver(channel.updateRequest(update));
      if (response.status >= 500) {
        throw new ChannelApiError({
          channel: 'telegram',
          retryable: true,
          message: `telegram: the hub answered ${response.status} to a polled update; it will be polled again`,
        });
      }
      if (response.status >= 400) {
        options.onError?.(
          new ChannelApiError({
            channel: 'telegram',
            retryable: false,
            message: `telegram: a polled update was refused (${response.status})`,
          }),
        );
      } else delivered++;
      const id = updateIdOf(update);
      if (id !== undefined) offset = Math.max(offset ?? 0, id + 1);
    }
    return delivered;
  }

  const fatal = (error: unknown) =>
    OmnidealerError.isInstance(error) &&
    (error.code === 'auth' || (ChannelApiError.isInstance(error) && error.statusCode === 409));

  async function run(signal: AbortSignal): Promise<void> {
    let backoff = firstBackoffMs;
    while (!signal.aborted) {
      try {
        await pollOnce(signal);
        backoff = firstBackoffMs;
      } catch (error) {
        if (signal.aborted) return;
        options.onError?.(error);
        if (fatal(error)) return;
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
    get offset() {
      return offset;
    },
    get running() {
      return loop !== undefined;
    },
  };
}
