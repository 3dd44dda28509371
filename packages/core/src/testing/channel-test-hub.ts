import type { Channel } from '../channel.js';
import { type Clock, createManualClock } from '../clock.js';
import { createOmnidealer, type Omnidealer } from '../hub.js';
import type { Logger } from '../logger.js';
import type { Message } from '../model/message.js';
import type { ChannelPollerOptions } from '../runtime/long-poller.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';

/** Options of {@link createChannelTestHub}. */
export interface ChannelTestHubOptions {
  /** The hub's clock. @default a manual clock at 2026-04-01T09:00:00Z */
  clock?: Clock | undefined;
  /** Headers `webhook()` sends when given none (the channel's secret header). @default none */
  webhookHeaders?: Record<string, string> | undefined;
}

/** A hub over one channel and what a channel test reads from it. */
export interface ChannelTestHub {
  /** The hub: a memory store, the clock, instant retries that record their waits in `sleeps`. */
  hub: Omnidealer;
  /** The hub's memory store. */
  store: Store;
  /** The hub's clock. */
  clock: Clock;
  /** The waits retries asked for, in ms (the hub's, and those of pollers made with `pollerOptions`); none is waited. */
  sleeps: number[];
  /** Every `message.received` message, in order. */
  received: Message[];
  /** What the hub logged, one JSON line per call (`[fields, message]`). */
  logs: string[];
  /** The failures pollers made with `pollerOptions` reported. */
  errors: unknown[];
  /** Posts `body` (JSON unless a string) to the hub's webhook of the channel, as the provider would. */
  webhook(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /**
   * The options every channel poller takes, for this hub: deliveries to `hub.handleWebhook`, instant retries and
   * waits (retries recorded in `sleeps`), failures recorded in `errors`.
   */
  pollerOptions: ChannelPollerOptions;
}

/**
 * A hub over `channel` for the channel's tests: a memory store, a manual clock, instant retries, the received
 * messages and log lines recorded, a `webhook()` that posts as the provider would, and the options a poller needs.
 * @example
 * const channel = createMaxChannel({ token, webhookSecret: secret });
 * const { hub, received, webhook } = createChannelTestHub(channel, { webhookHeaders: { 'x-max-bot-api-secret': secret } });
 * await webhook(messageCreated);
 * expect(received).toHaveLength(1);
 */
export function createChannelTestHub(channel: Channel, options: ChannelTestHubOptions = {}): ChannelTestHub {
  const clock = options.clock ?? createManualClock(Date.parse('2026-04-01T09:00:00Z'));
  const store = createMemoryStore();
  const sleeps: number[] = [];
  const received: Message[] = [];
  const logs: string[] = [];
  const errors: unknown[] = [];
  const line = (...parts: unknown[]) => void logs.push(JSON.stringify(parts));
  const logger: Logger = { debug: line, info: line, warn: line, error: line };
  const sleep = async (ms: number) => void sleeps.push(ms);
  const hub = createOmnidealer({
    channels: [channel],
    store,
    clock,
    logger,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep },
  });
  hub.on('message.received', ({ message }) => received.push(message));
  return {
    hub,
    store,
    clock,
    sleeps,
    received,
    logs,
    errors,
    webhook: (body, headers = options.webhookHeaders ?? {}) =>
      hub.handleWebhook(
        channel.id,
        new Request(`https://crm.example/hooks/${channel.id}`, {
          method: 'POST',
          headers,
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    pollerOptions: {
      deliver: (request) => hub.handleWebhook(channel.id, request),
      retry: { minTimeoutMs: 0, jitter: false, sleep },
      sleep: async () => undefined,
      onError: (error) => errors.push(error),
    },
  };
}
