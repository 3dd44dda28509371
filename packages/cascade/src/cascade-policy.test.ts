import { describe, expect, it } from 'vitest';
import { resolvePolicy } from './cascade-policy.js';

describe('resolvePolicy', () => {
  it('falls back from the bot messengers only on a failure: they report no delivery or read to bots', () => {
    const { fallback, defaultFallback } = resolvePolicy();
    expect(fallback.max).toEqual({ after: 'failed', withinMs: 86_400_000 });
    expect(fallback.telegram).toEqual({ after: 'failed', withinMs: 86_400_000 });
    expect(fallback.vk).toEqual({ after: 'failed', withinMs: 86_400_000 });
    // Without the entry a Telegram message, which stays `sent`, would always fall back after a day.
    expect(defaultFallback.after).toBe('not_delivered');
    expect(resolvePolicy({ fallback: { telegram: { after: 'failed', withinMs: 3_600_000 } } }).fallback.telegram).toEqual({
      after: 'failed',
      withinMs: 3_600_000,
    });
  });
});
