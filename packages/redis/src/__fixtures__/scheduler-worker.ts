// A worker process for the scheduler tests: `scheduler-worker.ts <redisUrl> <queueName> <sqlitePath> <leaseMs>`.
// It reports `ready`, then `started` for each step it begins — and never finishes one, so the parent can SIGKILL it mid-step.
import { createSqliteStore } from '@omnidealer/store-sqlite';
import { createBullMqScheduler } from '../bullmq-scheduler.js';

const [redisUrl, queueName, path, leaseMs] = process.argv.slice(2);
if (!redisUrl || !queueName || !path || !process.send)
  throw new Error('usage: scheduler-worker.ts <redisUrl> <queue> <sqlite> <leaseMs>');
const url = new URL(redisUrl);
const store = createSqliteStore({ path });
const scheduler = createBullMqScheduler({
  connection: { host: url.hostname, port: Number(url.port) },
  queueName,
  store,
  kinds: ['reminder'],
  leaseMs: Number(leaseMs),
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
  sweepIntervalMs: 0,
});
await scheduler.start(async (job) => {
  process.send?.({ started: job.id, attempts: job.attempts });
  await new Promise(() => undefined);
});
process.send({ ready: true });
