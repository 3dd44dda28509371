import { ChannelApiError } from '@omnidealer/core';
import { type ChannelPollerOptions, createLongPoller, type LongPoller, withRetry } from '@omnidealer/core/provider-utils';
import { TELEGRAM_HANDLED_UPDATE_TYPES } from './telegram-api.js';
import type { TelegramChannel } from './telegram-channel.js';

/** Options of {@link createTelegramPoller}: the channel, what to ask Telegram for, and the options every poller takes. */
export interface TelegramPollerOptions extends ChannelPollerOptions {
  /** The channel whose bot is polled (its client, its secret for the wrapped deliveries). */
  channel: TelegramChannel;
  /** Update kinds to ask for (`allowed_updates`). @default message, callback_query, my_chat_member */
  allowedUpdates?: readonly string[] | undefined;
  /** Seconds Telegram holds a poll open when there is nothing new. @default 30 */
  timeoutSeconds?: number | undefined;
  /** Updates per page (1–100). @default 100 */
  limit?: number | undefined;
  /** Where to resume (an offset saved from an earlier run). @default none: the oldest unconfirmed update */
  offset?: number | undefined;
}

/** A running or stopped long-polling loop; `cursor` and `offset` are the same. */
export interface TelegramPoller extends LongPoller<number> {
  /** The `offset` of the next poll (the last handled `update_id` + 1; save it to resume after a restart). */
  readonly offset: number | undefined;
}

function updateIdOf(update: unknown): number | undefined {
  const id = (update as { update_id?: unknown } | null)?.update_id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Long-polls `getUpdates` for a CRM without a public URL and feeds each update to the hub exactly as a webhook
 * delivery (`channel.updateRequest`), so polled and pushed updates become the same events, deduplicated the same way.
 * Each handled update is confirmed by the next poll's `offset`. Each poll goes through core's retry (429 after
 * `retry_after`, 5xx and network retried); a failure the retry gives up on is reported and the loop waits 1 s, doubling
 * up to 60 s (with jitter). A rejected token (`AuthError`) or a 409 Conflict (a webhook is set, or another poller runs)
 * stops the loop. Telegram serves `getUpdates` only while no webhook is set (`client.deleteWebhook()` first). The loop
 * is core's `createLongPoller`.
 * @example
 * const poller = createTelegramPoller({ channel: telegram, deliver: (request) => hub.handleWebhook(telegram.id, request) });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 * @see https://core.telegram.org/bots/api#getupdates
 */
export function createTelegramPoller(options: TelegramPollerOptions): TelegramPoller {
  const { channel } = options;
  const poller = createLongPoller<unknown, number>({
    channel: 'telegram',
    cursor: options.offset,
    async fetchUpdates({ cursor, signal }) {
      const updates = await withRetry(
        () =>
          channel.client.getUpdates(
            {
              offset: cursor,
              limit: options.limit ?? 100,
              timeoutSeconds: options.timeoutSeconds ?? 30,
              allowedUpdates: options.allowedUpdates ?? TELEGRAM_HANDLED_UPDATE_TYPES,
            },
            { signal },
          ),
        options.retry,
      );
      return { updates };
    },
    cursorAfter(update, offset) {
      const id = updateIdOf(update);
      return id === undefined ? undefined : Math.max(offset ?? 0, id + 1);
    },
    deliver: (update) => options.deliver(channel.updateRequest(update)),
    onError: options.onError,
    isFatal: (error) => ChannelApiError.isInstance(error) && error.statusCode === 409,
    backoff: { initialMs: 1_000 },
    sleep: options.sleep,
  });
  // `offset` is Telegram's name for the poller's cursor.
  return Object.defineProperty(poller, 'offset', { get: () => poller.cursor, enumerable: true }) as TelegramPoller;
}
