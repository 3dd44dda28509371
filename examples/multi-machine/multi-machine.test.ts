// Several machines, simulated with processes (issue #24): three hub processes and two cascade workers share one
// PostgreSQL (a throwaway cluster) and one Redis (a throwaway redis-server) and run one cascade campaign
// (WhatsApp, then SMS when not delivered within 2 s) against the sandbox, in a process of its own. One worker is killed
// with SIGKILL mid-campaign and restarted. Every contact must get exactly one WhatsApp message and one SMS at the
// sandbox, every provider's limit must hold in every second, and each contact must have one conversation per channel.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPostgresStore } from '@omnidealer/store-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, type StartedRedisServer, startRedisServer } from '../../packages/redis/test/start-redis-server.js';
import {
  postgresInstallHint,
  postgresServerAvailable,
  type StartedPostgresServer,
  startPostgresServer,
} from '../../packages/store-postgres/test/start-postgres-server.js';
import { type AppReport, campaignContent, createApp, readAppConfig } from './src/app.js';
import { campaignContact, campaignContacts } from './src/campaign-contacts.js';
import type { SandboxHostReport } from './src/sandbox-host.js';

const app = fileURLToPath(new URL('./src/app.ts', import.meta.url));
const sandboxHost = fileURLToPath(new URL('./src/sandbox-host.ts', import.meta.url));
const root = fileURLToPath(new URL('.', import.meta.url));

// 400 contacts by default keep the run near a minute on the shared 2-core CI machine, where the PostgreSQL store
// carries roughly 20–40 cascade sends a second across the five processes (400 take ~50–65 s, 2 000 ~4 min);
// MULTI_MACHINE_CONTACTS=2000 runs issue #24's full figure.
const CONTACTS = Number(process.env.MULTI_MACHINE_CONTACTS ?? 400);
// Low enough that the limit binds here (the hubs together send WhatsApp faster than this without it).
const PER_SECOND = Number(process.env.MULTI_MACHINE_PER_SECOND ?? 20);
const FALLBACK_MS = 2000;
const LEASE_MS = 5000;

const postgres = postgresServerAvailable();
const redis = redisServerAvailable();
const missing = [
  ...(postgres.ok ? [] : [`PostgreSQL (${postgres.reason}): ${postgresInstallHint}`]),
  ...(redis.ok ? [] : [`redis-server (${redis.reason}): apt-get install -y redis-server`]),
];
if (missing.length > 0) {
  if (process.env.CI) throw new Error(`the multi-machine test needs ${missing.join('; ')}`);
  console.warn(`[multi-machine] SKIPPED: missing ${missing.join('; ')}`);
}

function forkTypeScript(file: string, env: Record<string, string>): ChildProcess {
  return fork(file, [], {
    cwd: root,
    env: { ...process.env, ...env },
    execArgv: ['--conditions=omnidealer-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextReport<T extends object>(child: ChildProcess, key: keyof T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`exited (${signal ?? code}) before ${String(key)}`));
    const listener = (report: T) => {
      if (report[key] === undefined) return;
      child.off('message', listener);
      child.off('exit', onExit);
      resolve(report);
    };
    child.on('message', listener);
    child.once('exit', onExit);
  });
}

/** Most times inside any one-second window (`sorted` ascending). */
function busiestSecond(sorted: readonly number[]): number {
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && (sorted[end] as number) - (sorted[start] as number) < 1000) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

describe.skipIf(missing.length > 0)('several machines on one PostgreSQL and one Redis (processes, sandbox)', () => {
  const children: ChildProcess[] = [];
  let database: StartedPostgresServer | undefined;
  let redisServer: StartedRedisServer | undefined;
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await redisServer?.stop();
    await database?.stop();
  });

  it(
    `${CONTACTS} contacts, 3 hubs + 2 workers, a worker killed with SIGKILL and restarted: each contact reached once per channel, the limit held, one conversation per contact and channel`,
    async () => {
      const startedAt = Date.now();
      database = await startPostgresServer({ settings: { max_connections: 200 } });
      redisServer = await startRedisServer();
      const host = forkTypeScript(sandboxHost, {});
      children.push(host);
      const providers = (await nextReport<SandboxHostReport>(host, 'ready')).ready as NonNullable<SandboxHostReport['ready']>;
      let smsAccepted = 0;
      let progress: Record<string, number> = {};
      host.on('message', (report: SandboxHostReport) => {
        if (report.progress) progress = report.progress;
        smsAccepted = progress.smsRu ?? 0;
      });
      const ticker = setInterval(
        () =>
          console.info(`[multi-machine] ${Math.round((Date.now() - startedAt) / 1000)} s: accepted ${JSON.stringify(progress)}`),
        10_000,
      );
      // Migrated once up front (every process would also do it, under the store's advisory lock).
      const setupStore = createPostgresStore({ connectionString: database.url });
      await setupStore.migrate();
      await setupStore.close();

      const env = (role: 'hub' | 'worker', extra: Record<string, string> = {}) => ({
        ROLE: role,
        DATABASE_URL: database?.url as string,
        REDIS_URL: redisServer?.url as string,
        WHATSAPP_BASE_URL: providers.whatsapp.baseURL,
        WHATSAPP_PHONE_NUMBER_ID: providers.whatsapp.phoneNumberId,
        WHATSAPP_ACCESS_TOKEN: providers.whatsapp.accessToken,
        SMSRU_BASE_URL: providers.smsRu.baseURL,
        SMSRU_API_ID: providers.smsRu.apiId,
        CONTACTS: String(CONTACTS),
        PER_SECOND: String(PER_SECOND),
        FALLBACK_MS: String(FALLBACK_MS),
        LEASE_MS: String(LEASE_MS),
        ...extra,
      });
      const errors: string[] = [];
      const resumed: number[] = [];
      const startProcess = (role: 'hub' | 'worker', extra?: Record<string, string>) => {
        const child = forkTypeScript(app, env(role, extra));
        children.push(child);
        child.on('message', (report: AppReport) => {
          if (report.error) errors.push(report.error);
          if (report.resumed !== undefined) resumed.push(report.resumed);
        });
        return child;
      };

      const workers = [startProcess('worker'), startProcess('worker')];
      await Promise.all(workers.map((worker) => nextReport<AppReport>(worker, 'ready')));
      // Every hub walks the whole list, from a third apart: they meet (and race for the same contacts) where they overlap.
      const hubs = [0, 1, 2].map((index) => startProcess('hub', { OFFSET: String(Math.floor((index * CONTACTS) / 3)) }));
      const campaigns = hubs.map((hub) => nextReport<AppReport>(hub, 'campaign'));

      // Mid-campaign (a quarter of the SMS fallbacks out), SIGKILL the first worker, then start a new one in its place.
      for (;;) {
        if (smsAccepted >= CONTACTS / 4) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const killed = workers[0] as ChildProcess;
      killed.kill('SIGKILL');
      const killedAtSms = smsAccepted;
      await new Promise((resolve) => killed.once('exit', resolve));
      const restarted = startProcess('worker');
      await nextReport<AppReport>(restarted, 'ready');

      const reports = (await Promise.all(campaigns)).map((report) => report.campaign);
      // Every cascade finished: WhatsApp sent, not delivered within 2 s, SMS sent and not failed within 2 s.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const running = async () =>
        Number(
          (
            await client.query<{ count: string }>(
              `SELECT count(*) FROM omnidealer.records WHERE namespace = 'cascade.run' AND value::json->>'status' = 'running'`,
            )
          ).rows[0]?.count,
        );
      const finishBy = Date.now() + Math.max(60_000, CONTACTS * 100);
      while ((await running()) > 0 && Date.now() < finishBy) await new Promise((resolve) => setTimeout(resolve, 200));
      // Every cascade has finished, so no live process has a send in flight: a message still queued was left by the dead
      // worker (in its limiter's queue, or with the provider call cut short). The restarted worker finishes it.
      const queued = async () =>
        Number((await client.query<{ count: string }>(`SELECT count(*) FROM omnidealer.messages WHERE queued`)).rows[0]?.count);
      const leftQueued = await queued();
      restarted.send('resume-outbox');
      await nextReport<AppReport>(restarted, 'resumed');

      clearInterval(ticker);
      host.send('report');
      const accepted = (await nextReport<SandboxHostReport>(host, 'accepted')).accepted ?? [];
      const states = (
        await client.query<{ value: string }>(`SELECT value FROM omnidealer.records WHERE namespace = 'cascade.run'`)
      ).rows.map(
        (row) =>
          JSON.parse(row.value) as {
            status: string;
            contact: { id: string };
            steps: Array<{ channelId: string; startedAt?: number; deadline?: number; status: string }>;
          },
      );
      const conversations = (
        await client.query<{ contact_id: string; channel: string; count: string }>(
          'SELECT contact_id, channel, count(*) FROM omnidealer.conversations GROUP BY contact_id, channel',
        )
      ).rows;
      const messages = (
        await client.query<{ contact_id: string; channel: string; count: string; interrupted: string }>(
          `SELECT c.contact_id, m.channel, count(*),
             count(*) FILTER (WHERE m.data::json->'metadata'->>'interrupted' = 'true') AS interrupted
           FROM omnidealer.messages m JOIN omnidealer.conversations c ON c.id = m.conversation_id
           GROUP BY c.contact_id, m.channel`,
        )
      ).rows;
      const stillQueued = await queued();
      await client.end();

      // Wake-up time with the workers idle: one more cascade, sent from this process; a worker's poll (every second)
      // claims its WhatsApp deadline and starts the SMS step.
      const probe = createApp(readAppConfig(env('hub')));
      const probed = await probe.cascade.send(campaignContact(CONTACTS), campaignContent, {
        kind: 'service',
        idempotencyKey: 'probe',
      });
      let fallback: number | undefined;
      for (const until = Date.now() + 15_000; fallback === undefined && Date.now() < until; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        fallback = (await probe.cascade.get(probed.id))?.steps[1]?.startedAt;
      }
      await probe.close();
      const wakeUpMs = (fallback ?? Number.NaN) - (probed.steps[0]?.deadline ?? Number.NaN);

      for (const child of [workers[1] as ChildProcess, restarted]) child.kill('SIGTERM');
      host.send('stop');

      // What the sandbox (the providers) received, per provider and recipient.
      const received = new Map<string, number>();
      for (const [provider, to] of accepted) received.set(`${provider}:${to}`, (received.get(`${provider}:${to}`) ?? 0) + 1);
      const expected = campaignContacts(CONTACTS).flatMap((contact) => [
        `whatsapp:${contact.phone.slice(1)}`,
        `smsRu:${contact.phone.slice(1)}`,
      ]);
      const lost = expected.filter((key) => !received.has(key));
      const duplicated = [...received].filter(([, count]) => count > 1).map(([key]) => key);
      const unexpected = [...received.keys()].filter((key) => !expected.includes(key));
      const busiest = Object.fromEntries(
        ['whatsapp', 'smsRu'].map((provider) => [
          provider,
          busiestSecond(
            accepted
              .filter(([name]) => name === provider)
              .map(([, , at]) => at)
              .sort((a, b) => a - b),
          ),
        ]),
      );
      // Each provider's busy span: how many it accepted, over how many ms.
      const spans = Object.fromEntries(
        ['whatsapp', 'smsRu'].map((provider) => {
          const times = accepted.filter(([name]) => name === provider).map(([, , at]) => at);
          return [provider, { count: times.length, ms: Math.max(...times) - Math.min(...times) }];
        }),
      );
      const rates = Object.fromEntries(
        Object.entries(spans).map(([provider, span]) => [provider, Math.round(((span.count - 1) * 10_000) / span.ms) / 10]),
      );
      // How late each SMS step started after the WhatsApp deadline it followed (a worker's poll claims it).
      const lateness = states
        .map((state) => (state.steps[1]?.startedAt ?? Number.NaN) - (state.steps[0]?.deadline ?? Number.NaN))
        .filter((value) => Number.isFinite(value))
        .sort((a, b) => a - b);
      const percentile = (fraction: number) => lateness[Math.min(lateness.length - 1, Math.floor(fraction * lateness.length))];
      // Sends a kill cut short mid-call, which the hub records sent, unconfirmed and interrupted — at most once, since
      // neither WhatsApp nor SMS.ru de-duplicates a repeat — by contact and channel, as `<provider>:<digits>`.
      const interruptedKeys = new Set(
        messages
          .filter((row) => Number(row.interrupted) > 0)
          .map(
            (row) =>
              `${row.channel === 'sms' ? 'smsRu' : row.channel}:${campaignContact(Number(row.contact_id.slice(2))).phone.slice(1)}`,
          ),
      );
      const interrupted = interruptedKeys.size;
      console.info(
        `[multi-machine] ${CONTACTS} contacts in ${Date.now() - startedAt} ms; worker killed after ${killedAtSms} SMS; ` +
          `sandbox accepted ${accepted.length} (lost ${lost.length}, duplicated ${duplicated.length}); busiest second ` +
          `${JSON.stringify(busiest)}, average ${JSON.stringify(rates)}/s (limit ${PER_SECOND}); SMS step start after the WhatsApp deadline: p50 ${percentile(0.5)} ms, ` +
          `p99 ${percentile(0.99)} ms, max ${lateness.at(-1)} ms; left queued by the kill ${leftQueued}, resumed ${resumed.join('+') || 0} (${interrupted} recorded interrupted); idle wake-up ${wakeUpMs} ms`,
      );

      expect(errors).toEqual([]);
      for (const report of reports) expect(report).toMatchObject({ processed: CONTACTS, errors: 0 });
      expect(duplicated).toEqual([]);
      expect(unexpected).toEqual([]);
      // Nothing lost, except (by design, at most once) a send whose provider call the SIGKILL cut before it arrived.
      expect(lost.filter((key) => !interruptedKeys.has(key))).toEqual([]);
      expect(accepted.length).toBeGreaterThanOrEqual(2 * CONTACTS - interrupted);
      // The shared limit held: over each provider's busy span, no more than the limit allows in it (a full second's worth
      // at each end), and in every second within half again — the sandbox stamps a request when its event loop gets to
      // it, and on 2 shared cores the sandbox's and the senders' loops stall for 100–300 ms now and then, bunching
      // arrivals (packages/redis multi-process-limit.test.ts proves the exact limit on kernel packet times). Without the
      // shared limiter, three hubs would send at three times the limit.
      for (const provider of ['whatsapp', 'smsRu']) {
        const span = spans[provider] as { count: number; ms: number };
        expect(span.count, provider).toBeLessThanOrEqual(PER_SECOND * (span.ms / 1000 + 1));
        expect(busiest[provider], provider).toBeLessThanOrEqual(Math.ceil(PER_SECOND * 1.5));
      }
      // The store: one conversation and one message per contact and channel, nothing left queued.
      expect(conversations).toHaveLength(2 * CONTACTS);
      expect(conversations.filter((row) => row.count !== '1')).toEqual([]);
      expect(messages).toHaveLength(2 * CONTACTS);
      expect(messages.filter((row) => row.count !== '1')).toEqual([]);
      expect(stillQueued).toBe(0);
      // Every cascade: WhatsApp timed out, SMS succeeded; each started once (two steps, never more).
      expect(states).toHaveLength(CONTACTS);
      expect(states.filter((state) => state.status !== 'succeeded' || state.steps.length !== 2)).toEqual([]);
      expect(new Set(states.map((state) => state.contact.id)).size).toBe(CONTACTS);
      // A due step starts within a second of its deadline on an idle worker (woken by NOTIFY, plus planning the step).
      expect(wakeUpMs).toBeGreaterThanOrEqual(0);
      expect(wakeUpMs).toBeLessThanOrEqual(1500);
    },
    Math.max(180_000, CONTACTS * 300),
  );
});
