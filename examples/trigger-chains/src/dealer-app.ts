import { join } from 'node:path';
import { type Cascade, type CascadePolicy, createCascade } from '@omnidealer/cascade';
import { createEmailChannel } from '@omnidealer/channel-email';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import {
  type Clock,
  type ContactInput,
  createOmnidealer,
  type ManualClock,
  type Omnidealer,
  startWebhookServer,
  type WebhookServer,
} from '@omnidealer/core';
import { type Sandbox, type SmsOutcome, startSandbox, type WhatsAppOutcome } from '@omnidealer/sandbox';
import { createSqliteStore, type SqliteStore } from '@omnidealer/store-sqlite';
import { chainTemplates } from './chains.js';
import { createTriggerChains, type TriggerChains } from './trigger-chains.js';

const smsToken = 'trigger-chains-sms-token';

/** The outside world: the sandbox providers and the dealership's public webhook endpoint. They outlive app restarts. */
export interface World {
  sandbox: Sandbox;
  server: WebhookServer;
  close(): Promise<void>;
}

/** Starts the sandbox (manual timers on `clock`) and the webhook endpoint it posts to. */
export async function startWorld(
  clock: ManualClock,
  outcomes: { whatsapp?: Record<string, WhatsAppOutcome>; sms?: Record<string, SmsOutcome> } = {},
): Promise<World> {
  const server = await startWebhookServer();
  const sandbox = await startSandbox({
    seed: 11,
    clock,
    timers: 'manual',
    webhookTargets: { whatsapp: `${server.url}/hooks/whatsapp`, smsRu: `${server.url}/hooks/sms?token=${smsToken}` },
    behaviour: {
      whatsapp: {
        templates: chainTemplates.map(({ name, language, category, body }) => ({ name, language, category, body })),
        templateCategories: Object.fromEntries(chainTemplates.map((template) => [template.name, template.category])),
        outcomes: outcomes.whatsapp ?? {},
      },
      smsRu: { outcomes: outcomes.sms ?? {} },
    },
  });
  return {
    sandbox,
    server,
    async close() {
      await server.close();
      await sandbox.stop();
    },
  };
}

/** WhatsApp first for everything that has both; quiet hours and frequency caps as by default. */
export const chainPolicy: CascadePolicy = { ordering: 'preference', preference: ['whatsapp', 'email', 'sms'] };

/** One process of the dealership's app: two SQLite files in `dir`, the hub, the cascade and the chain runner. */
export interface DealerApp {
  hub: Omnidealer;
  cascade: Cascade;
  chains: TriggerChains;
  store: SqliteStore;
  jobs: SqliteStore;
  /** Stops everything this process owns (the files stay). */
  close(): Promise<void>;
}

/** Opens the app over `dir/omnidealer.db` (hub and cascade) and `dir/chains.db` (chain steps). */
export function openDealerApp(world: World, dir: string, clock: Clock): DealerApp {
  const { whatsapp: wa, smsRu } = world.sandbox.credentials;
  const store = createSqliteStore({ path: join(dir, 'omnidealer.db'), clock });
  const jobs = createSqliteStore({ path: join(dir, 'chains.db'), clock });
  const hub = createOmnidealer({
    channels: [
      createWhatsAppChannel({
        baseURL: world.sandbox.urls.whatsappMessages,
        phoneNumberId: wa.phoneNumberId,
        accessToken: wa.accessToken,
        appSecret: wa.appSecret,
        verifyToken: wa.verifyToken,
        templates: [...chainTemplates],
        clock,
      }),
      createEmailChannel({
        transport: { host: world.sandbox.urls.smtp.host, port: world.sandbox.urls.smtp.port, secure: false, ignoreTLS: true },
        from: 'Автосалон Север <hello@sever-auto.example>',
        clock,
      }),
      createSmsChannel({
        gateway: createSmsRuGateway({ baseURL: world.sandbox.urls.smsRu, apiId: smsRu.apiId, webhookToken: smsToken }),
        clock,
      }),
    ],
    store,
    clock,
  });
  world.server.attach(hub);
  const cascade = createCascade({ hub, policy: chainPolicy });
  const chains = createTriggerChains({ hub, cascade, jobs, clock });
  return {
    hub,
    cascade,
    chains,
    store,
    jobs,
    async close() {
      chains.close();
      await chains.drain();
      cascade.close();
      await cascade.drain();
      await store.close();
      await jobs.close();
    },
  };
}

/** Moves simulated time to `until` in `tickMs` steps, running everything due at each step (what pollers do live). */
export async function advance(world: World, apps: DealerApp[], clock: ManualClock, until: number, tickMs = 3_600_000) {
  while (clock.now() < until) {
    clock.set(Math.min(until, clock.now() + tickMs));
    await settle(world, apps);
  }
}

/** Runs everything due now: sandbox webhooks, the hub's reactions, chain steps, cascade deadlines. */
export async function settle(world: World, apps: DealerApp[]) {
  for (let round = 0; round < 3; round++) {
    await world.sandbox.flush();
    for (const app of apps) {
      await app.cascade.drain();
      await app.chains.drain();
      await app.chains.runDue();
      await app.cascade.runDueSteps();
      await app.cascade.drain();
    }
  }
}

/** Example customers: phones the sandbox scripts, Moscow time, marketing consent given at sign-up. */
export const customers: ContactInput[] = [
  {
    id: 'cust-1',
    name: 'Иван Петров',
    phone: '+79161230001',
    email: 'ivan@example.ru',
    timeZone: 'Europe/Moscow',
    consent: { whatsapp: 'granted', sms: 'granted', email: 'granted' },
  },
  {
    id: 'cust-2',
    name: 'Мария Соколова',
    phone: '+79161230002',
    email: 'maria@example.ru',
    timeZone: 'Europe/Moscow',
    consent: { whatsapp: 'granted', sms: 'granted', email: 'granted' },
  },
  { id: 'cust-3', name: 'Олег Смирнов', phone: '+79161230003', timeZone: 'Europe/Moscow' },
];
