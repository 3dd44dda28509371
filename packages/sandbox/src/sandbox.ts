import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock, ContactInput } from '@omnidealer/core';
import { parseInput, systemClock } from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import type { AcceleratedClock } from './accelerated-clock.js';
import { type AvitoSandbox, createAvitoSandbox } from './avito-sandbox.js';
import { createFaultInjector } from './fault-injector.js';
import { createMaxSandbox, type MaxSandbox } from './max-sandbox.js';
import { type SandboxBehaviour, type SandboxProvider, sandboxBehaviourSchema } from './sandbox-behaviour.js';
import type { HttpProvider, SandboxContext } from './sandbox-context.js';
import { createSandboxCredentials, type SandboxCredentials, type SandboxCredentialsInput } from './sandbox-credentials.js';
import { createSandboxEmitter, type SandboxEventName, type SandboxEvents, type WebhookDeliveryEvent } from './sandbox-events.js';
import type { SandboxRequest, SandboxResponse } from './sandbox-http.js';
import { createScheduler, type SandboxTimers } from './sandbox-scheduler.js';
import { createSandboxStats, type SandboxStats } from './sandbox-stats.js';
import { createSmsRuSandbox, type SmsRuSandbox } from './sms-ru-sandbox.js';
import { createSmscSandbox, type SmscSandbox } from './smsc-sandbox.js';
import { type SmtpSandbox, startSmtpSandbox } from './smtp-sandbox.js';
import { createTelegramSandbox, type TelegramSandbox } from './telegram-sandbox.js';
import { createTwilioSandbox, type TwilioSandbox } from './twilio-sandbox.js';
import { createVkSandbox, type VkSandbox } from './vk-sandbox.js';
import { createWebhookDispatcher } from './webhook-dispatcher.js';
import { createWhatsAppSandbox, type WhatsAppSandbox } from './whatsapp-sandbox.js';

/** Where the sandbox POSTs webhooks: one URL or several per provider (your webhook endpoints). */
export interface SandboxWebhookTargets {
  /** Receives signed `whatsapp_business_account` notifications (statuses and inbound messages). */
  whatsapp?: string | string[];
  /** Receives Avito v3 `message` events (also addable at runtime via `POST /messenger/v3/webhook`). */
  avito?: string | string[];
  /** Receives SMS.ru status callbacks (`data[]=sms_status\n<id>\n<code>\n<time>`). */
  smsRu?: string | string[];
  /** Receives SMSC.ru status callbacks (form `id, phone, status, err, ts, …` signed with `md5` of `id:phone:status:<callbackSecret>`). */
  smsc?: string | string[];
  /** Receives Twilio status callbacks (signed `X-Twilio-Signature`) for messages sent without `StatusCallback`. */
  twilio?: string | string[];
  /** Receives MAX updates with `X-Max-Bot-Api-Secret: <credentials.max.webhookSecret>` (also addable via `POST /subscriptions`). */
  max?: string | string[];
  /** Receives Telegram updates with `X-Telegram-Bot-Api-Secret-Token: <credentials.telegram.webhookSecret>` (also settable via `setWebhook`). */
  telegram?: string | string[];
  /** Receives VK Callback API events with `secret: <credentials.vk.secret>`; without it events queue for Bots Long Poll. */
  vk?: string | string[];
}

/** Options of {@link startSandbox}. */
export interface StartSandboxOptions {
  /** Every id, credential and outcome derives from it: same seed, same run. */
  seed: number | string;
  /** HTTP port on 127.0.0.1. @default 0 (a free port) */
  port?: number;
  /** SMTP port on 127.0.0.1. @default 0 (a free port) */
  smtpPort?: number;
  /** @default '127.0.0.1' */
  host?: string;
  webhookTargets?: SandboxWebhookTargets;
  /** Probabilities, delays, prices and faults. @default realistic defaults (see README) */
  behaviour?: SandboxBehaviour;
  /** Source of simulated time for timestamps, token expiry and the 24 h window. @default systemClock */
  clock?: Clock;
  /** `real` (timers, sped up by `speed`) or `manual` (events wait for `sandbox.flush()`). @default 'real' */
  timers?: SandboxTimers;
  /** Simulated ms per real ms for `real` timers. @default the clock's `speed` ({@link AcceleratedClock}) or 1 */
  speed?: number;
  /** Override fake credentials, e.g. to reuse the ones already in your configuration. */
  credentials?: SandboxCredentialsInput;
  /** Contacts whose `identities.avitoChatIds` become existing Avito chats and whose `identities.max` MAX users with a dialog (see `seedContacts`). */
  contacts?: readonly ContactInput[];
  /** `fetch` for webhook deliveries. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Base URLs to point channels at. Each replaces the provider's origin (`https://graph.facebook.com`, …). */
export interface SandboxUrls {
  /** `http://127.0.0.1:<port>` — every provider also answers here without a prefix. */
  base: string;
  /** Replaces `https://graph.facebook.com`: `POST {whatsapp}/v23.0/{phoneNumberId}/messages`. */
  whatsapp: string;
  /** `{whatsapp}/{apiVersion}/{phoneNumberId}`: the base a channel posts `messages` and `media` to. */
  whatsappMessages: string;
  /** Replaces `https://api.avito.ru`: `POST {avito}/token`, `{avito}/messenger/…`. */
  avito: string;
  /** Replaces `https://sms.ru`: `{smsRu}/sms/send`. */
  smsRu: string;
  /** Replaces `https://smsc.ru`: `{smsc}/sys/send.php`. */
  smsc: string;
  /** Replaces `https://api.twilio.com`: `{twilio}/2010-04-01/Accounts/{sid}/Messages.json`. */
  twilio: string;
  /** Replaces `https://platform-api2.max.ru`: `POST {max}/messages?user_id=…`. */
  max: string;
  /** Replaces `https://api.telegram.org` (the channel's `baseURL`): `POST {telegram}/bot<token>/sendMessage`. */
  telegram: string;
  /** Replaces `https://api.vk.ru/method`: `POST {vk}/messages.send`. */
  vk: string;
  smtp: { host: string; port: number };
  /** `smtp://127.0.0.1:<port>` (plain SMTP, no TLS). */
  smtpUrl: string;
}

/** A running sandbox. Call `stop()` when done. */
export interface Sandbox {
  readonly urls: SandboxUrls;
  readonly credentials: SandboxCredentials;
  readonly whatsapp: WhatsAppSandbox;
  readonly avito: AvitoSandbox;
  readonly smsRu: SmsRuSandbox;
  readonly smsc: SmscSandbox;
  readonly twilio: TwilioSandbox;
  readonly max: MaxSandbox;
  readonly telegram: TelegramSandbox;
  readonly vk: VkSandbox;
  readonly smtp: SmtpSandbox;
  /** A snapshot of every counter. */
  stats(): SandboxStats;
  /** Every webhook attempt so far, in order. */
  webhooks(): readonly WebhookDeliveryEvent[];
  /**
   * Replaces the webhook targets of the providers named (others keep theirs): for when your webhook server can only
   * start after the sandbox, because it needs the sandbox's URLs and credentials first.
   * @throws {ValidationError} when a URL is malformed.
   */
  setWebhookTargets(targets: SandboxWebhookTargets): void;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends SandboxEventName>(event: E, listener: (payload: SandboxEvents[E]) => void): () => void;
  /**
   * Runs every scheduled event (status change, echo, read, webhook retry) due by now on the sandbox clock, and
   * waits for their webhooks. `{ all: true }` runs everything still pending, whatever its time. Returns the count.
   */
  flush(options?: { all?: boolean }): Promise<number>;
  /** Resolves when nothing is running (and, with `real` timers, nothing is pending). */
  idle(): Promise<void>;
  /** Number of scheduled events not yet run. */
  pending(): number;
  /** Stops the HTTP and SMTP servers and drops pending events. */
  stop(): Promise<void>;
}

const targetsSchema = z
  .object({
    whatsapp: z.union([z.url(), z.array(z.url())]).optional(),
    avito: z.union([z.url(), z.array(z.url())]).optional(),
    smsRu: z.union([z.url(), z.array(z.url())]).optional(),
    smsc: z.union([z.url(), z.array(z.url())]).optional(),
    twilio: z.union([z.url(), z.array(z.url())]).optional(),
    max: z.union([z.url(), z.array(z.url())]).optional(),
    telegram: z.union([z.url(), z.array(z.url())]).optional(),
    vk: z.union([z.url(), z.array(z.url())]).optional(),
  })
  .strict();

const optionsSchema = z
  .object({
    seed: z.union([z.number(), z.string().min(1)]),
    port: z.number().int().min(0).max(65535).optional(),
    smtpPort: z.number().int().min(0).max(65535).optional(),
    host: z.string().min(1).optional(),
    webhookTargets: targetsSchema.optional(),
    behaviour: z.unknown().optional(),
    clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function').optional(),
    timers: z.enum(['real', 'manual']).optional(),
    speed: z.number().positive().optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
    contacts: z.array(z.unknown()).optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function').optional(),
  })
  .strict();

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? [...value] : [value]);

const prefixes: Record<string, Exclude<SandboxProvider, 'smtp'>> = {
  whatsapp: 'whatsapp',
  avito: 'avito',
  smsru: 'smsRu',
  smsc: 'smsc',
  twilio: 'twilio',
  max: 'max',
  telegram: 'telegram',
  vk: 'vk',
};

/** Which simulated provider a path belongs to, and the path as that provider sees it. */
function routeOf(pathname: string): { provider: Exclude<SandboxProvider, 'smtp'>; path: string } | undefined {
  const [first = ''] = pathname.split('/').filter(Boolean);
  const prefixed = prefixes[first];
  if (prefixed) return { provider: prefixed, path: pathname.slice(first.length + 1) || '/' };
  if (/^v\d+(\.\d+)?$/.test(first) || first === 'whatsapp_business') return { provider: 'whatsapp', path: pathname };
  if (first === 'token' || first === 'messenger' || first === 'core') return { provider: 'avito', path: pathname };
  if (first === 'sms' || first === 'my' || first === 'auth') return { provider: 'smsRu', path: pathname };
  if (first === 'sys') return { provider: 'smsc', path: pathname };
  if (first === '2010-04-01') return { provider: 'twilio', path: pathname };
  return undefined;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RangeError('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function write(target: ServerResponse, response: SandboxResponse, truncate: boolean): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  target.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) target.setHeader(name, value);
  target.setHeader('content-length', String(body.length));
  if (!truncate) {
    target.end(body);
    return;
  }
  target.flushHeaders();
  target.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => target.destroy());
}

/**
 * Starts local sandbox providers — WhatsApp Cloud API, Avito Messenger API, MAX Bot API, SMS.ru, SMSC.ru and Twilio on one HTTP
 * port, plus an SMTP server — that speak the real wire formats, simulate deliveries, reads and failures from a seeded behaviour model,
 * and POST real-format webhooks (signed, for WhatsApp) to your endpoints.
 * @throws {ValidationError} when options or behaviour are malformed (the field is named).
 * @example
 * const sandbox = await startSandbox({ seed: 42, webhookTargets: { whatsapp: 'http://127.0.0.1:3000/hooks/whatsapp' } });
 * const whatsapp = createWhatsAppChannel({ baseURL: sandbox.urls.whatsapp, ...sandbox.credentials.whatsapp });
 * // … send through the hub, receive statuses on your webhook …
 * await sandbox.stop();
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api
 */
export async function startSandbox(options: StartSandboxOptions): Promise<Sandbox> {
  const parsed = parseInput(optionsSchema, options, 'options', 'sandbox');
  const behaviour = parseInput(sandboxBehaviourSchema, options.behaviour ?? {}, 'behaviour', 'sandbox');
  const seed = parsed.seed;
  const host = parsed.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? (clock as Partial<AcceleratedClock>).speed ?? 1;
  const scheduler = createScheduler({ clock, timers: options.timers ?? 'real', speed });
  const emitter = createSandboxEmitter();
  const stats = createSandboxStats();
  const credentials = createSandboxCredentials(seed, options.credentials);
  const faults = createFaultInjector(seed, behaviour.faults);
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const dispatcher = createWebhookDispatcher({
    fetch: fetchImplementation,
    clock,
    scheduler,
    emitter,
    stats,
    maxAttempts: behaviour.webhooks.maxAttempts,
    retryDelayMs: behaviour.webhooks.retryDelayMs,
  });
  const targets = options.webhookTargets ?? {};
  const context: SandboxContext = {
    seed,
    clock,
    scheduler,
    emitter,
    stats,
    dispatcher,
    behaviour,
    credentials,
    origin: '',
    fetch: fetchImplementation,
    targets: {
      whatsapp: list(targets.whatsapp),
      avito: list(targets.avito),
      smsRu: list(targets.smsRu),
      smsc: list(targets.smsc),
      twilio: list(targets.twilio),
      max: list(targets.max),
      telegram: list(targets.telegram),
      vk: list(targets.vk),
    },
  };

  const whatsapp = createWhatsAppSandbox(context);
  const avito = createAvitoSandbox(context);
  const smsRu = createSmsRuSandbox(context);
  const smsc = createSmscSandbox(context);
  const twilio = createTwilioSandbox(context);
  const max = createMaxSandbox(context);
  const telegram = createTelegramSandbox(context);
  const vk = createVkSandbox(context);
  const providers: Record<Exclude<SandboxProvider, 'smtp'>, HttpProvider> = {
    whatsapp,
    avito,
    smsRu,
    smsc,
    twilio,
    max,
    telegram,
    vk,
  };
  for (const contact of options.contacts ?? []) {
    for (const chatId of contact.identities?.avitoChatIds ?? []) {
      avito.addChat({ chatId, ...(contact.name === undefined ? {} : { buyerName: contact.name }) });
    }
    const maxUserId = Number(contact.identities?.max);
    if (Number.isSafeInteger(maxUserId) && maxUserId > 0) {
      max.addUser({ userId: maxUserId, ...(contact.name === undefined ? {} : { firstName: contact.name }) });
    }
    const telegramUserId = Number(contact.identities?.telegram);
    if (Number.isSafeInteger(telegramUserId) && telegramUserId > 0) {
      telegram.addUser({ userId: telegramUserId, ...(contact.name === undefined ? {} : { firstName: contact.name }) });
    }
    const vkUserId = Number(contact.identities?.vk);
    if (Number.isSafeInteger(vkUserId) && vkUserId > 0) {
      vk.addUser({ userId: vkUserId, ...(contact.name === undefined ? {} : { firstName: contact.name }) });
    }
  }

  const sockets = new Set<Socket>();
  const holds = new Set<ReturnType<typeof setTimeout>>();
  const server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://sandbox.local');
    const route = routeOf(url.pathname);
    if (!route) {
      outgoing.writeHead(404, { 'content-type': 'text/plain' }).end('no sandbox provider at this path');
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(incoming, 50 * 1024 * 1024);
    } catch {
      outgoing.writeHead(413).end();
      return;
    }
    url.pathname = route.path;
    const request: SandboxRequest = { method: incoming.method ?? 'GET', url, headers: incoming.headers, body };
    const provider = providers[route.provider];
    stats[route.provider].requests++;
    const fault = faults.decide(route.provider, route.path);
    if (fault) stats[route.provider].faults++;
    if (fault?.kind === 'slow') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          holds.delete(timer);
          resolve();
        }, fault.delayMs);
        holds.add(timer);
        outgoing.once('close', () => {
          clearTimeout(timer);
          holds.delete(timer);
          resolve();
        });
      });
      if (outgoing.destroyed) return;
    }
    let response: SandboxResponse;
    if (fault && fault.kind !== 'slow' && fault.kind !== 'truncated') response = provider.faultResponse(fault);
    else {
      try {
        response = await provider.handle(request);
      } catch (error) {
        response = { status: 500, body: `sandbox error: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    emitter.emit('request', {
      provider: route.provider,
      method: request.method,
      path: route.path,
      status: response.status,
      fault: fault?.kind,
      at: clock.now(),
    });
    write(outgoing, response, fault?.kind === 'truncated');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(parsed.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  const origin = `http://${host}:${port}`;
  context.origin = origin;

  const smtp = await startSmtpSandbox({
    host,
    port: parsed.smtpPort ?? 0,
    seed,
    clock,
    behaviour: behaviour.smtp,
    credentials: credentials.smtp,
    faults,
    emitter,
    stats,
  }).catch(async (error: unknown) => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  });

  let stopped = false;
  return {
    urls: {
      base: origin,
      whatsapp: `${origin}/whatsapp`,
      whatsappMessages: `${origin}/whatsapp/${credentials.whatsapp.apiVersion}/${credentials.whatsapp.phoneNumberId}`,
      avito: `${origin}/avito`,
      smsRu: `${origin}/smsru`,
      smsc: `${origin}/smsc`,
      twilio: `${origin}/twilio`,
      max: `${origin}/max`,
      telegram: `${origin}/telegram`,
      vk: `${origin}/vk/method`,
      smtp: { host, port: smtp.port },
      smtpUrl: `smtp://${host}:${smtp.port}`,
    },
    credentials,
    whatsapp,
    avito,
    smsRu,
    smsc,
    twilio,
    max,
    telegram,
    vk,
    smtp,
    stats: () => structuredClone(stats),
    webhooks: () => dispatcher.log,
    setWebhookTargets(next) {
      const checked = parseInput(targetsSchema, next, 'targets', 'sandbox');
      for (const provider of ['whatsapp', 'avito', 'smsRu', 'smsc', 'twilio', 'max', 'telegram', 'vk'] as const) {
        if (checked[provider] !== undefined) context.targets[provider] = list(checked[provider]);
      }
    },
    on: (event, listener) => emitter.on(event, listener),
    flush: (flushOptions = {}) => scheduler.flush(flushOptions.all ? Number.POSITIVE_INFINITY : clock.now()),
    idle: () => scheduler.idle(),
    pending: () => scheduler.pending(),
    async stop() {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      for (const timer of holds) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), smtp.close()]);
    },
  };
}
