// Shared rate limit: 2–4 clients (separate ioredis connections, as separate processes would hold) send through one
// channel limit clustered in Redis. Reports the aggregate rate each group achieves against the limit and the busiest
// sliding second. Uses REDIS_URL, or starts a throwaway redis-server.
// Run alone: `npx tsx --conditions=omnidealer-source packages/redis/bench/shared-limit.bench.ts` (prints a table).
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../src/redis-rate-limiter.js';
import { redisServerAvailable, startRedisServer } from '../test/start-redis-server.js';

/** Same shape as the repository's bench kit result. */
export interface SharedLimitBenchmarkResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  summary: Record<string, number>;
  goals?: Array<{ figure: string; op: '>=' | '<='; target: number }>;
  notes?: string[];
}

/** Options of {@link runSharedLimitBenchmark}. */
export interface SharedLimitBenchmarkOptions {
  /** The shared limit. @default 50 */
  perSecond?: number;
  /** Launches per group (all clients together). @default 4 × perSecond */
  launches?: number;
  /** Client counts to measure. @default [2, 3, 4] */
  clients?: number[];
  /** @default process.env.REDIS_URL, else a redis-server started for the run */
  redisUrl?: string;
}

function busiestSecond(sorted: number[]): number {
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) - (sorted[start] as number) < 1000) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

async function measure(redisUrl: string, clients: number, perSecond: number, launches: number) {
  const id = `omnidealer:bench:${randomUUID()}`;
  const redis = Array.from({ length: clients }, () => new Redis(redisUrl));
  const limiters = redis.map((client) => createRedisRateLimiter({ redis: client })({ id, perSecond }));
  const times: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: launches }, (_, index) =>
        limiters[index % clients]?.schedule(`recipient-${index}`, async () => {
          times.push(Date.now());
        }),
      ),
    );
  } finally {
    for (const limiter of limiters) await limiter.stop();
    for (const client of redis) client.disconnect();
  }
  times.sort((a, b) => a - b);
  const achieved = ((times.length - 1) * 1000) / ((times.at(-1) as number) - (times[0] as number));
  return { achieved, busiest: busiestSecond(times) };
}

/** Measures the aggregate rate of 2–4 clients sharing one Redis-clustered limit. */
export async function runSharedLimitBenchmark(options: SharedLimitBenchmarkOptions = {}): Promise<SharedLimitBenchmarkResult> {
  const perSecond = options.perSecond ?? 50;
  const launches = options.launches ?? perSecond * 4;
  const external = options.redisUrl ?? process.env.REDIS_URL;
  const available = external ? ({ ok: true } as const) : redisServerAvailable();
  if (!available.ok) {
    return {
      name: 'redis: shared rate limit across clients',
      rows: [],
      summary: {},
      notes: [`skipped: no REDIS_URL and no redis-server binary (${available.reason}); apt-get install -y redis-server`],
    };
  }
  const server = external ? undefined : await startRedisServer();
  const redisUrl = external ?? (server?.url as string);
  const rows: SharedLimitBenchmarkResult['rows'] = [];
  try {
    for (const clients of options.clients ?? [2, 3, 4]) {
      const { achieved, busiest } = await measure(redisUrl, clients, perSecond, launches);
      rows.push({
        clients,
        limitPerSecond: perSecond,
        launches,
        achievedPerSecond: Number(achieved.toFixed(2)),
        percentOfLimit: Number(((achieved / perSecond) * 100).toFixed(1)),
        busiestSecond: busiest,
      });
    }
  } finally {
    await server?.stop();
  }
  const percents = rows.map((row) => row.percentOfLimit as number);
  const busiest = rows.map((row) => row.busiestSecond as number);
  return {
    name: 'redis: shared rate limit across clients',
    rows,
    summary: {
      limitPerSecond: perSecond,
      minPercentOfLimit: Math.min(...percents),
      maxBusiestSecond: Math.max(...busiest),
    },
    goals: [
      { figure: 'minPercentOfLimit', op: '>=', target: 95 },
      { figure: 'maxBusiestSecond', op: '<=', target: perSecond },
    ],
    notes: [
      'Each client is a createRedisRateLimiter limiter with its own ioredis connection and the same limiter id, as separate processes would be.',
      'Each launch is admitted by one atomic Redis script (slots planned (1000 + marginMs) / perSecond apart, at most perSecond in any 1000 + marginMs ms; marginMs = 30), so launches stay within the limit in every second even when a client stalls.',
      'The provider-side proof (4 processes, sandbox arrivals) is packages/redis/src/multi-process-limit.test.ts.',
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runSharedLimitBenchmark();
  console.log(result.name);
  console.table(result.rows);
  console.log(result.summary);
  for (const note of result.notes ?? []) console.log(`note: ${note}`);
}
