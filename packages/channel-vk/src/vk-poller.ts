import { ChannelApiError, OmnidealerError } from '@omnidealer/core';
import { type ChannelPollerOptions, createLongPoller, type LongPoller, withRetry } from '@omnidealer/core/provider-utils';
import type { VkChannel } from './vk-channel.js';
import type { VkLongPollServer } from './vk-client.js';

/** Options of {@link createVkPoller}: the channel, how long VK holds a poll, and the options every poller takes. */
export interface VkPollerOptions extends ChannelPollerOptions {
  /** The channel whose community is polled (its client, its secret for the wrapped deliveries). Needs `groupId`. */
  channel: VkChannel;
  /** Seconds VK holds a poll open when there is nothing new (1–90). @default 25 */
  waitSeconds?: number | undefined;
}

/** A running or stopped Bots Long Poll loop; its `cursor` is the long-poll server (`server`, `key`, `ts`). */
export interface VkPoller extends LongPoller<VkLongPollServer> {
  /** The `ts` of the next poll (undefined before the first `groups.getLongPollServer`). */
  readonly ts: string | undefined;
}

/**
 * Runs Bots Long Poll for a CRM without a public URL and feeds each update to the hub exactly as a Callback API
 * delivery (`channel.updateRequest`), so polled and pushed events are the same, deduplicated the same way.
 *
 * `groups.getLongPollServer` gives `server`, `key` and `ts`; each poll is `GET <server>?act=a_check&key&ts&wait`. VK's
 * `failed` answers are handled as VK documents them: **1** — events were lost past the history: take the new `ts`;
 * **2** — the key expired: ask for a new key, keep `ts`; **3** — key and history lost: ask for a new key and `ts`.
 * API calls and polls go through core's retry (error 6, 5xx, network); a failure it gives up on is reported and the
 * loop waits 3 s, doubling up to 60 s (with jitter). A rejected token (`AuthError`) stops the loop. The loop is core's
 * `createLongPoller`.
 * @example
 * const poller = createVkPoller({ channel: vk, deliver: (request) => hub.handleWebhook(vk.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://dev.vk.com/ru/api/bots-long-poll/getting-started
 */
export function createVkPoller(options: VkPollerOptions): VkPoller {
  const { channel } = options;
  const newServer = (signal: AbortSignal | undefined) =>
    withRetry(() => channel.client.getLongPollServer({ signal }), options.retry);

  const poller = createLongPoller<unknown, VkLongPollServer>({
    channel: 'vk',
    async fetchUpdates({ cursor, signal, setCursor }) {
      const current = cursor ?? (await newServer(signal));
      await setCursor(current);
      const answer = await withRetry(
        () => channel.client.longPoll(current, { waitSeconds: options.waitSeconds ?? 25 }, { signal }),
        options.retry,
      );
      if (answer.failed === undefined) {
        return { updates: answer.updates, cursor: answer.ts !== undefined ? { ...current, ts: answer.ts } : undefined };
      }
      if (answer.failed === 1 && answer.ts !== undefined) return { updates: [], cursor: { ...current, ts: answer.ts } };
      if (answer.failed === 2) return { updates: [], cursor: { ...(await newServer(signal)), ts: current.ts } };
      if (answer.failed === 3) return { updates: [], cursor: await newServer(signal) };
      throw new ChannelApiError({
        channel: 'vk',
        retryable: false,
        providerCode: answer.failed,
        message: `vk: the long-poll server answered failed=${answer.failed}`,
      });
    },
    deliver: (update) => options.deliver(channel.updateRequest(update)),
    onError: options.onError,
    // A missing token or community id cannot heal by polling again.
    isFatal: (error) => OmnidealerError.isInstance(error) && error.code === 'validation',
    backoff: { initialMs: 3_000 },
    sleep: options.sleep,
  });
  // `ts` is where VK's next poll starts.
  return Object.defineProperty(poller, 'ts', { get: () => poller.cursor?.ts, enumerable: true }) as VkPoller;
}
