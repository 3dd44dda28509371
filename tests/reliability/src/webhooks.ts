import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createEmailChannel } from '@omnidealer/channel-email';
import { computeTwilioSignature, createSmsChannel, createSmsRuGateway, createTwilioGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel, signWhatsAppWebhook } from '@omnidealer/channel-whatsapp';
import type { Channel } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { createTestChannel } from '@omnidealer/core/test';
import { avitoWebhookSecret, sesWebhookSecret, smsRuWebhookToken } from './harness.js';

/** Channels whose webhooks the suite attacks: the five provider channels and core's test channel. */
export type HookChannel = 'whatsapp' | 'avito' | 'sms' | 'twilio' | 'email' | 'test';
export const hookChannels: HookChannel[] = ['whatsapp', 'avito', 'sms', 'twilio', 'email', 'test'];

export const whatsAppAppSecret = 'wa-app-secret-7f3e1d2c9b8a6e5d';
export const twilioAuthToken = 'twilio-auth-token-4c8e2a6f1b3d9e7a';
const phoneNumberId = '106540352242922';
const avitoUserId = 94235311;

function fixture(path: string): string {
  return readFileSync(new URL(`../../../packages/${path}`, import.meta.url), 'utf8');
}

/** Real provider payloads (the channel packages' fixtures), each yielding exactly one event. */
export const validBodies: Record<HookChannel, string> = {
  whatsapp: fixture('channel-whatsapp/src/__fixtures__/webhook-status-sent.json'),
  avito: fixture('channel-avito/src/__fixtures__/webhook-message.json'),
  sms: `data%5B0%5D=${encodeURIComponent('sms_status\n000000-10000001\n103\n1764050400')}`,
  twilio: new URLSearchParams({
    MessageSid: `SM${'c'.repeat(32)}`,
    MessageStatus: 'delivered',
    AccountSid: `AC${'a'.repeat(32)}`,
    To: '+79161234567',
    From: '+15017122661',
  }).toString(),
  email: fixture('channel-email/src/__fixtures__/ses-delivery.sns.json'),
  test: JSON.stringify({
    events: [{ type: 'status', providerMessageId: 'test-provider-1', status: 'delivered', at: 1764050400000 }],
  }),
};

/** Bodies of event types the channel does not know: ignored, answered 2xx, never a crash. */
export const unknownEventBodies: Record<Exclude<HookChannel, 'test'>, string> = {
  whatsapp: JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'account_alerts', value: { entity_type: 'WABA', alert_info: {} } }] }],
  }),
  avito: JSON.stringify({
    id: 'evt-1',
    version: 'v3.0.0',
    timestamp: 1764046801,
    payload: { type: 'chat_blocked', value: { chat_id: 'x' } },
  }),
  sms: `data%5B0%5D=${encodeURIComponent('callcheck_status\n000000-1\n401\n1764050400')}`,
  twilio: new URLSearchParams({ MessageSid: `SM${'d'.repeat(32)}`, MessageStatus: 'scheduled_for_mars' }).toString(),
  email: JSON.stringify({
    Type: 'UnsubscribeConfirmation',
    MessageId: 'b2c3',
    TopicArn: 'arn:aws:sns:eu-central-1:123456789012:ses-dealer-notifications',
    Message: 'bye',
  }),
};

/** Where each channel's webhook is posted (token-carrying URLs for the channels that use a URL secret). */
export const hookUrls: Record<HookChannel, string> = {
  whatsapp: 'https://crm.example/hooks/whatsapp',
  avito: `https://crm.example/hooks/avito/${avitoWebhookSecret}`,
  sms: `https://crm.example/hooks/sms?token=${smsRuWebhookToken}`,
  twilio: 'https://crm.example/hooks/twilio',
  email: `https://crm.example/hooks/email?token=${sesWebhookSecret}`,
  test: 'https://crm.example/hooks/test',
};

const contentTypes: Record<HookChannel, string> = {
  whatsapp: 'application/json',
  avito: 'application/json',
  sms: 'application/x-www-form-urlencoded',
  twilio: 'application/x-www-form-urlencoded',
  email: 'text/plain; charset=UTF-8',
  test: 'application/json',
};

const decoder = new TextDecoder();

/** The headers that make a body validly signed for a channel (URL secrets live in {@link hookUrls}). */
export async function signatureHeaders(
  channel: HookChannel,
  body: Uint8Array,
  url = hookUrls[channel],
): Promise<Record<string, string>> {
  switch (channel) {
    case 'whatsapp':
      // node:crypto signs synchronously (cheaper inside 10 000-run fuzz loops); it must agree with the package's signer.
      return { 'x-hub-signature-256': `sha256=${createHmac('sha256', whatsAppAppSecret).update(body).digest('hex')}` };
    case 'twilio': {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        text = decoder.decode(body);
      }
      const form = new URLSearchParams(text);
      let data = url;
      for (const name of [...new Set(form.keys())].sort()) for (const value of form.getAll(name)) data += name + value;
      return { 'x-twilio-signature': createHmac('sha1', twilioAuthToken).update(data).digest('base64') };
    }
    case 'test':
      return { 'x-test-secret': 'test' };
    default:
      return {};
  }
}

const encoder = new TextEncoder();

/** A validly signed web `Request` for `hub.handleWebhook`. */
export async function signedRequest(
  channel: HookChannel,
  body: string | Uint8Array = validBodies[channel],
  extraHeaders: Record<string, string> = {},
): Promise<Request> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  return new Request(hookUrls[channel], {
    method: 'POST',
    headers: { 'content-type': contentTypes[channel], ...(await signatureHeaders(channel, bytes)), ...extraHeaders },
    body: bytes,
  });
}

/** A validly signed `WebhookRequest` for calling a channel's `parseWebhook` directly. */
export async function signedWebhookRequest(channel: HookChannel, body: Uint8Array): Promise<WebhookRequest> {
  return {
    method: 'POST',
    url: new URL(hookUrls[channel]),
    headers: new Headers({ 'content-type': contentTypes[channel], ...(await signatureHeaders(channel, body)) }),
    body,
  };
}

/** The channels under attack, created without any network (Avito's listing lookup off). */
export function createHookChannels(): Record<HookChannel, Channel> {
  return {
    whatsapp: createWhatsAppChannel({
      phoneNumberId,
      accessToken: 'EAAG-hook-access-token-0123456789',
      appSecret: whatsAppAppSecret,
      verifyToken: 'wa-verify-token-0123',
    }),
    avito: createAvitoChannel({
      clientId: 'hook-client-id',
      clientSecret: 'hook-client-secret-0123456',
      userId: avitoUserId,
      webhookSecret: avitoWebhookSecret,
      webhookListingLookup: false,
    }),
    sms: createSmsChannel({ gateway: createSmsRuGateway({ apiId: 'HOOK-API-ID-0000-1111', webhookToken: smsRuWebhookToken }) }),
    twilio: createSmsChannel({
      id: 'twilio',
      gateway: createTwilioGateway({
        accountSid: `AC${'a'.repeat(32)}`,
        authToken: twilioAuthToken,
        from: '+15017122661',
        webhookUrl: hookUrls.twilio,
      }),
    }),
    email: createEmailChannel({
      transport: { host: '127.0.0.1', port: 2525 },
      from: 'sales@sever-auto.example',
      webhook: { secret: sesWebhookSecret },
    }),
    test: createTestChannel({ id: 'test' }),
  };
}

/** The fast signers above must agree with the packages' own (checked once per run of the suite). */
export async function packageSignatures(body: string): Promise<{ whatsapp: string; twilio: string }> {
  return {
    whatsapp: await signWhatsAppWebhook(body, whatsAppAppSecret),
    twilio: await computeTwilioSignature(twilioAuthToken, hookUrls.twilio, new URLSearchParams(body)),
  };
}
