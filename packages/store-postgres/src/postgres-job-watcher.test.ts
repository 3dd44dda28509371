import { createCascade } from '@omnidealer/cascade';
import { type Channel, createOmnidealer, type ScheduledJob } from '@omnidealer/core';
import { createTestChannel } from '@omnidealer/core/test';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freshSchema, testPostgresUrl } from './__fixtures__/postgres-url.js';
import { createPostgresJobWatcher, jobChannelName, pendingJobsStatement, readPendingJobs } from './postgres-job-watcher.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';

const url = testPostgresUrl();
const admin = url ? new pg.Pool({ connectionString: url, max: 2 }) : undefined;
afterAll(() => admin?.end());

const stores: PostgresStore[] = [];
const create = (schema: string) => {
  const store = createPostgresStore({ connectionString: url, schema, poolSize: 4 });
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
});

const job = (id: string, runAt: number, overrides: Partial<ScheduledJob> = {}): ScheduledJob => ({
  id,
  kind: 'cascade.step',
  runAt,
  payload: {},
  status: 'pending',
  attempts: 0,
  ...overrides,
});

/** The server processes LISTENing on a schema's jobs channel. */
async function listeners(schema: string): Promise<number[]> {
  const { rows } = await (admin as pg.Pool).query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query = $1',
    [`LISTEN "${jobChannelName(schema)}"`],
  );
  return rows.map((row) => row.pid);
}

async function terminate(pids: number[]): Promise<void> {
  await (admin as pg.Pool).query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
}

describe('jobChannelName', () => {
  it('is `<schema>.jobs`, or a hash within the 63-byte limit for a long schema', () => {
    expect(jobChannelName('omnidealer')).toBe('omnidealer.jobs');
    const long = jobChannelName('s'.repeat(63));
    expect(long).toMatch(/^jobs_[0-9a-f]{40}$/);
    expect(long).not.toBe(jobChannelName(`${'s'.repeat(62)}t`));
  });
});

describe.skipIf(!url)('watchJobs (real PostgreSQL: LISTEN/NOTIFY)', () => {
  it('a job one store schedules wakes the watcher of another store on the schema (another process)', async () => {
    const schema = freshSchema();
    const scheduler = create(schema);
    const worker = create(schema);
    await worker.migrate();
    const told: Array<[number, string]> = [];
    const unwatch = worker.watchJobs?.((runAt, kind) => told.push([runAt, kind]));
    expect(unwatch).toBeDefined();
    await vi.waitFor(async () => expect(await listeners(schema)).toHaveLength(1), { timeout: 10_000 });

    await scheduler.scheduleJob(job('j1', 1_000));
    await scheduler.scheduleJob(job('j2', 2_000, { kind: 'trigger.idle' }));
    await scheduler.scheduleJob(job('j3', 3_000, { status: 'cancelled' })); // not runnable: not told
    await vi.waitFor(() => expect(told).toHaveLength(2), { timeout: 10_000 });
    expect(told).toEqual([
      [1_000, 'cascade.step'],
      [2_000, 'trigger.idle'],
    ]);
    // Another schema's jobs are another channel.
    await create(freshSchema()).scheduleJob(job('other', 5));

    unwatch?.();
    await vi.waitFor(async () => expect(await listeners(schema)).toEqual([]), { timeout: 10_000 });
    await scheduler.scheduleJob(job('j4', 4_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(told).toHaveLength(2);
  });

  it('without job notifications the store neither watches nor notifies', async () => {
    const store = createPostgresStore({ connectionString: url, schema: freshSchema(), jobNotifications: false });
    stores.push(store);
    expect(store.watchJobs).toBeUndefined();
    await store.scheduleJob(job('j1', 1));
    expect((await store.claimDueJobs(1, 10, 1000)).map((claimed) => claimed.id)).toEqual(['j1']);
  });

  it('a killed LISTEN connection is reopened; what was scheduled meanwhile is told from the table', async () => {
    const schema = freshSchema();
    const scheduler = create(schema);
    const s = `"${schema}"`;
    await scheduler.migrate();
    const clients: pg.Client[] = [];
    const watcher = createPostgresJobWatcher({
      channel: jobChannelName(schema),
      createClient: () => {
        const client = new pg.Client({ connectionString: url });
        clients.push(client);
        return client;
      },
      pendingJobs: async () => readPendingJobs((await (admin as pg.Pool).query(pendingJobsStatement(s))).rows),
      // Long enough that the job below is scheduled while nobody listens.
      minBackoffMs: 2_000,
    });
    const told: Array<[number, string]> = [];
    watcher.watch((runAt, kind) => told.push([runAt, kind]));
    await vi.waitFor(async () => expect(await listeners(schema)).toHaveLength(1), { timeout: 10_000 });
    await scheduler.scheduleJob(job('before', 100));
    await vi.waitFor(() => expect(told).toEqual([[100, 'cascade.step']]), { timeout: 10_000 });

    const [first] = await listeners(schema);
    await terminate([first as number]);
    await vi.waitFor(async () => expect(await listeners(schema)).toEqual([]), { timeout: 10_000 });
    await scheduler.scheduleJob(job('meanwhile', 200)); // its NOTIFY reaches nobody
    const toldBeforeReconnect = told.length;

    await vi.waitFor(async () => expect(await listeners(schema)).toHaveLength(1), { timeout: 15_000 });
    expect(clients).toHaveLength(2);
    await vi.waitFor(() => expect(told.slice(toldBeforeReconnect)).toContainEqual([200, 'cascade.step']), { timeout: 10_000 });
    // The catch-up reads every pending job, earliest first.
    expect(told.slice(toldBeforeReconnect)).toEqual([
      [100, 'cascade.step'],
      [200, 'cascade.step'],
    ]);
    expect(await listeners(schema)).not.toContain(first);
    await scheduler.scheduleJob(job('after', 300));
    await vi.waitFor(() => expect(told.at(-1)).toEqual([300, 'cascade.step']), { timeout: 10_000 });
    await watcher.close();
    await vi.waitFor(async () => expect(await listeners(schema)).toEqual([]), { timeout: 10_000 });
  });

  it('the store reconnects its watcher after pg_terminate_backend and keeps waking it', async () => {
    const schema = freshSchema();
    const scheduler = create(schema);
    const worker = create(schema);
    await worker.migrate();
    const told: number[] = [];
    worker.watchJobs?.((runAt) => told.push(runAt));
    await vi.waitFor(async () => expect(await listeners(schema)).toHaveLength(1), { timeout: 10_000 });
    const [first] = await listeners(schema);
    await terminate([first as number]);
    await scheduler.scheduleJob(job('meanwhile', 10));
    await vi.waitFor(
      async () => {
        const now = await listeners(schema);
        expect(now).toHaveLength(1);
        expect(now).not.toContain(first);
      },
      { timeout: 15_000 },
    );
    await vi.waitFor(() => expect(told).toContain(10), { timeout: 10_000 });
    await scheduler.scheduleJob(job('after', 20));
    await vi.waitFor(() => expect(told).toContain(20), { timeout: 10_000 });
  });

  it('a cascade worker polling every 60 s runs a step due in 300 ms on time, woken by another process', async () => {
    const schema = freshSchema();
    const policy = {
      preference: ['whatsapp', 'sms'],
      quietHours: false as const,
      fallback: { whatsapp: { after: 'not_delivered' as const, withinMs: 300 } },
    };
    const content = {
      whatsapp: { type: 'text' as const, text: 'Ваш автомобиль готов' },
      sms: { type: 'text' as const, text: 'Ваш автомобиль готов' },
    };
    const channels = () => [
      createTestChannel({ id: 'whatsapp', kind: 'whatsapp', capabilities: { address: 'phone' } }),
      createTestChannel({ id: 'sms', kind: 'sms', capabilities: { address: 'phone' } }),
    ];
    // Process A sends; process B only runs due steps, polling once a minute.
    const [whatsappA, smsA] = channels();
    const hubA = createOmnidealer({ channels: [whatsappA, smsA] as Channel[], store: create(schema) });
    const cascadeA = createCascade({ hub: hubA, policy, pollIntervalMs: 60_000 });
    const [whatsappB, smsB] = channels();
    const storeB = create(schema);
    await storeB.migrate();
    const hubB = createOmnidealer({ channels: [whatsappB, smsB] as Channel[], store: storeB });
    const cascadeB = createCascade({ hub: hubB, policy, pollIntervalMs: 60_000 });
    const events: string[] = [];
    cascadeB.on('cascade.fallback', () => events.push('B: fallback'));
    cascadeB.start(); // its first poll runs now; the next would come in 60 s
    await vi.waitFor(async () => expect(await listeners(schema)).toHaveLength(1), { timeout: 10_000 });

    const startedAt = Date.now();
    const state = await cascadeA.send({ id: 'c1', phone: '+79161234567' }, content);
    events.push('A: sent');
    expect(whatsappA?.sent).toHaveLength(1);
    await vi.waitFor(() => expect(smsB?.sent).toHaveLength(1), { timeout: 20_000, interval: 50 });
    const tookMs = Date.now() - startedAt;
    // Woken by the notification: well before the 60 s poll could have run it (generous bound: the machine is shared).
    expect(tookMs).toBeLessThan(20_000);
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(events).toEqual(['A: sent', 'B: fallback']);
    expect(smsA?.sent).toHaveLength(0);
    await cascadeB.drain();
    expect((await cascadeB.get(state.id))?.steps.map((step) => step.channelId)).toEqual(['whatsapp', 'sms']);
    cascadeA.close();
    cascadeB.close();
  });
});
