import { type Cascade, createCascade, DAY_MS, HOUR_MS } from '@omnidealer/cascade';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel } from '@omnidealer/channel-email';
import { createMaxChannel } from '@omnidealer/channel-max';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import {
  type Channel,
  type Clock,
  createManualClock,
  createOmnidealer,
  type ManualClock,
  startWebhookServer,
} from '@omnidealer/core';
import { createSeededRandom, seedContacts } from '@omnidealer/sandbox';
import { createDialogs, type Dialogs, formatSla } from './demo-dialogs.js';
import type { DemoOptions } from './demo-options.js';
import { smsOnlyMinor, whatsAppPricingOf } from './demo-pricing.js';
import type { DemoIo, DemoResult } from './demo-result.js';
import { openStore, type Running, stopAll } from './demo-running.js';
import { type DemoSandbox, type SandboxCapture, startDemoSandbox } from './demo-sandbox.js';
import { formatSummaryTable, summarizeCampaign } from './demo-summary.js';
import { writeReport } from './html-report.js';
import { createLoopbackFetch } from './loopback-fetch.js';
import { compareMailings, formatLearning } from './mailing-comparison.js';
import { createProgressBar, silentProgress } from './progress-bar.js';
import {
  campaignStart,
  springSaleContent,
  springSaleFollowUpId,
  springSaleMailingId,
  springSalePolicy,
  springSaleTemplate,
} from './spring-sale.js';

/** Statuses, 24 h deadlines and the SMS's own 24 h deadline: everything settles within 49 simulated hours. */
const simulatedSpanMs = 49 * HOUR_MS;

const hexOf = (seed: number, key: string, length: number) => {
  const random = createSeededRandom(seed, key);
  return Array.from({ length }, () => random.integer(0, 15).toString(16)).join('');
};

/**
 * The sandbox run: the spring-sale mailing with 49 simulated hours of statuses, fallbacks and the inbound dialogs,
 * then the same base mailed again a month later with what the first mailing taught.
 */
export async function runSandbox(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
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
    const dialogs = createDialogs(hub, sandbox, contacts, campaignStart);

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
