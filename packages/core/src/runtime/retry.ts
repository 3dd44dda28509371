import pRetry, { AbortError } from 'p-retry';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { OmnidealerError } from '../errors/omnidealer-error.js';

/** How the runtime retries a failed provider call. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 4 */
  retries?: number;
  /** First backoff delay in ms. @default 500 */
  minTimeoutMs?: number;
  /** Longest single backoff delay in ms. @default 30000 */
  maxTimeoutMs?: number;
  /** Give up once this much time has passed since the first attempt. @default 120000 */
  maxRetryTimeMs?: number;
  /** Multiply delays by a random factor in [1, 2) so many clients don't retry in lockstep. @default true */
  jitter?: boolean;
  /** Waits used to honour `Retry-After` (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `Retry-After` delay a {@link ChannelApiError} (or its subclass `RateLimitError`) carries, if any. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!ChannelApiError.isInstance(error)) return undefined;
  const value = error.retryAfterMs;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}

/**
 * Runs `operation` and retries it with exponential backoff and jitter while it fails with an error marked
 * `retryable`. A `Retry-After` from the provider is waited out before the next attempt. Non-omnidealer errors
 * (bugs) are not retried.
 * @throws the last error when attempts or time run out, or the first non-retryable error.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  onRetry?: (error: OmnidealerError, attempt: number) => void,
): Promise<T> {
  // The first attempt runs outside p-retry: almost every call succeeds at once, and p-retry's setup (options copy
  // and checks, wrapper promises) cost more than the rest of this function. A retryable failure hands over to
  // p-retry as its first failed attempt, so backoff, attempt numbers and the time budget are exactly p-retry's.
  const started = performance.now();
  let firstError: unknown;
  try {
    return await operation(1);
  } catch (error) {
    if (!(OmnidealerError.isInstance(error) && error.retryable)) throw error instanceof Error ? error : new Error(String(error));
    firstError = error;
  }
  const sleep = options.sleep ?? realSleep;
  const maxRetryTime = options.maxRetryTimeMs ?? 120_000;
  return pRetry(
    async (attempt) => {
      if (attempt === 1) throw firstError;
      try {
        return await operation(attempt);
      } catch (error) {
        if (OmnidealerError.isInstance(error) && error.retryable) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: options.retries ?? 4,
      minTimeout: options.minTimeoutMs ?? 500,
      maxTimeout: options.maxTimeoutMs ?? 30_000,
      // The budget counts from the first attempt, which ran before p-retry started its clock.
      maxRetryTime: Math.max(0, maxRetryTime - (performance.now() - started)),
      randomize: options.jitter ?? true,
      factor: 2,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!OmnidealerError.isInstance(error) || retriesLeft === 0) return;
        onRetry?.(error, attemptNumber);
        const retryAfter = retryAfterOf(error);
        if (retryAfter !== undefined && retryAfter > 0) await sleep(retryAfter);
      },
    },
  ).catch((error: unknown) => {
    // p-retry wraps AbortError; surface the original error to callers.
    if (error instanceof AbortError) throw error.originalError;
    throw error;
  });
}
