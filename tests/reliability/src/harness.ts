import { type AvitoChannel, createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel, type EmailChannel } from '@omnidealer/channel-email';
import { createSmsChannel, createSmsRuGateway, createTwilioGateway, type SmsChannel } from '@omnidealer/channel-sms';
import { createWhatsAppChannel, type WhatsAppChannel } from '@omnidealer/channel-whatsapp';
import {
  type ContactInput,
  createManualClock,
  createOmnidealer,
  type Logger,
  type ManualClock,
  type MessageContentInput,
  type Omnidealer,
  type Store,
} from '@omnidealer/core';
import type { RetryOptions } from '@omnidealer/core/provider-utils';
import { type FaultRule, type Sandbox, type SandboxBehaviour, startSandbox } from '@omnidealer/sandbox';

/** Where the sandbox POSTs its webhooks; never resolved over the network (the sandbox's `fetch` routes to the hub). */
export const hookOrigin = 'http://hooks.reliability.test';
export const avitoWebhookSecret = 'avito-path-secret-5f1c2e9a7b';
export const smsRuWebhookToken = 'smsru-callback-token-8d3b6a1f0c';
export const sesWebhookSecret = 'ses-shared-secret-2b7e9c4d1a';

/** The seeded contacts every scenario talks to: their full phone numbers and e-mails must never leak. */
export const contacts = {
  ivan: {
    id: 'c-ivan',
    name: 'Иван Петров',
    phone: '+79161234567',
    email: 'ivan.petrov@mail-reliability.ru',
    identities: { avitoChatIds: ['u2i-reliability-ivan'] },
  },
  olga: {
    id: 'c-olga',
    name: 'Ольга Смирнова',
    phone: '+79035550123',
    email: 'olga.smirnova@mail-reliability.ru',
    identities: { avitoChatIds: ['u2i-reliability-olga'] },
  },
} satisfies Record<string, ContactInput>;

/** A line a capturing logger received, already redacted by the hub. */
export interface LogLine {
  level: keyof Logger;
  message: string;
  data?: Record<string, unknown> | undefined;
}

/** A logger that keeps every line (serialised) so tests can search it. */
export function createCapturingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const push = (level: keyof Logger) => (data: Record<string, unknown>, message: string) => {
    lines.push({ level, message, data });
  };
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () => lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.data ?? {})}`).join('\n'),
  };
}

export interface HarnessOptions {
  faults?: FaultRule[];
  behaviour?: Omit<SandboxBehaviour, 'faults'>;
  retry?: RetryOptions;
  /** Per-request timeout of every HTTP channel. @default 2000 */
  timeoutMs?: number;
  store?: Store;
  logger?: Logger;
  seed?: number;
}

export interface Harness {
  sandbox: Sandbox;
  hub: Omnidealer;
  clock: ManualClock;
  whatsapp: WhatsAppChannel;
  avito: AvitoChannel;
  sms: SmsChannel;
  twilio: SmsChannel;
  email: EmailChannel;
  /** Sleeps the retry policy asked for (Retry-After), in ms. */
  sleeps: number[];
  /** Webhook deliveries the hub answered, by channel id: status codes. */
  webhookAnswers: Array<{ channel: string; status: number }>;
  stop(): Promise<void>;
}

const start = Date.parse('2026-03-02T09:00:00Z');

/** Routes a sandbox webhook delivery straight into `hub.handleWebhook` (no HTTP server needed). */
function channelOfHook(url: URL): string {
  return url.pathname.split('/')[1] ?? '';
}

/**
 * Starts the sandbox (manual timers) and a hub with every channel pointed at it: WhatsApp, Avito, SMS.ru (`sms`),
 * Twilio (`twilio`) and SMTP e-mail. Retries back off for real but briefly (ms), and `Retry-After` waits are recorded.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = createManualClock(start);
  const sleeps: number[] = [];
  const webhookAnswers: Harness['webhookAnswers'] = [];
  let hubRef: Omnidealer | undefined;
  const sandbox = await startSandbox({
    seed: options.seed ?? 11,
    clock,
    timers: 'manual',
    contacts: Object.values(contacts),
    behaviour: { ...options.behaviour, faults: options.faults ?? [] },
    webhookTargets: {
      whatsapp: `${hookOrigin}/whatsapp`,
      avito: `${hookOrigin}/avito/${avitoWebhookSecret}`,
      smsRu: `${hookOrigin}/sms?token=${smsRuWebhookToken}`,
      twilio: `${hookOrigin}/twilio`,
    },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const channel = channelOfHook(new URL(request.url));
      if (!hubRef) return new Response('hub not ready', { status: 503 });
      const response = await hubRef.handleWebhook(channel, request);
      webhookAnswers.push({ channel, status: response.status });
      return response;
    },
  });
  const credentials = sandbox.credentials;
  const timeoutMs = options.timeoutMs ?? 2000;
  const whatsapp = createWhatsAppChannel({
    baseURL: sandbox.urls.whatsappMessages,
    phoneNumberId: credentials.whatsapp.phoneNumberId,
    accessToken: credentials.whatsapp.accessToken,
    appSecret: credentials.whatsapp.appSecret,
    verifyToken: credentials.whatsapp.verifyToken,
    rateLimit: { perSecond: 1000, perRecipientIntervalMs: 0 },
    timeoutMs,
    clock,
  });
  const avito = createAvitoChannel({
    baseURL: sandbox.urls.avito,
    clientId: credentials.avito.clientId,
    clientSecret: credentials.avito.clientSecret,
    userId: credentials.avito.userId,
    webhookSecret: avitoWebhookSecret,
    webhookListingLookup: false,
    rateLimit: { perSecond: 1000 },
    timeoutMs,
    clock,
  });
  const sms = createSmsChannel({
    gateway: createSmsRuGateway({
      baseURL: sandbox.urls.smsRu,
      apiId: credentials.smsRu.apiId,
      webhookToken: smsRuWebhookToken,
      timeoutMs,
    }),
    rateLimit: { perSecond: 1000 },
    clock,
  });
  const twilio = createSmsChannel({
    id: 'twilio',
    gateway: createTwilioGateway({
      baseURL: sandbox.urls.twilio,
      accountSid: credentials.twilio.accountSid,
      authToken: credentials.twilio.authToken,
      from: credentials.twilio.from,
      webhookUrl: `${hookOrigin}/twilio`,
      timeoutMs,
    }),
    rateLimit: { perSecond: 1000 },
    clock,
  });
  const email = createEmailChannel({
    transport: {
      host: sandbox.urls.smtp.host,
      port: sandbox.urls.smtp.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: credentials.smtp.user, pass: credentials.smtp.pass },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    },
    from: 'Автосалон Север <sales@sever-auto.example>',
    webhook: { secret: sesWebhookSecret },
    rateLimit: { perSecond: 1000 },
    clock,
  });
  const hub = createOmnidealer({
    channels: [whatsapp, avito, sms, twilio, email],
    clock,
    ...(options.store ? { store: options.store } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    retry: {
      retries: 4,
      minTimeoutMs: 5,
      maxTimeoutMs: 40,
      jitter: false,
      ...options.retry,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  hubRef = hub;
  return {
    sandbox,
    hub,
    clock,
    whatsapp,
    avito,
    sms,
    twilio,
    email,
    sleeps,
    webhookAnswers,
    async stop() {
      await hub.shutdown();
      await sandbox.stop();
    },
  };
}

export type ChannelId = 'whatsapp' | 'avito' | 'sms' | 'twilio' | 'email';

/** What each channel sends in the scenarios (WhatsApp needs a template outside the 24 h window). */
export const contentFor: Record<ChannelId, MessageContentInput> = {
  whatsapp: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
  avito: { type: 'text', text: 'Здравствуйте! Автомобиль ещё в продаже.' },
  sms: { type: 'text', text: 'Иван, пора на ТО. Запись по ссылке.' },
  twilio: { type: 'text', text: 'Ivan, your service is due.' },
  email: { type: 'email', subject: 'Запись на ТО', text: 'Иван, пора на ТО.' },
};

export const channelIds = Object.keys(contentFor) as ChannelId[];
