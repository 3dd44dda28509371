import { readFile } from 'node:fs/promises';
import { createCascade } from '@omnidealer/cascade';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel } from '@omnidealer/channel-email';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { type Channel, type ContactInput, createOmnidealer, startWebhookServer } from '@omnidealer/core';
import { systemClock } from '@omnidealer/core/provider-utils';
import { type DemoOptions, missingRealEnv, optionalRealEnv } from './demo-options.js';
import { smsOnlyMinor, whatsAppPricingOf } from './demo-pricing.js';
import type { DemoIo, DemoResult } from './demo-result.js';
import { openStore, type Running, stopAll } from './demo-running.js';
import { formatSummaryTable, summarizeCampaign } from './demo-summary.js';
import { DemoUsageError } from './demo-usage-error.js';
import { writeReport } from './html-report.js';
import { createProgressBar, silentProgress } from './progress-bar.js';
import { springSaleContent, springSaleMailingId, springSalePolicy, springSaleTemplate } from './spring-sale.js';

/** `--real`: the same campaign on real providers, to YOUR contacts from OMNIDEALER_DEMO_CONTACTS, with the system clock. */
export async function runReal(options: DemoOptions, io: DemoIo): Promise<DemoResult> {
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
