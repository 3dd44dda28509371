import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Cascade,
  type CascadePolicy,
  type CascadeReport,
  type CascadeState,
  createCascade,
  DAY_MS,
  HOUR_MS,
} from '@omnidealer/cascade';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel, type EmailChannel } from '@omnidealer/channel-email';
import { createMaxChannel } from '@omnidealer/channel-max';
import { countSegments, createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel, type WhatsAppPricing } from '@omnidealer/channel-whatsapp';
import {
  type Channel,
  type Clock,
  type ContactInput,
  createManualClock,
  createOmnidealer,
  type ManualClock,
  type Omnidealer,
  type SlaReport,
  type Store,
  startWebhookServer,
  type WebhookServer,
} from '@omnidealer/core';
import { systemClock } from '@omnidealer/core/provider-utils';
import { createSeededRandom, seedContacts } from '@omnidealer/sandbox';
import { createSqliteStore } from '@omnidealer/store-sqlite';
import { type DemoOptions, missingRealEnv, optionalRealEnv } from './demo-options.js';
import { type DemoSandbox, type SandboxCapture, startDemoSandbox } from './demo-sandbox.js';
import { type DemoSummary, formatRub, formatSummaryTable, summarizeCampaign } from './demo-summary.js';
import { writeReport } from './html-report.js';

import { createLoopbackFetch, type LoopbackFetch } from './loopback-fetch.js';
import { createProgressBar, type ProgressTarget, silentProgress } from './progress-bar.js';
import {
  springSaleContent,
  springSaleFollowUpId,
  springSaleMailingId,
  springSaleSms,
  springSaleTemplate,
} from './spring-sale.js';

/** Where the demo writes: progress (stderr) and results (stdout). */
export interface DemoIo {
  /** Progress bars. @default none */
  progress?: ProgressTarget | undefined;
  /** Result lines. @default none */
  log?: ((text: string) => void) | undefined;
  env?: Record<string, string | undefined>;
}

export type { SandboxCapture } from './demo-sandbox.js';

/** The outcome of one demo run. */
export interface DemoResult {
  summary: DemoSummary;
  /** The summary as printed. */
  table: string;
  sla: SlaReport;
  /** One line per inbound dialog. */
  dialogs: string[];
  reportPath: string;
  wallMs: number;
  /** Seeded contacts of the campaign (sandbox mode). */
  contacts: readonly ContactInput[];
  sandbox?: SandboxCapture | undefined;
  /** Sandbox mode: the same base mailed again a month later, with what the first mailing taught. */
  followUp?: DemoSummary | undefined;
  /** Sandbox mode: both mailings' cost per reached customer and the saving. */
  learning?: MailingComparison | undefined;
}

/** Two mailings to one base compared, from their cascade reports. */
export interface MailingComparison {
  /** The first mailing's ₽ per reached customer, in kopecks (`CascadeReport.costPerReachedMinor`). */
  firstPerReachedMinor: number;
  /** The second mailing's, a month later. */
  secondPerReachedMinor: number;
  /** `1 − second ÷ first`, in percent. */
  savingPercent: number;
  /** The first mailing's invite links to MAX: SMS that carried one, customers who pressed Start, extra segments. */
  acquisition: CascadeReport['acquisition'];
}

/** Compares two mailings' cascade reports by what they spent per reached customer. */
export function compareMailings(first: CascadeReport, second: CascadeReport): MailingComparison {
  return {
    firstPerReachedMinor: first.costPerReachedMinor,
    secondPerReachedMinor: second.costPerReachedMinor,
    savingPercent: first.costPerReachedMinor > 0 ? (1 - second.costPerReachedMinor / first.costPerReachedMinor) * 100 : 0,
    acquisition: first.acquisition,
  };
}

/** Two lines: both mailings' cost per reached customer and the saving, and what the first mailing's invites did. */
export function formatLearning(learning: MailingComparison): string {
  const { invites, links, extraCostMinor, paybackMailings } = learning.acquisition;
  return (
    `A month later, same base: ${formatRub(Math.round(learning.secondPerReachedMinor))} per reached customer instead of ` +
    `${formatRub(Math.round(learning.firstPerReachedMinor))} (${learning.savingPercent.toFixed(1)} % less), for what the ` +
    'first mailing taught: who is not on WhatsApp, whose e-mail bounces, who now reads the dealer in MAX.\n' +
    `The first mailing's ${invites} invite links to MAX cost ${formatRub(extraCostMinor)} of extra SMS segments; ` +
    `${links} customers pressed Start and get mailings there for free` +
    (paybackMailings === undefined ? '.' : ` (the links pay back in ${paybackMailings.toFixed(1)} mailings).`)
  );
}

/** A thrown error whose message is meant for the user as is (exit code 2, no stack). */
export class DemoUsageError extends Error {
  override name = 'DemoUsageError';
}

/** Monday 2 March 2026, 11:00 in Moscow: office hours in every seeded time zone, no quiet-hours deferral. */
const campaignStart = Date.parse('2026-03-02T08:00:00Z');
/** Statuses, 24 h deadlines and the SMS's own 24 h deadline: everything settles within 49 simulated hours. */
const simulatedSpanMs = 49 * HOUR_MS;

/** The cascade rules: e-mail first where known, then the WhatsApp template, then SMS. */
export const springSalePolicy = (whatsAppFallback: DemoOptions['whatsAppFallback'] = 'not_delivered'): CascadePolicy => ({
  preference: ['email', 'max', 'whatsapp', 'sms'],
  ordering: 'preference',
  fallback: {
    // E-mail counts as a success unless it bounces within 24 h.
    email: { after: 'failed', withinMs: DAY_MS },
    // MAX (free, for contacts who started the dealer's bot) reports no delivery: only a failure (blocked bot) falls back.
    max: { after: 'failed', withinMs: DAY_MS },
    // WhatsApp: SMS when the template fails, or is not read (or not delivered) within 24 h.
    whatsapp: { after: whatsAppFallback, withinMs: DAY_MS },
    sms: { after: 'not_delivered', withinMs: DAY_MS },
  },
  maxSteps: 3,
  // Every SMS the cascade sends anyway carries a link to the dealer's MAX bot when the extra segment pays for itself:
  // a customer who presses Start gets the next mailings there, for free.
  acquisition: { channel: 'max', prefix: 'Пишите нам в MAX: ' },
});

const whatsAppPricingOf = (marketingMinor: number): WhatsAppPricing => ({
  currency: 'RUB',
  rates: { default: { marketing: marketingMinor, utility: 500, authentication: 500, service: 0 } },
});

const hexOf = (seed: number, key: string, length: number) => {
  const random = createSeededRandom(seed, key);
  return Array.from({ length }, () => random.integer(0, 15).toString(16)).join('');
};

/** Exact price of the contact's SMS text alone: segments × price per segment. */
const smsOnlyMinor = (priceSegmentMinor: number) => (state: CascadeState) =>
  state.contact.phone === undefined ? undefined : countSegments(springSaleSms(state.contact)).segments * priceSegmentMinor;

interface Running {
  hub: Omnidealer;
  cascade: Cascade;
  store: Store;
  server: WebhookServer;
  email?: EmailChannel | undefined;
  sandbox?: DemoSandbox | undefined;
  loopback?: LoopbackFetch | undefined;
  tmp?: string | undefined;
}

async function stopAll(running: Partial<Running>): Promise<void> {
  running.cascade?.close();
  await running.hub?.shutdown();
  running.email?.close();
  await running.sandbox?.stop();
  await running.server?.close();
  running.loopback?.close();
  await running.store?.close?.();
  if (running.tmp) await rm(running.tmp, { recursive: true, force: true });
}

async function openStore(options: DemoOptions, clock: Clock): Promise<{ store: Store; tmp?: string }> {
  if (options.storePath) return { store: createSqliteStore({ path: options.storePath, clock, synchronous: 'normal' }) };
  const tmp = await mkdtemp(join(tmpdir(), 'omnidealer-demo-'));
  return { store: createSqliteStore({ path: join(tmp, 'demo.db'), clock, synchronous: 'normal' }), tmp };
}

/**
 * Runs the demo: sandbox providers on loopback, a webhook server for the hub, a SQLite store, the spring-sale
 * cascade to seeded contacts with 49 simulated hours of statuses and fallbacks, three inbound dialogs, the SLA
 * report, the summary table and the HTML report. Deterministic for a seed.
 * @throws DemoUsageError when `--real` lacks its environment.
 */
export async function runDemo(options: DemoOptions, io: DemoIo = {}): Promise<DemoResult> {
  return options.real ? runReal(options, io) : runSandbox(options, io);
}

async function runSandbox(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const started = performance.now();
  const log = io.log ?? (() => {});
  const clock: ManualClock = createManualClock(campaignStart);
  // A quarter of the base started the dealer's MAX bot (deep link in a past SMS): they get the campaign there for free.
  const contacts = seedContacts({ count: options.contacts, seed: options.seed, maxShare: 0.25 });
  const bounceRandom = createSeededRandom(options.seed, 'demo.bounce');
  // A few known addresses are dead: the SMTP sandbox refuses them with 550 and the cascade moves to WhatsApp.
  const bounce = contacts.flatMap((contact) => (contact.email && bounceRandom.chance(0.08) ? [contact.email] : []));
  const avitoSecret = hexOf(options.seed, 'demo.avito-secret', 32);
  const smsToken = hexOf(options.seed, 'demo.sms-token', 24);
  const running: Partial<Running> = {};
  try {
    running.server = await startWebhookServer();
    const hooks = running.server.url;
    const loopback = createLoopbackFetch();
    running.loopback = loopback;
    running.sandbox = await startDemoSandbox({
      startMs: campaignStart,
      options: {
        seed: options.seed,
        fetch: loopback.fetch,
        contacts,
        webhookTargets: {
          whatsapp: `${hooks}/hooks/whatsapp`,
          avito: `${hooks}/hooks/avito/${avitoSecret}`,
          smsRu: `${hooks}/hooks/sms?token=${smsToken}`,
          max: `${hooks}/hooks/max`,
        },
        behaviour: {
          whatsapp: {
            templates: [{ name: springSaleTemplate.name, language: 'ru', category: 'marketing', body: springSaleTemplate.body }],
          },
          smsRu: { pricePerSegment: options.priceSmsSegmentMinor / 100 },
          smtp: { bounce },
        },
      },
    });
    const sandbox = running.sandbox;
    const credentials = sandbox.credentials;
    const email = createEmailChannel({
      transport: {
        host: sandbox.urls.smtp.host,
        port: sandbox.urls.smtp.port,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 4,
      },
      from: 'Автосалон Север <sales@sever-auto.example>',
      clock,
      rateLimit: { perSecond: 500, maxConcurrent: 4 },
    });
    running.email = email;
    const channels: Channel[] = [
      email,
      createWhatsAppChannel({
        baseURL: sandbox.urls.whatsappMessages,
        phoneNumberId: credentials.whatsapp.phoneNumberId,
        accessToken: credentials.whatsapp.accessToken,
        appSecret: credentials.whatsapp.appSecret,
        verifyToken: credentials.whatsapp.verifyToken,
        templates: [springSaleTemplate],
        pricing: whatsAppPricingOf(options.priceWhatsAppMinor),
        // A number in Meta's top throughput tier; the 6 s pair limit stays.
        rateLimit: { perSecond: 1000 },
        fetch: loopback.fetch,
        clock,
      }),
      createSmsChannel({
        gateway: createSmsRuGateway({
          baseURL: sandbox.urls.smsRu,
          apiId: credentials.smsRu.apiId,
          webhookToken: smsToken,
          fetch: loopback.fetch,
        }),
        pricing: { perSegmentMinor: options.priceSmsSegmentMinor },
        rateLimit: { perSecond: 1000 },
        clock,
      }),
      createAvitoChannel({
        baseURL: sandbox.urls.avito,
        clientId: credentials.avito.clientId,
        clientSecret: credentials.avito.clientSecret,
        userId: credentials.avito.userId,
        webhookSecret: avitoSecret,
        fetch: loopback.fetch,
        clock,
      }),
      createMaxChannel({
        baseURL: sandbox.urls.max,
        token: credentials.max.token,
        webhookSecret: credentials.max.webhookSecret,
        botId: credentials.max.botId,
        botName: 'sever_auto_bot',
        rateLimit: { perSecond: 1000 },
        fetch: loopback.fetch,
      }),
    ];
    const { store, tmp } = await openStore(options, clock);
    running.store = store;
    running.tmp = tmp;
    const hub = createOmnidealer({ channels, store, clock });
    running.hub = hub;
    running.server.attach(hub);
    const verified = await sandbox.verifyWebhook();
    if (!verified.every((result) => result.ok)) throw new Error('the WhatsApp webhook handshake failed');

    const cascade = createCascade({
      hub,
      channels: ['email', 'max', 'whatsapp', 'sms'],
      policy: springSalePolicy(options.whatsAppFallback),
      concurrency: 16,
    });
    running.cascade = cascade;
    const dialogs = createDialogs(hub, sandbox, contacts);

    const sending = io.progress ? createProgressBar('sending', io.progress) : silentProgress;
    await cascade.campaign({
      mailingId: springSaleMailingId,
      contacts,
      content: springSaleContent,
      concurrency: 32,
      onProgress: (progress) => sending.update(progress.processed, contacts.length),
    });
    sending.finish(`${contacts.length} contacts`);

    const simulating = io.progress ? createProgressBar('49 h of statuses', io.progress) : silentProgress;
    const end = campaignStart + simulatedSpanMs;
    while (clock.now() < end) {
      const elapsed = clock.now() - campaignStart;
      // Minute steps while the dialogs run, then ten-minute steps: every deadline is checked within 10 minutes.
      clock.advance(elapsed < HOUR_MS ? 60_000 : 10 * 60_000);
      await sandbox.setTime(clock.now());
      await dialogs.runDue(clock.now());
      await settle(sandbox, cascade, dialogs, clock);
      simulating.update(clock.now() - campaignStart, simulatedSpanMs, `${Math.floor((clock.now() - campaignStart) / HOUR_MS)} h`);
    }
    simulating.finish('49 h simulated');

    const summary = await summarizeCampaign(store, springSaleMailingId, smsOnlyMinor(options.priceSmsSegmentMinor));
    const sla = await hub.slaReport({ targetMs: 120_000 });
    const capture: SandboxCapture = await sandbox.capture();
    const table = formatSummaryTable(summary);

    // A month later the dealer mails the same base again. The first mailing ran in the dealer's fixed order, with no
    // history to price by; now each contact's own outcomes and the base's totals are in the store, and the cascade
    // orders the channels by expected cost to reach: who left WhatsApp unread or was not on it, whose e-mail bounced.
    // Between the mailings some customers open the MAX link from their SMS and press Start: the hub joins their MAX
    // account to their contact (and records their consent).
    const tapRandom = createSeededRandom(options.seed, 'demo.invite-taps');
    for (const sms of capture.sms) {
      const payload = sms.text.match(/\?start=([\w-]+)/)?.[1];
      if (payload && sms.plannedOutcome === 'delivered' && tapRandom.chance(0.15)) await sandbox.maxStart({ payload });
    }
    await settle(sandbox, cascade, dialogs, clock);
    const firstReport = await cascade.report({ campaign: springSaleMailingId });
    cascade.close();
    const followUpCascade = createCascade({
      hub,
      channels: ['email', 'max', 'whatsapp', 'sms'],
      policy: { ...springSalePolicy(options.whatsAppFallback), ordering: 'expected_cost' },
      concurrency: 16,
    });
    running.cascade = followUpCascade;
    const followUpStart = campaignStart + 30 * DAY_MS;
    clock.set(followUpStart);
    await sandbox.setTime(followUpStart);
    const resending = io.progress ? createProgressBar('a month later', io.progress) : silentProgress;
    await followUpCascade.campaign({
      mailingId: springSaleFollowUpId,
      // The base as the CRM holds it now: with the MAX accounts and consents the invite links brought.
      contacts: await Promise.all(contacts.map(async (contact) => (await store.getContact(contact.id as string)) ?? contact)),
      content: springSaleContent,
      concurrency: 32,
      onProgress: (progress) => resending.update(progress.processed, contacts.length),
    });
    while (clock.now() < followUpStart + simulatedSpanMs) {
      clock.advance(10 * 60_000);
      await sandbox.setTime(clock.now());
      await settle(sandbox, followUpCascade, dialogs, clock);
    }
    resending.finish(`${contacts.length} contacts`);
    const followUp = await summarizeCampaign(store, springSaleFollowUpId, smsOnlyMinor(options.priceSmsSegmentMinor));
    const learning = compareMailings(firstReport, await followUpCascade.report({ campaign: springSaleFollowUpId }));
    const wallMs = performance.now() - started;
    const reportPath = await writeReport(options.outDir, summary, {
      seed: options.seed,
      mode: 'sandbox',
      priceWhatsAppMinor: options.priceWhatsAppMinor,
      priceSmsSegmentMinor: options.priceSmsSegmentMinor,
      sla,
      dialogs: dialogs.lines,
      wallMs,
    });
    log(table);
    log('');
    for (const line of dialogs.lines) log(`dialog: ${line}`);
    log(formatSla(sla));
    log(formatLearning(learning));
    log(`report: ${reportPath}`);
    return { summary, table, sla, dialogs: dialogs.lines, reportPath, wallMs, contacts, sandbox: capture, followUp, learning };
  } finally {
    await stopAll(running);
  }
}

/** Runs everything due now until nothing moves: sandbox webhooks, the hub's work, cascade deadlines and fallbacks. */
async function settle(sandbox: DemoSandbox, cascade: Cascade, dialogs: Dialogs, clock: Clock): Promise<void> {
  for (;;) {
    const delivered = await sandbox.flush(clock.now());
    await cascade.drain();
    await dialogs.drain();
    const steps = await cascade.runDueSteps();
    await cascade.drain();
    if (delivered === 0 && steps === 0) return;
  }
}

/** One-line SLA summary. */
export function formatSla(sla: SlaReport): string {
  const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms / 1000)} s`);
  const responders = Object.entries(sla.byResponder)
    .map(
      ([responder, figures]) =>
        `${responder}: ${figures.answered} answered (${figures.answeredLate} late), ${figures.waitingOverTarget} waiting`,
    )
    .join(' · ');
  return (
    `SLA (answer within ${Math.round(sla.targetMs / 1000)} s): ${sla.overall.answered} answered, median ${seconds(sla.overall.medianMs)}, ` +
    `${sla.overall.missed} missed · ${responders}`
  );
}

interface Dialogs {
  lines: string[];
  runDue(now: number): Promise<void>;
  drain(): Promise<void>;
}

/**
 * The inbound side of a dealer's day, scripted on the simulated clock:
 * - 11:05 a buyer asks on Avito about a listed car; operator Anna takes the chat and answers four minutes later;
 * - 11:10 a WhatsApp customer asks to book a test drive; the bot answers free-form a minute later (window open);
 * - 11:20 a campaign recipient taps «Позвать оператора» under the template; the chat goes to the operators' queue.
 */
function createDialogs(hub: Omnidealer, sandbox: DemoSandbox, contacts: readonly ContactInput[]): Dialogs {
  const lines: string[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) =>
      lines.push(`error: ${error instanceof Error ? error.message : String(error)}`),
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const avitoBuyer = contacts.find((contact) => (contact.identities?.avitoChatIds as string[] | undefined)?.length);
  const avitoChatId = (avitoBuyer?.identities?.avitoChatIds as string[] | undefined)?.[0];
  const bookingPhone = '+79031234567';
  const at = (minutes: number) => campaignStart + minutes * 60_000;
  let avitoConversation: string | undefined;
  let bookingConversation: string | undefined;

  hub.on('message.received', ({ message, conversation }) => {
    if (conversation.channel === 'avito') {
      avitoConversation = conversation.id;
      const subject = conversation.subject as { title?: string; price?: string } | undefined;
      lines.push(
        `Avito buyer asks about «${subject?.title ?? 'a listing'}» (${subject?.price ?? 'no price'}): "${textOf(message.content)}"`,
      );
      track(hub.assign(conversation.id, { assignee: 'anna', department: 'used-cars', by: 'router' }));
    } else if (conversation.channel === 'whatsapp' && message.metadata?.inboundKind === 'message') {
      bookingConversation = conversation.id;
      lines.push(`WhatsApp customer writes: "${textOf(message.content)}"`);
    }
  });
  hub.on('message.button', ({ conversation, payload }) => {
    if (payload !== 'CALL_OPERATOR') return;
    track(
      hub
        .assign(conversation.id, { department: 'sales', handler: 'operator', by: 'bot', note: 'tapped «Позвать оператора»' })
        .then((updated) => {
          lines.push(
            `A campaign recipient tapped «Позвать оператора»: chat queued for ${updated.department} (handler ${updated.handler})`,
          );
        }),
    );
  });

  const script: Array<{ at: number; run: () => Promise<unknown> }> = [
    {
      at: at(5),
      run: () =>
        sandbox.avitoInbound({
          ...(avitoChatId ? { chatId: avitoChatId } : {}),
          buyerName: avitoBuyer?.name ?? 'Покупатель',
          text: 'Здравствуйте! Ещё продаётся? Какой пробег и был ли в ДТП?',
        }),
    },
    {
      at: at(9),
      run: async () => {
        if (!avitoConversation) return;
        const conversation = await hub.store.getConversation(avitoConversation);
        if (!conversation) return;
        const reply = await hub.send({
          channel: 'avito',
          contact: { id: conversation.contactId },
          content: { type: 'text', text: 'Добрый день! Да, в продаже: пробег 48 000 км, без ДТП. Когда удобно посмотреть?' },
          sentBy: 'anna',
        });
        lines.push(`Operator anna answers on Avito after 4 min: ${reply.status}`);
      },
    },
    {
      at: at(10),
      run: () =>
        sandbox.whatsappInbound({
          from: bookingPhone,
          name: 'Игорь',
          text: 'Здравствуйте! Хочу записаться на тест-драйв Haval Jolion в субботу утром.',
        }),
    },
    {
      at: at(11),
      run: async () => {
        if (!bookingConversation) return;
        const conversation = await hub.store.getConversation(bookingConversation);
        if (!conversation) return;
        const reply = await hub.send({
          channel: 'whatsapp',
          contact: { id: conversation.contactId },
          content: { type: 'text', text: 'Записали вас на субботу, 7 марта, в 11:00. Адрес: Ленинградское ш., 16. До встречи!' },
          sentBy: 'bot',
        });
        lines.push(
          `Bot books the visit a minute later, inside the 24 h window (free-form, ${reply.cost?.amountMinor ?? 0} kopecks): ${reply.status}`,
        );
      },
    },
    {
      at: at(20),
      run: async () => {
        const read = (await sandbox.whatsappMessages()).find(
          (message) => message.type === 'template' && message.plannedOutcome === 'read',
        );
        if (!read) return;
        await sandbox.whatsappInbound({ from: read.to, button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
      },
    },
  ];

  return {
    lines,
    async runDue(now) {
      while (script.length > 0 && (script[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
        const next = script.shift();
        if (next) await next.run();
        await this.drain();
      }
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function textOf(content: { type: string; text?: string }): string {
  return content.type === 'text' && content.text ? content.text : `[${content.type}]`;
}

/** `--real`: the same campaign on real providers, to YOUR contacts from OMNIDEALER_DEMO_CONTACTS, with the system clock. */
async function runReal(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const env = io.env ?? process.env;
  const missing = missingRealEnv(env);
  if (missing.length > 0) {
    throw new DemoUsageError(
      `--real needs these environment variables: ${missing.join(', ')}.\nRun \`pnpm demo --help\` for what each one is; without --real the demo runs on the local sandbox.`,
    );
  }
  const started = performance.now();
  const log = io.log ?? (() => {});
  const contacts = JSON.parse(await readFile(env.OMNIDEALER_DEMO_CONTACTS as string, 'utf8')) as ContactInput[];
  if (!Array.isArray(contacts) || contacts.length === 0)
    throw new DemoUsageError('OMNIDEALER_DEMO_CONTACTS must name a JSON file with a non-empty array of contacts');
  const running: Partial<Running> = {};
  try {
    running.server = await startWebhookServer({ host: '0.0.0.0', port: Number(env.OMNIDEALER_DEMO_PORT ?? 3000) });
    const channels: Channel[] = [
      createWhatsAppChannel({ templates: [springSaleTemplate], pricing: whatsAppPricingOf(options.priceWhatsAppMinor) }),
      createSmsChannel({
        gateway: createSmsRuGateway({ webhookToken: env.SMSRU_WEBHOOK_TOKEN }),
        pricing: { perSegmentMinor: options.priceSmsSegmentMinor },
      }),
    ];
    if (optionalRealEnv.email.every((name) => env[name])) {
      running.email = createEmailChannel({ from: env.OMNIDEALER_EMAIL_FROM as string });
      channels.unshift(running.email);
    }
    if (optionalRealEnv.avito.every((name) => env[name])) {
      channels.push(
        createAvitoChannel({
          clientId: env.AVITO_CLIENT_ID as string,
          clientSecret: env.AVITO_CLIENT_SECRET as string,
          userId: env.AVITO_USER_ID as string,
          webhookSecret: env.AVITO_WEBHOOK_SECRET,
        }),
      );
    }
    const { store, tmp } = await openStore(options, systemClock);
    running.store = store;
    running.tmp = tmp;
    const hub = createOmnidealer({ channels, store });
    running.hub = hub;
    running.server.attach(hub);
    const cascadeChannels = channels.map((channel) => channel.id).filter((id) => id !== 'avito');
    const cascade = createCascade({ hub, channels: cascadeChannels, policy: springSalePolicy(options.whatsAppFallback) });
    running.cascade = cascade;
    cascade.start();
    const sending = io.progress ? createProgressBar('sending', io.progress) : silentProgress;
    await cascade.campaign({
      mailingId: springSaleMailingId,
      contacts,
      content: springSaleContent,
      onProgress: (progress) => sending.update(progress.processed, contacts.length),
    });
    sending.finish(`${contacts.length} contacts`);
    const waiting = io.progress ? createProgressBar('waiting for statuses', io.progress) : silentProgress;
    for (let second = 0; second < options.waitSeconds; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      waiting.update(second + 1, options.waitSeconds, `${second + 1} s`);
    }
    waiting.finish();
    await cascade.drain();
    const summary = await summarizeCampaign(store, springSaleMailingId, smsOnlyMinor(options.priceSmsSegmentMinor));
    const sla = await hub.slaReport();
    const table = formatSummaryTable(summary);
    const wallMs = performance.now() - started;
    const reportPath = await writeReport(options.outDir, summary, {
      seed: options.seed,
      mode: 'real',
      priceWhatsAppMinor: options.priceWhatsAppMinor,
      priceSmsSegmentMinor: options.priceSmsSegmentMinor,
      sla,
      dialogs: [],
      wallMs,
    });
    log(table);
    if (summary.running > 0)
      log(`${summary.running} cascades still wait for a status or a 24 h deadline: keep a process with cascade.start() running.`);
    log(`report: ${reportPath}`);
    return { summary, table, sla, dialogs: [], reportPath, wallMs, contacts };
  } finally {
    await stopAll(running);
  }
}
