import { randomUUID } from 'node:crypto';
import { createRateLimiter, type RateLimiter, ValidationError } from '@omnidealer/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from './__fixtures__/redis-url.js';
import { createRedisRateLimiter } from './redis-rate-limiter.js';

const redisUrl = testRedisUrl();

/** Most launches inside any one-second window (a window starts at each launch). */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) - (sorted[start] as number) < 1000) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

/** Two limiters with the same id, as two processes would create them, each sending half of `total` tasks. */
async function runTwoProcesses(total: number, perSecond: number, shared: boolean, marginMs = 100) {
  const id = `omnidealer:whatsapp:test-${randomUUID()}`;
  const clients = [new Redis(redisUrl), new Redis(redisUrl)];
  const limiters: RateLimiter[] = clients.map((redis) =>
    shared ? createRedisRateLimiter({ redis, marginMs })({ id, perSecond }) : createRateLimiter({ id, perSecond }),
  );
  const launches: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: total }, (_, index) =>
        (limiters[index % 2] as RateLimiter).schedule(`+7916000${String(index).padStart(4, '0')}`, async () => {
          launches.push(Date.now());
        }),
      ),
    );
  } finally {
    for (const limiter of limiters) await limiter.stop();
    for (const client of clients) client.disconnect();
  }
  const sorted = [...launches].sort((a, b) => a - b);
  return {
    busiest: busiestSecond(launches),
    rate: ((launches.length - 1) * 1000) / ((sorted.at(-1) as number) - (sorted[0] as number)),
  };
}

describe.skipIf(!redisUrl)('createRedisRateLimiter (real redis-server)', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  it('makes two limiters on separate Redis clients share one perSecond budget', async () => {
    const perSecond = 20;
    const result = await runTwoProcesses(50, perSecond, true);
    expect(result.busiest).toBeLessThanOrEqual(perSecond);
    // Shared, not merely slow: together they still reach the limit.
    expect(result.rate).toBeGreaterThan(perSecond * 0.85);
  }, 20_000);

  it('(control) with core’s in-process limiter each process spends its own budget, doubling the rate', async () => {
    const perSecond = 20;
    const result = await runTwoProcesses(50, perSecond, false);
    expect(result.busiest).toBeGreaterThan(perSecond);
  }, 20_000);

  it('spaces two sends to one recipient from two processes by the interval, without holding up the others', async () => {
    const id = `omnidealer:whatsapp:test-${randomUUID()}`;
    const clients = [new Redis(redisUrl), new Redis(redisUrl)];
    const limiters = clients.map((redis) =>
      createRedisRateLimiter({ redis })({ id, perSecond: 100, perRecipientIntervalMs: 400 }),
    );
    cleanup.push(async () => {
      for (const limiter of limiters) await limiter.stop();
      for (const client of clients) client.disconnect();
    });
    const launches: Array<[string, number]> = [];
    const send = (limiter: RateLimiter, recipient: string) =>
      limiter.schedule(recipient, async () => {
        launches.push([recipient, Date.now()]);
      });
    const [first, second] = limiters as [RateLimiter, RateLimiter];
    await Promise.all([send(first, 'alice'), send(second, 'alice'), send(second, 'bob'), send(first, 'carol')]);
    const times = (recipient: string) => launches.filter(([to]) => to === recipient).map(([, at]) => at);
    const [aliceFirst, aliceSecond] = times('alice') as [number, number];
    expect(aliceSecond - aliceFirst).toBeGreaterThanOrEqual(400);
    // Bob and Carol went while Alice's second message waited for her interval.
    expect(Math.max(...times('bob'), ...times('carol'))).toBeLessThan(aliceSecond);
  }, 20_000);

  it('keeps maxConcurrent across processes', async () => {
    const id = `omnidealer:avito:test-${randomUUID()}`;
    const clients = [new Redis(redisUrl), new Redis(redisUrl)];
    const limiters = clients.map((redis) => createRedisRateLimiter({ redis })({ id, maxConcurrent: 2 }));
    cleanup.push(async () => {
      for (const limiter of limiters) await limiter.stop();
      for (const client of clients) client.disconnect();
    });
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        (limiters[index % 2] as RateLimiter).schedule(`r${index}`, async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 50));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
  }, 20_000);

  it('keeps marginMs as its own option: the per-recipient interval is the channel’s plus the margin', async () => {
    const redis = new Redis(redisUrl);
    const limiter = createRedisRateLimiter({ redis, marginMs: 250 })({
      id: `omnidealer:whatsapp:test-${randomUUID()}`,
      perRecipientIntervalMs: 100,
    });
    cleanup.push(async () => {
      await limiter.stop();
      redis.disconnect();
    });
    const launches: number[] = [];
    const send = () => limiter.schedule('alice', async () => launches.push(Date.now()));
    await Promise.all([send(), send()]);
    const [first, second] = launches as [number, number];
    // 100 ms of the channel's interval + 250 ms of margin (Redis's clock and ours may differ by a millisecond).
    expect(second - first).toBeGreaterThanOrEqual(340);
  }, 20_000);

  it('rejects a send when the gate cannot run (Redis closed), never bypassing the limit', async () => {
    const redis = new Redis(redisUrl);
    await redis.quit();
    const limiter = createRedisRateLimiter({ redis })({ id: `omnidealer:whatsapp:test-${randomUUID()}`, perSecond: 10 });
    cleanup.push(() => limiter.stop());
    let ran = false;
    await expect(
      limiter.schedule('alice', async () => {
        ran = true;
      }),
    ).rejects.toThrow(/closed/i);
    expect(ran).toBe(false);
  });

  it('validates its options', () => {
    expect(() => createRedisRateLimiter({ redis: {} as Redis })).toThrow(ValidationError);
    expect(() => createRedisRateLimiter({ redis: new Redis(redisUrl, { lazyConnect: true }), marginMs: -1 })).toThrow(
      /options\.marginMs/,
    );
  });

  it('leaves the caller’s ioredis client open when the limiters stop, and closes its own connections', async () => {
    // Duplicates keep the name: it tells this test's connections from other tests' on the shared redis-server.
    const connectionName = `limiter-test-${randomUUID()}`;
    const redis = new Redis(redisUrl, { connectionName });
    cleanup.push(() => redis.disconnect());
    const limiter = createRedisRateLimiter({ redis })({ id: `omnidealer:avito:test-${randomUUID()}`, maxConcurrent: 1 });
    await limiter.schedule('alice', async () => undefined);
    // Ours, and Bottleneck's two duplicates for maxConcurrent (commands + pub/sub).
    expect(await namedClients(redis, connectionName)).toBe(3);
    await limiter.stop();
    expect(await redis.ping()).toBe('PONG');
    await expect.poll(() => namedClients(redis, connectionName)).toBe(1);
  }, 20_000);
});

async function namedClients(redis: Redis, name: string): Promise<number> {
  const list = String(await redis.client('LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}
