import { createTelegramSandboxStats, type TelegramSandboxStats } from './telegram-sandbox-credentials.js';

/** Counters of one provider's HTTP traffic and webhooks. */
export interface ProviderTrafficStats {
  requests: number;
  /** Requests answered with an injected fault. */
  faults: number;
  /** Requests refused for bad auth or a bad body (4xx that were not faults). */
  rejected: number;
  webhooks: { delivered: number; failed: number };
}

/** WhatsApp counters. Statuses count when they happen on the sandbox clock. */
export interface WhatsAppSandboxStats extends ProviderTrafficStats {
  accepted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  inbound: number;
  /**
   * Billable (charged) messages by pricing category, counted at `delivered` (what Meta bills). `service` counts only
   * from 1 Oct 2026, when Meta starts charging service messages.
   */
  billable: Record<'marketing' | 'utility' | 'authentication' | 'service', number>;
}

/** Avito counters. */
export interface AvitoSandboxStats extends ProviderTrafficStats {
  accepted: number;
  read: number;
  inbound: number;
  tokensIssued: number;
}

/** MAX counters. */
export interface MaxSandboxStats extends ProviderTrafficStats {
  accepted: number;
  inbound: number;
  uploads: number;
}

/** VK counters. */
export interface VkSandboxStats extends ProviderTrafficStats {
  accepted: number;
  inbound: number;
  /** Sends VK dropped as repeats of an earlier `random_id`. */
  duplicates: number;
  /** Files posted to the message upload servers. */
  uploads: number;
}

/** SMS gateway counters (SMS.ru, SMSC.ru, Twilio). */
export interface SmsSandboxStats extends ProviderTrafficStats {
  accepted: number;
  segments: number;
  /** Money charged, in minor units of the gateway's currency (kopecks; cents for Twilio). */
  spendMinor: number;
  sent: number;
  delivered: number;
  failed: number;
}

/** SMTP counters. */
export interface SmtpSandboxStats {
  received: number;
  bounced: number;
  faults: number;
}

/** A snapshot of everything the sandbox counted. */
export interface SandboxStats {
  whatsapp: WhatsAppSandboxStats;
  avito: AvitoSandboxStats;
  smsRu: SmsSandboxStats;
  smsc: SmsSandboxStats;
  twilio: SmsSandboxStats;
  max: MaxSandboxStats;
  telegram: TelegramSandboxStats;
  vk: VkSandboxStats;
  smtp: SmtpSandboxStats;
}

const traffic = (): ProviderTrafficStats => ({ requests: 0, faults: 0, rejected: 0, webhooks: { delivered: 0, failed: 0 } });

const sms = (): SmsSandboxStats => ({ ...traffic(), accepted: 0, segments: 0, spendMinor: 0, sent: 0, delivered: 0, failed: 0 });

/** Fresh zeroed counters. */
export function createSandboxStats(): SandboxStats {
  return {
    whatsapp: {
      ...traffic(),
      accepted: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      inbound: 0,
      billable: { marketing: 0, utility: 0, authentication: 0, service: 0 },
    },
    avito: { ...traffic(), accepted: 0, read: 0, inbound: 0, tokensIssued: 0 },
    smsRu: sms(),
    smsc: sms(),
    twilio: sms(),
    max: { ...traffic(), accepted: 0, inbound: 0, uploads: 0 },
    telegram: createTelegramSandboxStats(),
    vk: { ...traffic(), accepted: 0, inbound: 0, duplicates: 0, uploads: 0 },
    smtp: { received: 0, bounced: 0, faults: 0 },
  };
}
