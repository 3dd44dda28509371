import { seededDigits, seededHex } from './random.js';

// Telegram's credentials and counters live here, not in sandbox-credentials.ts / sandbox-stats.ts, so those files
// only gain one line each and import nothing that imports them back.

/** Fake Telegram Bot API credentials. */
export interface TelegramSandboxCredentials {
  /** The bot token (`<bot id>:<secret>`), part of every path: `/bot<token>/<method>`. */
  token: string;
  /** The `secret_token` on webhooks to the static `webhookTargets.telegram` (`setWebhook` brings its own). */
  webhookSecret: string;
  /** The bot's username, as in `https://t.me/<botUsername>?start=…`. */
  botUsername: string;
}

/** Telegram counters. */
export interface TelegramSandboxStats {
  requests: number;
  /** Requests answered with an injected fault. */
  faults: number;
  /** Requests refused for a bad token or a bad body (4xx that were not faults). */
  rejected: number;
  webhooks: { delivered: number; failed: number };
  accepted: number;
  inbound: number;
  callbackAnswers: number;
}

/** Fresh Telegram credentials derived from the seed. */
export function createTelegramSandboxCredentials(seed: number | string): TelegramSandboxCredentials {
  return {
    token: `7${seededDigits(9, seed, 'telegram.bot_id')}:AA${seededHex(33, seed, 'telegram.token')}`,
    webhookSecret: `tg_${seededHex(29, seed, 'telegram.webhook_secret')}`,
    botUsername: 'dealer_sandbox_bot',
  };
}

/** Fresh zeroed Telegram counters. */
export function createTelegramSandboxStats(): TelegramSandboxStats {
  return {
    requests: 0,
    faults: 0,
    rejected: 0,
    webhooks: { delivered: 0, failed: 0 },
    accepted: 0,
    inbound: 0,
    callbackAnswers: 0,
  };
}
