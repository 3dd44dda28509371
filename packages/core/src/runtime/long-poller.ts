import { ChannelApiError } from '../errors/channel-api-error.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { type RetryOptions, retryAfterOf } from './retry.js';

/** What one poll of the provider brought: the updates in order, and where the next poll starts. */
export interface LongPollBatch<Update, Cursor> {
  /** The updates, in the provider's order; each is handed to {@link LongPollerOptions.deliver}. */
  readonly updates: readonly Update[];
  /** The cursor once every update of the batch is handled (MAX's `marker`, VK's `ts`). @default the cursor is kept */
  readonly cursor?: Cursor | undefined;
}

/** What {@link LongPollerOptions.fetchUpdates} is given for one poll. */
export interface LongPollFetchContext<Cursor> {
  /** Where this poll starts: the last cursor, or `undefined` before the first one. */
  readonly cursor: Cursor | undefined;
  /** Aborted when the poller stops (or by the caller of `pollOnce`); pass it to the request. */
  readonly signal: AbortSignal | undefined;
  /**
   * Moves (and persists) the cursor before the batch is returned, e.g. a long-poll server obtained first, which a
   * failure later in the poll must not lose.
   */
  setCursor(cursor: Cursor): Promise<void>;
}

/** How long a failed poll waits before the next one. */
export interface LongPollBackoff {
  /** The first wait in ms; each further failure in a row doubles it. @default 1000 */
  initialMs?: number | undefined;
  /** The longest wait in ms before jitter. @default 60000 */
  maxMs?: number | undefined;
  /** Lengthen each wait by a random part of up to half of it, so many pollers do not retry in lockstep. @default true */
  jitter?: boolean | undefined;
}

/** Options of {@link createLongPoller}. */
export interface LongPollerOptions<Update, Cursor> {
  /** The channel kind, named in the errors the poller raises (`'telegram'`). */
  channel: string;
  /**
   * The provider-specific step: one long-poll request from `context.cursor`, parsed into updates. Retrying a 429 or a
   * 5xx within the poll is up to it (`withRetry`); what it throws ends the poll, is reported to `onError` and waited
   * out (see `backoff`).
   */
  fetchUpdates(context: LongPollFetchContext<Cursor>): Promise<LongPollBatch<Update, Cursor>>;
  /**
   * Hands one update to the hub, e.g. `(update) => hub.handleWebhook(channel.id, channel.updateRequest(update))`.
   * A 5xx answer ends the poll before that update (the cursor stays before it, so it is polled again); a 4xx one
   * skips the update and reports it to `onError`.
   */
  deliver(update: Update): Promise<{ readonly status: number }>;
  /**
   * The cursor after one handled update (delivered or refused), for providers that confirm update by update, as
   * Telegram's `offset` (`update_id + 1`). Return `undefined` to keep the cursor. @default the cursor moves per batch only
   */
  cursorAfter?: ((update: Update, cursor: Cursor | undefined) => Cursor | undefined) | undefined;
  /** Where to resume (a cursor saved from an earlier run). @default none: the provider's oldest unconfirmed update */
  cursor?: Cursor | undefined;
  /**
   * Called with each new cursor, before the next poll starts: save it to resume after a restart. A failure is handled
   * as a failed poll.
   */
  onCursor?: ((cursor: Cursor) => void | Promise<void>) | undefined;
  /** Called with each failure the loop survives or stops on. An error thrown here is ignored. */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Failures that stop the loop besides a rejected token (an `AuthError`, or HTTP 401/403), e.g. Telegram's 409
   * Conflict. @default none
   */
  isFatal?: ((error: unknown) => boolean) | undefined;
  /** Waits between failed polls. @default 1 s doubling up to 60 s, with jitter */
  backoff?: LongPollBackoff | undefined;
  /** Waits between failed polls (injectable for tests); must resolve early when `signal` aborts. @default setTimeout */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** Controls of a running or stopped polling loop: what every channel's poller offers besides its cursor. */
export interface PollingLoop {
  /** Starts the loop in the background (no-op when running). Returns at once. */
  start(): void;
  /**
   * Stops the loop and aborts its poll in flight; resolves once no poll is in flight (a `pollOnce` called directly is
   * aborted only by its own signal).
   */
  stop(): Promise<void>;
  /**
   * Polls once and delivers the batch; returns how many updates were delivered. The loop calls it; tests may too.
   * Calls wait for each other, so at most one poll is in flight.
   * @throws what `fetchUpdates` or `onCursor` threw, or a retryable `ChannelApiError` when the hub answered 5xx.
   */
  pollOnce(signal?: AbortSignal): Promise<number>;
  /** True from `start()` until the loop has ended (stopped, or stopped itself on a fatal error). */
  readonly running: boolean;
}

/** A running or stopped long-polling loop, made by {@link createLongPoller}. */
export interface LongPoller<Cursor> extends PollingLoop {
  /** Where the next poll starts (save it to resume after a restart, or use `onCursor`). */
  readonly cursor: Cursor | undefined;
}

/**
 * The options every channel's poller takes besides its provider's own (`createMaxPoller`, `createTelegramPoller`,
 * `createVkPoller`): how updates reach the hub, failures, retries and waits.
 */
export interface ChannelPollerOptions {
  /**
   * Hands one update, wrapped as a webhook delivery (`channel.updateRequest`), to the hub:
   * `(request) => hub.handleWebhook(channel.id, request)`. A 5xx answer ends the poll before that update (the cursor
   * stays before it, so it is polled again); a 4xx one skips the update and reports it to `onError`.
   */
  deliver: (request: Request) => Promise<Response>;
  /** Called with each failure the loop survives or stops on (network, 5xx, a refused update, a rejected token). */
  onError?: ((error: unknown) => void) | undefined;
  /** How one request of a poll is retried (429, 5xx, network). @default core's policy, `Retry-After` honoured */
  retry?: RetryOptions | undefined;
  /** Waits between failed polls (injectable for tests). @default setTimeout */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

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

/** A rejected or expired token: polling again cannot help. */
function isAuthFailure(error: unknown): boolean {
  if (!OmnidealerError.isInstance(error)) return false;
  if (error.code === 'auth') return true;
  return ChannelApiError.isInstance(error) && (error.statusCode === 401 || error.statusCode === 403);
}

/**
 * The long-polling loop of a channel without webhooks (a CRM without a public URL): polls the provider with
 * `fetchUpdates`, hands each update to `deliver`, moves the cursor and persists it through `onCursor`. At most one poll
 * is in flight. A failed poll is reported to `onError` and the loop waits (`backoff`: 1 s doubling up to 60 s, with
 * jitter, and at least the `retryAfterMs` a 429 carried: `retry_after` / `Retry-After`). A rejected token (an
 * `AuthError`, HTTP 401/403) or an `isFatal` error is reported and stops the loop instead of polling again.
 * `stop()` aborts the poll in flight and resolves when it has ended.
 * @example
 * const poller = createLongPoller({
 *   channel: 'telegram',
 *   fetchUpdates: async ({ cursor, signal }) => ({ updates: await client.getUpdates({ offset: cursor }, { signal }) }),
 *   cursorAfter: (update) => update.update_id + 1,
 *   deliver: (update) => hub.handleWebhook(channel.id, channel.updateRequest(update)),
 * });
 * poller.start();
 * process.on('SIGTERM', () => void poller.stop());
 */
export function createLongPoller<Update, Cursor>(options: LongPollerOptions<Update, Cursor>): LongPoller<Cursor> {
  const { channel } = options;
  const sleep = options.sleep ?? defaultSleep;
  const initialMs = options.backoff?.initialMs ?? 1_000;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  const jitter = options.backoff?.jitter ?? true;
  let cursor = options.cursor;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();

  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A listener's failure must not stop or break the loop.
    }
  };
  const fatal = (error: unknown) => isAuthFailure(error) || (options.isFatal?.(error) ?? false);

  async function setCursor(next: Cursor): Promise<void> {
    if (Object.is(next, cursor)) return;
    cursor = next;
    await options.onCursor?.(next);
  }

  async function poll(signal: AbortSignal | undefined): Promise<number> {
    // Stopped while waiting for the poll before: no new request.
    signal?.throwIfAborted();
    const batch = await options.fetchUpdates({ cursor, signal, setCursor });
    let delivered = 0;
    for (const update of batch.updates) {
      const response = await options.deliver(update);
      if (response.status >= 500) {
        throw new ChannelApiError({
          channel,
          retryable: true,
          message: `${channel}: the hub answered ${response.status} to a polled update; it will be polled again`,
        });
      }
      if (response.status >= 400) {
        report(
          new ChannelApiError({
            channel,
            retryable: false,
            message: `${channel}: a polled update was refused (${response.status})`,
          }),
        );
      } else delivered++;
      const next = options.cursorAfter?.(update, cursor);
      if (next !== undefined) await setCursor(next);
    }
    if (batch.cursor !== undefined) await setCursor(batch.cursor);
    return delivered;
  }

  function pollOnce(signal?: AbortSignal): Promise<number> {
    const result = inFlight.then(() => poll(signal));
    inFlight = result.catch(() => undefined);
    return result;
  }

  async function run(signal: AbortSignal): Promise<void> {
    let backoff = initialMs;
    while (!signal.aborted) {
      try {
        await pollOnce(signal);
        backoff = initialMs;
      } catch (error) {
        if (signal.aborted) return;
        report(error);
        if (fatal(error)) return;
        const wait = jitter ? backoff * (1 + Math.random() / 2) : backoff;
        await sleep(Math.max(wait, retryAfterOf(error) ?? 0), signal);
        backoff = Math.min(backoff * 2, maxMs);
      }
    }
  }

  return {
    start() {
      if (loop) return;
      controller = new AbortController();
      loop = run(controller.signal).finally(() => {
        loop = undefined;
      });
    },
    async stop() {
      controller?.abort();
      await loop;
      await inFlight;
    },
    pollOnce,
    get cursor() {
      return cursor;
    },
    get running() {
      return loop !== undefined;
    },
  };
}
