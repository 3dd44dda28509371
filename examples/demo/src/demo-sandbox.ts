import { createManualClock } from '@omnidealer/core';
import {
  type AvitoInboundInput,
  type AvitoInboundResult,
  type SandboxCredentials,
  type SandboxStats,
  type SandboxUrls,
  type SmsRuSentMessage,
  type StartSandboxOptions,
  startSandbox,
  type WebhookVerification,
  type WhatsAppInboundInput,
  type WhatsAppInboundResult,
  type WhatsAppSentMessage,
} from '@omnidealer/sandbox';

/** What the sandbox received, captured before it stopped: the test checks the summary against it. */
export interface SandboxCapture {
  stats: SandboxStats;
  whatsapp: readonly WhatsAppSentMessage[];
  sms: readonly SmsRuSentMessage[];
  /** Envelope recipients of every mail the SMTP sandbox accepted. */
  mailTo: readonly string[];
}

/** What the demo uses of the sandbox: its URLs and credentials, time, injected inbound traffic and what it received. */
export interface DemoSandbox {
  readonly urls: SandboxUrls;
  readonly credentials: SandboxCredentials;
  /** Moves the sandbox clock to `now` (the demo's manual clock). */
  setTime(now: number): Promise<void>;
  /** Runs everything due at `now` and waits for the webhooks; returns how many events ran. */
  flush(now: number): Promise<number>;
  whatsappInbound(input: WhatsAppInboundInput): Promise<WhatsAppInboundResult>;
  /** A customer presses Start in the dealer's MAX bot, through a deep link when `payload` is given. */
  maxStart(input: { payload?: string; firstName?: string }): Promise<unknown>;
  avitoInbound(input: AvitoInboundInput): Promise<AvitoInboundResult>;
  verifyWebhook(): Promise<WebhookVerification[]>;
  whatsappMessages(): Promise<readonly WhatsAppSentMessage[]>;
  capture(): Promise<SandboxCapture>;
  stop(): Promise<void>;
}

/** Start options: everything but the clock (manual, starting at `startMs`). */
export interface SandboxStartInput {
  startMs: number;
  options: Omit<StartSandboxOptions, 'clock' | 'timers' | 'speed'>;
}

/** Starts the sandbox providers on loopback with a manual clock that the demo moves (`setTime`, `flush`). */
export async function startDemoSandbox(input: SandboxStartInput): Promise<DemoSandbox> {
  const clock = createManualClock(input.startMs);
  const sandbox = await startSandbox({ ...input.options, clock, timers: 'manual' });
  const setTime = (now: number) => {
    if (now > clock.now()) clock.set(now);
  };
  return {
    urls: sandbox.urls,
    credentials: sandbox.credentials,
    setTime: async (now) => setTime(now),
    flush: async (now) => {
      setTime(now);
      return sandbox.flush();
    },
    whatsappInbound: (inbound) => sandbox.whatsapp.inbound(inbound),
    maxStart: (input) => sandbox.max.start(input),
    avitoInbound: (inbound) => sandbox.avito.inbound(inbound),
    verifyWebhook: () => sandbox.whatsapp.verifyWebhook(),
    whatsappMessages: async () => sandbox.whatsapp.messages(),
    capture: async () => ({
      stats: sandbox.stats(),
      whatsapp: [...sandbox.whatsapp.messages()],
      sms: [...sandbox.smsRu.messages()],
      mailTo: sandbox.smtp.messages().flatMap((mail) => mail.to),
    }),
    stop: () => sandbox.stop(),
  };
}
