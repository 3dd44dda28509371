/** The channel, msw server and hub most WhatsApp tests start from, so each test file does not wire them again. */
import { type Clock, createMemoryStore, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { createTestServer, type TestServer } from '@omnidealer/core/test';
import { createWhatsAppChannel, type WhatsAppChannel, type WhatsAppChannelSettings } from '../whatsapp-channel.js';
import { accessToken, apiVersion, appSecret, messagesRoute, phoneNumberId, verifyToken } from './fixtures.js';
import sendSuccess from './send-success.json';

/**
 * An msw server answering `POST …/messages` with Meta's send success (call at the top level of a test file: it
 * registers the vitest hooks that start and stop it). `routes` adds or replaces answers.
 */
export function createWhatsAppTestServer(routes: Parameters<typeof createTestServer>[0] = {}): TestServer {
  return createTestServer({ [messagesRoute]: { json: sendSuccess }, ...routes });
}

/**
 * The channel with the fixtures' credentials and no pair limit (the real 6 s is covered by the rate-limit tests; here
 * it would only slow the suite down). `settings` adds or replaces settings.
 */
export function createTestWhatsAppChannel(settings: WhatsAppChannelSettings = {}): WhatsAppChannel {
  return createWhatsAppChannel({
    phoneNumberId,
    accessToken,
    apiVersion,
    appSecret,
    verifyToken,
    rateLimit: { perSecond: 1000, perRecipientIntervalMs: 0 },
    ...settings,
  });
}

/** A hub over `channel` with a memory store, the given clock and instant retries. */
export function createTestHub(channel: WhatsAppChannel, clock?: Clock): Omnidealer {
  return createOmnidealer({
    channels: [channel],
    store: createMemoryStore(),
    ...(clock ? { clock } : {}),
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false, sleep: async () => undefined },
  });
}
