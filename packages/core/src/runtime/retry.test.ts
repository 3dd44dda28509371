import { describe, expect, it, vi } from 'vitest';
import { AuthError } from '../errors/auth-error.js';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { RateLimitError } from '../errors/rate-limit-error.js';
import { withRetry } from './retry.js';

const fast = { minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false } as const;

describe('withRetry', () => {
  it('retries retryable errors until success', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new ChannelApiError({ channel: 'sms', message: '503', retryable: true, statusCode: 503 });
        return 'ok';
      },
      { ...fast, sleep: async () => {} },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry non-retryable errors and rethrows the original error', async () => {
    let calls = 0;
    const error = new AuthError({ channel: 'whatsapp', message: 'token expired', providerCode: 190 });
    await expect(
      withRetry(async () => {
        calls += 1;
        throw error;
      }, fast),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('does not retry plain (programming) errors', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls += 1;
        throw new TypeError('bug');
      }, fast),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('waits out Retry-After before the next attempt', async () => {
    const sleep = vi.fn(async () => {});
    let calls = 0;
    await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new RateLimitError({ channel: 'whatsapp', message: '429', retryAfterMs: 7000 });
        return 'ok';
      },
      { ...fast, sleep },
    );
    expect(sleep).toHaveBeenCalledExactlyOnceWith(7000);
  });

  it('is bounded by the number of retries', async () => {
    let calls = 0;
    const onRetry = vi.fn();
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new ChannelApiError({ channel: 'sms', message: '500', retryable: true });
        },
        { ...fast, retries: 3, sleep: async () => {} },
        onRetry,
      ),
    ).rejects.toMatchObject({ retryable: true });
    expect(calls).toBe(4);
    expect(onRetry).toHaveBeenCalledTimes(3);
  });

  it('uses exponential backoff between attempts', async () => {
    vi.useFakeTimers();
    try {
      const times: number[] = [];
      const run = withRetry(
        async () => {
          times.push(Date.now());
          if (times.length < 4) throw new ChannelApiError({ channel: 'sms', message: '500', retryable: true });
          return 'ok';
        },
        { minTimeoutMs: 100, maxTimeoutMs: 10_000, jitter: false, retries: 5 },
      );
      await vi.runAllTimersAsync();
      await expect(run).resolves.toBe('ok');
      const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
      expect(gaps).toEqual([100, 200, 400]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts the time budget from the first attempt', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const run = withRetry(
        async () => {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, 1000));
          throw new ChannelApiError({ channel: 'sms', message: '500', retryable: true });
        },
        { minTimeoutMs: 100, jitter: false, retries: 5, maxRetryTimeMs: 500 },
      );
      const settled = expect(run).rejects.toMatchObject({ retryable: true });
      await vi.runAllTimersAsync();
      await settled;
      expect(calls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('succeeds on the first attempt without a retry callback', async () => {
    const onRetry = vi.fn();
    await expect(withRetry(async (attempt) => `attempt ${attempt}`, fast, onRetry)).resolves.toBe('attempt 1');
    expect(onRetry).not.toHaveBeenCalled();
  });
});
