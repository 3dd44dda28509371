import { randomUUID } from 'node:crypto';
import { createRateLimiter, type RateLimiter } from '@omnidealer/core/provider-utils';
import type Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl } from './__fixtures__/redis-url.js';
import { createRedisRateLimitConnection } from './redis-rate-limit-connection.js';

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
async function runTwoProcesses(total: number, perSecond: number, shared: boolean, launchJitterMs = 100) {
  const id = `omnidealer:whatsapp:test-${randomUUID()}`;
  const clients = [new Redis(redisUrl), new Redis(redisUrl)];
  const connections: Bottleneck.IORedisConnection[] = shared
    ? clients.map((redis) => createRedisRateLimitConnection({ redis, launchJitterMs }))
    : [];
  const limiters: RateLimiter[] = clients.map((_, index) => createRateLimiter({ id, perSecond, connection: connections[index] }));
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
    for (const connection of connections) await connection.disconnect();
    for (const client of clients) client.disconnect();
  }
  const sorted = [...launches].sort((a, b) => a - b);
  return {
    busiest: busiestSecond(launches),
    rate: ((launches.length - 1) * 1000) / ((sorted.at(-1) as number) - (sorted[0] as number)),
  };
}

describe.skipIf(!redisUrl)('createRedisRateLimitConnection (real redis-server)', () => {
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

  it('(control) without the connection each limiter spends its own budget, doubling the rate', async () => {
    const perSecond = 20;
    const result = await runTwoProcesses(50, perSecond, false);
    expect(result.busiest).toBeGreaterThan(perSecond);
  }, 20_000);

  it('spaces two sends to one recipient from two processes by the interval, without holding up the others', async () => {
    const id = `omnidealer:whatsapp:test-${randomUUID()}`;
    const clients = [new Redis(redisUrl), new Redis(redisUrl)];
    const connections = clients.map((redis) => createRedisRateLimitConnection({ redis }));
    const limiters = connections.map((connection) =>
      createRateLimiter({ id, perSecond: 100, perRecipientIntervalMs: 400, connection }),
    );
    cleanup.push(async () => {
      for (const limiter of limiters) await limiter.stop();
      for (const connection of connections) await connection.disconnect();
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
    const connections = clients.map((redis) => createRedisRateLimitConnection({ redis }));
    const limiters = connections.map((connection) => createRateLimiter({ id, maxConcurrent: 2, connection }));
    cleanup.push(async () => {
      for (const limiter of limiters) await limiter.stop();
      for (const connection of connections) await connection.disconnect();
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

  it('leaves the caller’s ioredis client open when the connection closes', async () => {
    const redis = new Redis(redisUrl);
    cleanup.push(() => redis.disconnect());
    const connection = createRedisRateLimitConnection({ redis });
    await connection.ready;
    await connection.disconnect();
    expect(await redis.ping()).toBe('PONG');
  });
});
