// One machine of a several-machine omnidealer set-up: `ROLE=hub` or `ROLE=worker` (tsx src/app.ts), configured by
// environment variables (see `readAppConfig`). Every process shares one PostgreSQL (`@omnidealer/store-postgres`:
// contacts, conversations, the outbox, idempotency keys, cascade state and deadlines) and one Redis (the rate limit of
// each channel account, shared by every hub). The compose file runs it in containers; the multi-machine test forks it.
//
// - `hub`: sends the campaign — every hub walks the whole contact list (from its own `OFFSET`, wrapping around); the
//   cascades' idempotency keys and leases make each contact's cascade start once, on whichever hub gets there
//   first; a cascade's lease also keeps a worker's save from undoing a delivery report another machine applied. It exits
//   when done.
// - `worker`: runs due cascade steps (`cascade.start()`: claims due deadlines from the store with leases, woken by
//   PostgreSQL's LISTEN/NOTIFY when a step is due, with a safety poll every `pollIntervalMs`), so a contact whose
//   WhatsApp message is not delivered in time gets the SMS. With `RESUME_OUTBOX=1` it also finishes sends a dead
//   process left in the outbox (queued longer than `RESUME_OLDER_THAN_MS`, 10 minutes) — on any number of workers:
//   each message is claimed in the store before it is resumed, so one machine sends it.
import { type Cascade, type CascadeContent, createCascade } from '@omnidealer/cascade';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { createRedisRateLimiter } from '@omnidealer/redis';
import { createPostgresStore } from '@omnidealer/store-postgres';
import { Redis } from 'ioredis';
import { campaignContacts } from './campaign-contacts.js';

/** Where this process reports (the parent over IPC when forked, else stdout as JSON lines). */
export interface AppReport {
  ready?: { role: string; pid: number };
  campaign?: { processed: number; started: number; skipped: number; errors: number };
  resumed?: number;
  error?: string;
}

/** What a process reads from its environment. */
export interface AppConfig {
  role: 'hub' | 'worker';
  databaseUrl: string;
  redisUrl: string;
  /** `baseURL` only to point at a sandbox or a BSP (default: the Graph API, SMS.ru). */
  whatsapp: { baseURL?: string; phoneNumberId: string; accessToken: string };
  smsRu: { baseURL?: string; apiId: string };
  contacts: number;
  mailingId: string;
  /** Each channel account's limit, shared by every process through Redis. */
  perSecond: number;
  /** How long a WhatsApp message has to be delivered before the cascade falls back to SMS. */
  fallbackMs: number;
  /** How long a worker holds a claimed deadline (and a hub a cascade's start) before another process may take it. */
  leaseMs: number;
  /** The cascade's safety poll (steps are woken by notifications). @default the cascade's: 30 s on PostgreSQL */
  pollIntervalMs: number | undefined;
  /** Run `hub.resumeOutbox` every so often (safe on several machines: each message is claimed first). */
  resumeOutbox: boolean;
  /** What `resumeOutbox` takes: queued messages older than this. */
  resumeOlderThanMs: number;
  /** Where in the contact list this hub starts (it wraps around): hubs starting apart contend only where they meet. */
  offset: number;
  /** Contacts a hub handles at once. */
  concurrency: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Reads the configuration from environment variables (names as in compose.yaml). */
export function readAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const role = env.ROLE === 'worker' ? 'worker' : 'hub';
  return {
    role,
    databaseUrl: required(env, 'DATABASE_URL'),
    redisUrl: required(env, 'REDIS_URL'),
    whatsapp: {
      ...(env.WHATSAPP_BASE_URL ? { baseURL: env.WHATSAPP_BASE_URL } : {}),
      phoneNumberId: required(env, 'WHATSAPP_PHONE_NUMBER_ID'),
      accessToken: required(env, 'WHATSAPP_ACCESS_TOKEN'),
    },
    smsRu: { ...(env.SMSRU_BASE_URL ? { baseURL: env.SMSRU_BASE_URL } : {}), apiId: required(env, 'SMSRU_API_ID') },
    contacts: Number(env.CONTACTS ?? 2000),
    mailingId: env.MAILING_ID ?? 'spring-service',
    perSecond: Number(env.PER_SECOND ?? 80),
    fallbackMs: Number(env.FALLBACK_MS ?? 3_600_000),
    leaseMs: Number(env.LEASE_MS ?? 60_000),
    pollIntervalMs: env.POLL_INTERVAL_MS ? Number(env.POLL_INTERVAL_MS) : undefined,
    resumeOutbox: env.RESUME_OUTBOX === '1',
    resumeOlderThanMs: Number(env.RESUME_OLDER_THAN_MS ?? 600_000),
    offset: Number(env.OFFSET ?? 0),
    concurrency: Number(env.CONCURRENCY ?? 8),
  };
}

/** What the campaign sends: a WhatsApp template, and the SMS text it falls back to. */
export const campaignContent = {
  whatsapp: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
  sms: { type: 'text', text: 'Пора на ТО. Запись по ссылке.' },
} as const satisfies CascadeContent;

const report = (message: AppReport) =>
  new Promise<void>((resolve) => {
    if (process.send) process.send(message, () => resolve());
    else {
      console.info(JSON.stringify(message));
      resolve();
    }
  });

/** The hub and cascade every process builds alike: same channels, same policy, same shared store and limiter. */
export function createApp(config: AppConfig): { hub: Omnidealer; cascade: Cascade; close(): Promise<void> } {
  const store = createPostgresStore({ connectionString: config.databaseUrl, poolSize: 10 });
  const redis = new Redis(config.redisUrl);
  const whatsapp = createWhatsAppChannel({
    ...config.whatsapp,
    rateLimit: { perSecond: config.perSecond, perRecipientIntervalMs: 0 },
    timeoutMs: 10_000,
  });
  const sms = createSmsChannel({
    gateway: createSmsRuGateway({ ...config.smsRu, timeoutMs: 10_000 }),
    rateLimit: { perSecond: config.perSecond },
  });
  const hub = createOmnidealer({ channels: [whatsapp, sms], store, rateLimiter: createRedisRateLimiter({ redis }) });
  const cascade = createCascade({
    hub,
    leaseMs: config.leaseMs,
    ...(config.pollIntervalMs === undefined ? {} : { pollIntervalMs: config.pollIntervalMs }),
    concurrency: 16,
    policy: {
      ordering: 'preference',
      preference: ['whatsapp', 'sms'],
      fallback: {
        whatsapp: { after: 'not_delivered', withinMs: config.fallbackMs },
        sms: { after: 'failed', withinMs: config.fallbackMs },
      },
      quietHours: false,
      budget: {},
    },
  });
  return {
    hub,
    cascade,
    async close() {
      cascade.close();
      await cascade.drain();
      await hub.shutdown();
      await store.close();
      redis.disconnect();
    },
  };
}

async function runHub(config: AppConfig): Promise<void> {
  const app = createApp(config);
  await report({ ready: { role: 'hub', pid: process.pid } });
  const contacts = campaignContacts(config.contacts);
  const offset = config.offset % Math.max(1, contacts.length);
  const result = await app.cascade.campaign({
    mailingId: config.mailingId,
    contacts: [...contacts.slice(offset), ...contacts.slice(0, offset)],
    content: campaignContent,
    kind: 'service',
    concurrency: config.concurrency,
  });
  await report({
    campaign: { processed: result.processed, started: result.started, skipped: result.skipped, errors: result.errors },
  });
  await app.close();
}

async function runWorker(config: AppConfig): Promise<void> {
  const app = createApp(config);
  app.cascade.start();
  // Sends a dead process left in the outbox. Only messages older than any send still running on a live machine (the
  // limiter's wait plus the provider call) may be taken. Several workers may do it at once: each message is claimed in
  // the store first, so one of them resumes it.
  const resume = async (olderThanMs: number) => {
    const resumed = await app.hub.resumeOutbox({ olderThanMs });
    await report({ resumed: resumed.length });
  };
  let resuming: ReturnType<typeof setInterval> | undefined;
  if (config.resumeOutbox) {
    const every = () => void resume(config.resumeOlderThanMs).catch((error: unknown) => report({ error: String(error) }));
    resuming = setInterval(every, Math.min(60_000, config.resumeOlderThanMs));
    every();
  }
  // The test's command once every cascade has finished: whatever is still queued then was left by a dead process.
  process.on('message', (command: unknown) => {
    if (command === 'resume-outbox') void resume(0).catch((error: unknown) => report({ error: String(error) }));
  });
  await report({ ready: { role: 'worker', pid: process.pid } });
  const stop = async () => {
    if (resuming) clearInterval(resuming);
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('disconnect', () => void stop());
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const config = readAppConfig();
  await (config.role === 'hub' ? runHub(config) : runWorker(config));
  if (config.role === 'hub' && process.send) process.disconnect();
}
