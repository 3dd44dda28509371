import { ChannelApiError, OmnidealerError } from '@omnidealer/core';
import { type RetryOptions, retryAfterOf, withRetry } from '@omnidealer/core/provider-utils';
import type { VkChannel } from './vk-channel.js';
import type { VkLongPollServer } from './vk-client.js';

/** Options of {@link createVkPoller}. */
export interface VkPollerOptions {
  /** The channel whose community is polled (its client, its secret for the wrapped deliveries). Needs `groupId`. */
  channel: VkChannel;
  /**
   * Hands one update, wrapped as a Callback API delivery, to the hub: `(request) => hub.handleWebhook(channel.id, request)`.
   * A 5xx answer stops the batch (`ts` is not advanced, the batch is polled again); a 4xx one skips the update.
   */
  deliver: (request: Request) => Promise<Response>;
  /** Seconds VK holds a poll open when there is nothing new (1–90). @default 25 */
  waitSeconds?: number | undefined;
  /** Called with each failure the loop survives or stops on (network, 5xx, a refused update, a rejected token). */
  onError?: ((error: unknown) => void) | undefined;
  /** How one API call or poll is retried (error 6, 5xx, network). @default core's policy */
  retry?: RetryOptions | undefined;
  /** Waits between failed polls (injectable for tests). @default setTimeout */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** A running or stopped Bots Long Poll loop. */
export interface VkPoller {
  /** Starts the loop in the background (no-op when running). Resolves at once. */
  start(): void;
  /** Stops the loop and aborts the poll in flight; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Polls once and delivers what came; returns how many updates were delivered. The loop calls it; tests may too. */
  pollOnce(signal?: AbortSignal): Promise<number>;
  /** The `ts` of the next poll (undefined before the first `groups.getLongPollServer`). */
  readonly ts: string | undefined;
  readonly running: boolean;
}

const firstBackoffMs = 3_000;
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
 * Runs Bots Long Poll for a CRM without a public URL and feeds each update to the hub exactly as a Callback API
 * delivery (`channel.updateRequest`), so polled and pushed events are the same, deduplicated the same way.
 *
 * `groups.getLongPollServer` gives `server`, `key` and `ts`; each poll is `GET <server>?act=a_check&key&ts&wait`. VK's
 * `failed` answers are handled as VK documents them: **1** — events were lost past the history: take the new `ts`;
 * **2** — the key expired: ask for a new key, keep `ts`; **3** — key and history lost: ask for a new key and `ts`.
 * API calls and polls go through core's retry (error 6, 5xx, network); a failure it gives up on is reported and the
 * loop waits 3 s, doubling up to 60 s. A rejected token (`AuthError`) stops the loop.
 * @example
 * const poller = createVkPoller({ channel: vk, deliver: (request) => hub.handleWebhook(vk.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://dev.vk.com/ru/api/bots-long-poll/getting-started
 */
export function createVkPoller(options: VkPollerOptions): VkPoller {
  const { channel } = options;
  const sleep = options.sleep ?? defaultSleep;
  let server: VkLongPollServer | undefined;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  const newServer = (signal: AbortSignal | undefined) =>
    withRetry(() => channel.client.getLongPollServer({ signal }), options.retry);

  async function pollOnce(signal?: AbortSignal): Promise<number> {
    server ??= await newServer(signal);
    const current = server;
    const answer = await withRetry(
      () => channel.client.longPoll(current, { waitSeconds: options.waitSeconds ?? 25 }, { signal }),
      options.retry,
    );
    if (answer.failed !== undefined) {
      if (answer.failed === 1 && answer.ts !== undefined) server = { ...current, ts: answer.ts };
      else if (answer.failed === 2) server = { ...(await newServer(signal)), ts: current.ts };
      else if (answer.failed === 3) server = await newServer(signal);
      else {
        throw new ChannelApiError({
          channel: 'vk',
          retryable: false,
          providerCode: answer.failed,
          message: `vk: the long-poll server answered failed=${answer.failed}`,
        });
      }
      return 0;
    }
    let delivered = 0;
    for (const update of answer.updates) {
      const response = await options.deliver(channel.updateRequest(update));
      if (response.status >= 500) {
        throw new ChannelApiError({
          channel: 'vk',
          retryable: true,
          message: `vk: the hub answered ${response.status} to a polled update; the batch will be polled again`,
        });
      }
      if (response.status >= 400) {
        options.onError?.(
          new ChannelApiError({
            channel: 'vk',
            retryable: false,
            message: `vk: a polled update was refused (${response.status})`,
          }),
        );
        continue;
      }
      delivered++;
    }
    if (answer.ts !== undefined) server = { ...current, ts: answer.ts };
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
        if (OmnidealerError.isInstance(error) && (error.code === 'auth' || error.code === 'validation')) return;
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
    get ts() {
      return server?.ts;
    },
    get running() {
      return loop !== undefined;
    },
  };
}
