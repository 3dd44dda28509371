import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../errors/auth-error.js';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { RateLimitError } from '../errors/rate-limit-error.js';
import { createLongPoller, type LongPollBatch, type LongPollerOptions } from './long-poller.js';

type Update = { id: number; status?: number };

/**
 * A fake provider: answers each poll with the next scripted batch or error; once the script is done, holds the poll
 * open (as an idle long poll does) until it is aborted, or answers an empty batch to a poll without a signal.
 */
function fakeProvider(script: Array<LongPollBatch<Update, number> | Error>) {
  const polls: Array<number | undefined> = [];
  const fetchUpdates: LongPollerOptions<Update, number>['fetchUpdates'] = async ({ cursor, signal }) => {
    polls.push(cursor);
    const next = script.shift();
    if (next instanceof Error) throw next;
    if (next) return next;
    if (signal) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return { updates: [] };
  };
  return { polls, fetchUpdates };
}

function setup(script: Array<LongPollBatch<Update, number> | Error>, extra: Partial<LongPollerOptions<Update, number>> = {}) {
  const provider = fakeProvider(script);
  const delivered: number[] = [];
  const errors: unknown[] = [];
  const saved: number[] = [];
  const sleeps: number[] = [];
  const poller = createLongPoller<Update, number>({
    channel: 'fake',
    fetchUpdates: provider.fetchUpdates,
    deliver: async (update) => {
      delivered.push(update.id);
      return { status: update.status ?? 200 };
    },
    onCursor: (cursor) => void saved.push(cursor),
    onError: (error) => errors.push(error),
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
  });
  return { poller, polls: provider.polls, delivered, errors, saved, sleeps };
}

const serverError = () => new ChannelApiError({ channel: 'fake', retryable: true, statusCode: 502, message: 'fake: HTTP 502' });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createLongPoller', () => {
  it('delivers a batch in order, then moves and persists the cursor; the next poll starts there', async () => {
    const { poller, polls, delivered, saved } = setup([{ updates: [{ id: 1 }, { id: 2 }], cursor: 10 }, { updates: [] }], {
      cursor: 7,
    });
    expect(await poller.pollOnce()).toBe(2);
    expect(delivered).toEqual([1, 2]);
    expect(poller.cursor).toBe(10);
    expect(saved).toEqual([10]);
    expect(await poller.pollOnce()).toBe(0);
    expect(polls).toEqual([7, 10]);
    // A batch without a cursor keeps it, and persists nothing.
    expect(saved).toEqual([10]);
  });

  it('moves the cursor update by update with cursorAfter, and keeps it before an update the hub failed', async () => {
    const { poller, delivered, errors, saved } = setup(
      [{ updates: [{ id: 5 }, { id: 6, status: 400 }, { id: 7, status: 503 }, { id: 8 }] }, { updates: [{ id: 7 }] }],
      { cursorAfter: (update, cursor) => Math.max(cursor ?? 0, update.id + 1) },
    );
    await expect(poller.pollOnce()).rejects.toMatchObject({ name: 'ChannelApiError', channel: 'fake', retryable: true });
    expect(delivered).toEqual([5, 6, 7]);
    // The refused update is reported and passed; the failed one is polled again.
    expect(errors).toEqual([expect.objectContaining({ retryable: false, message: 'fake: a polled update was refused (400)' })]);
    expect(poller.cursor).toBe(7);
    expect(saved).toEqual([6, 7]);
    expect(await poller.pollOnce()).toBe(1);
    expect(poller.cursor).toBe(8);
  });

  it('keeps a cursor set during the poll (setCursor) when the rest of the poll fails', async () => {
    const poller = createLongPoller<Update, number>({
      channel: 'fake',
      fetchUpdates: async ({ setCursor }) => {
        await setCursor(42);
        throw serverError();
      },
      deliver: async () => ({ status: 200 }),
    });
    await expect(poller.pollOnce()).rejects.toMatchObject({ statusCode: 502 });
    expect(poller.cursor).toBe(42);
  });

  it('backs off on errors, doubling up to the maximum, and starts again from the first wait after a success', async () => {
    const { poller, polls, errors, sleeps } = setup(
      [serverError(), serverError(), serverError(), serverError(), { updates: [{ id: 1 }], cursor: 2 }, serverError()],
      { backoff: { initialMs: 1000, maxMs: 4000, jitter: false } },
    );
    poller.start();
    await vi.waitFor(() => expect(sleeps).toHaveLength(5));
    await poller.stop();
    expect(sleeps).toEqual([1000, 2000, 4000, 4000, 1000]);
    expect(errors).toHaveLength(5);
    expect(polls.length).toBeGreaterThanOrEqual(6);
  });

  it('adds jitter of up to half the wait', async () => {
    vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.999);
    const { poller, sleeps } = setup([serverError(), serverError()], { backoff: { initialMs: 1000 } });
    poller.start();
    await vi.waitFor(() => expect(sleeps).toHaveLength(2));
    await poller.stop();
    expect(sleeps[0]).toBe(1000);
    expect(sleeps[1]).toBeGreaterThan(2990);
    expect(sleeps[1]).toBeLessThan(3000);
  });

  it('waits at least the retry_after / Retry-After of a 429', async () => {
    const limited = new RateLimitError({ channel: 'fake', statusCode: 429, retryAfterMs: 30_000, message: 'fake: 429' });
    const { poller, sleeps, errors } = setup([limited, serverError()], { backoff: { initialMs: 1000, jitter: false } });
    poller.start();
    await vi.waitFor(() => expect(sleeps).toHaveLength(2));
    await poller.stop();
    expect(sleeps).toEqual([30_000, 2000]);
    expect(errors[0]).toBe(limited);
  });

  it.each([
    ['an AuthError', new AuthError({ channel: 'fake', providerCode: 401, message: 'fake: token rejected' })],
    ['an HTTP 401', new ChannelApiError({ channel: 'fake', statusCode: 401, retryable: false, message: 'fake: 401' })],
    ['an HTTP 403', new ChannelApiError({ channel: 'fake', statusCode: 403, retryable: false, message: 'fake: 403' })],
  ])('stops on %s (an expired token) and reports it instead of polling again', async (_, error) => {
    const { poller, polls, errors, sleeps } = setup([error]);
    poller.start();
    expect(poller.running).toBe(true);
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors).toEqual([error]);
    expect(polls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('stops on what isFatal names; other failures are polled again', async () => {
    const conflict = new ChannelApiError({ channel: 'fake', statusCode: 409, retryable: false, message: 'fake: 409' });
    const { poller, polls, errors } = setup([serverError(), conflict], {
      isFatal: (error) => ChannelApiError.isInstance(error) && error.statusCode === 409,
    });
    poller.start();
    await vi.waitFor(() => expect(poller.running).toBe(false));
    expect(errors).toEqual([expect.objectContaining({ statusCode: 502 }), conflict]);
    expect(polls).toHaveLength(2);
  });

  it('stop during a poll aborts it and resolves once the request has ended', async () => {
    let ended = false;
    let fetches = 0;
    const errors: unknown[] = [];
    let started!: () => void;
    const polling = new Promise<void>((resolve) => {
      started = resolve;
    });
    const poller = createLongPoller<Update, number>({
      channel: 'fake',
      // A long poll that answers only when aborted, a moment later (as a socket closes).
      fetchUpdates: ({ signal }) =>
        new Promise((_, reject) => {
          fetches++;
          started();
          signal?.addEventListener('abort', () =>
            setTimeout(() => {
              ended = true;
              reject(signal.reason);
            }, 5),
          );
        }),
      deliver: async () => ({ status: 200 }),
      onError: (error) => errors.push(error),
    });
    poller.start();
    await polling;
    expect(poller.running).toBe(true);
    await poller.stop();
    expect(ended).toBe(true);
    expect(poller.running).toBe(false);
    // It can be started again; stopped before its poll began, it sends no request.
    poller.start();
    expect(poller.running).toBe(true);
    await poller.stop();
    expect(poller.running).toBe(false);
    expect(fetches).toBe(1);
    // An abort on stop is not a failure.
    expect(errors).toEqual([]);
  });

  it('stop during the wait after a failure ends the loop at once', async () => {
    const poller = createLongPoller<Update, number>({
      channel: 'fake',
      fetchUpdates: async () => {
        throw serverError();
      },
      deliver: async () => ({ status: 200 }),
      backoff: { initialMs: 3_600_000 },
    });
    poller.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await poller.stop();
    expect(poller.running).toBe(false);
  });

  it('keeps at most one poll in flight', async () => {
    let active = 0;
    let most = 0;
    const poller = createLongPoller<Update, number>({
      channel: 'fake',
      fetchUpdates: async () => {
        active++;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 2));
        active--;
        return { updates: [{ id: 1 }] };
      },
      deliver: async () => ({ status: 200 }),
    });
    poller.start();
    const direct = await Promise.all([poller.pollOnce(), poller.pollOnce(), poller.pollOnce()]);
    await poller.stop();
    expect(direct).toEqual([1, 1, 1]);
    expect(most).toBe(1);
  });

  it('a listener that throws changes nothing; a failed onCursor is a failed poll', async () => {
    const { poller, errors } = setup(
      [
        { updates: [{ id: 1 }], cursor: 3 },
        { updates: [], cursor: 4 },
      ],
      {
        onError: (error) => {
          errors.push(error);
          throw new Error('listener bug');
        },
        onCursor: (cursor) => {
          if (cursor === 4) throw new Error('store down');
        },
        backoff: { jitter: false },
      },
    );
    poller.start();
    await vi.waitFor(() => expect(errors).toEqual([expect.objectContaining({ message: 'store down' })]));
    expect(poller.running).toBe(true);
    await poller.stop();
    expect(poller.cursor).toBe(4);
  });
});
