import { type ChannelPollerOptions, createLongPoller, type LongPoller, withRetry } from '@omnidealer/core/provider-utils';
import type { MaxChannel } from './max-channel.js';
import { MAX_HANDLED_UPDATE_TYPES } from './max-client.js';

/** Options of {@link createMaxPoller}: the channel, what to ask MAX for, and the options every poller takes. */
export interface MaxPollerOptions extends ChannelPollerOptions {
  /** The channel whose bot is polled (its client, its secret for the wrapped deliveries). */
  channel: MaxChannel;
  /** Update types to ask for. @default message_created, message_callback, bot_started, bot_stopped */
  types?: readonly string[] | undefined;
  /** Seconds MAX holds a poll open when there is nothing new (0–90). @default 30 */
  timeoutSeconds?: number | undefined;
  /** Updates per page (1–1000). @default 100 */
  limit?: number | undefined;
  /** Where to resume (a marker saved from an earlier run). @default none: MAX's oldest unread update */
  marker?: number | undefined;
}

/** A running or stopped long-polling loop; `cursor` and `marker` are the same. */
export interface MaxPoller extends LongPoller<number> {
  /** The marker of the next page (save it to resume after a restart). */
  readonly marker: number | undefined;
}

/**
 * Long-polls `GET /updates` for a CRM without a public URL and feeds each update to the hub exactly as a webhook
 * delivery (`channel.updateRequest`), so polled and pushed updates become the same events, deduplicated the same way.
 * Each poll goes through core's retry (429 and 5xx retried, `Retry-After` honoured); a failure the retry gives up on
 * is reported and the loop waits 5 s, doubling up to 60 s (with jitter), as the official client's `Polling` does. A
 * rejected token (`AuthError`) stops the loop. MAX serves polling only while the bot has no webhook subscription.
 * The loop is core's `createLongPoller`.
 * @example
 * const poller = createMaxPoller({ channel: max, deliver: (request) => hub.handleWebhook(max.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://dev.max.ru/docs-api/methods/GET/updates
 */
export function createMaxPoller(options: MaxPollerOptions): MaxPoller {
  const { channel } = options;
  const poller = createLongPoller<unknown, number>({
    channel: 'max',
    cursor: options.marker,
    async fetchUpdates({ cursor, signal }) {
      const page = await withRetry(
        () =>
          channel.client.getUpdates(
            {
              marker: cursor,
              limit: options.limit ?? 100,
              timeoutSeconds: options.timeoutSeconds ?? 30,
              types: options.types ?? MAX_HANDLED_UPDATE_TYPES,
            },
            { signal },
          ),
        options.retry,
      );
      return { updates: page.updates, cursor: page.marker };
    },
    deliver: (update) => options.deliver(channel.updateRequest(update)),
    onError: options.onError,
    backoff: { initialMs: 5_000 },
    sleep: options.sleep,
  });
  // `marker` is MAX's name for the poller's cursor.
  return Object.defineProperty(poller, 'marker', { get: () => poller.cursor, enumerable: true }) as MaxPoller;
}
