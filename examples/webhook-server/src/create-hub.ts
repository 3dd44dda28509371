import { type AvitoChannelSettings, createAvitoChannel } from '@omnidealer/channel-avito';
import { createSmsChannel, createSmsRuGateway, type SmsRuGatewaySettings } from '@omnidealer/channel-sms';
import { createWhatsAppChannel, type WhatsAppChannelSettings } from '@omnidealer/channel-whatsapp';
import { type Clock, createOmnidealer, type Omnidealer, type Store } from '@omnidealer/core';

/** What the example hub needs; every credential falls back to the channel packages' environment variables. */
export interface WebhookHubSettings {
  /** @default WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN */
  whatsapp?: WhatsAppChannelSettings;
  /** @default AVITO_CLIENT_ID, AVITO_CLIENT_SECRET, AVITO_USER_ID, AVITO_WEBHOOK_SECRET */
  avito?: Partial<AvitoChannelSettings>;
  /** SMS.ru gateway. @default SMSRU_API_ID, SMSRU_WEBHOOK_TOKEN */
  smsRu?: SmsRuGatewaySettings;
  store?: Store;
  clock?: Clock;
}

/** Names of the environment variables a webhook-only deployment needs to check signatures and secrets. */
export const webhookEnv = [
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'AVITO_WEBHOOK_SECRET',
  'SMSRU_WEBHOOK_TOKEN',
] as const;

const env = (name: string): string | undefined => process.env[name] || undefined;

/**
 * The hub with the three channels whose webhooks the example receives: `whatsapp`, `avito` and `sms`.
 * Webhooks only need the secrets (app secret, verify token, Avito path secret, SMS.ru token); the send credentials are
 * read when something is sent.
 */
export function createWebhookHub(settings: WebhookHubSettings = {}): Omnidealer {
  const clock = settings.clock ? { clock: settings.clock } : {};
  const avito = settings.avito ?? {};
  const webhookSecret = avito.webhookSecret ?? env('AVITO_WEBHOOK_SECRET');
  const webhookToken = settings.smsRu?.webhookToken ?? env('SMSRU_WEBHOOK_TOKEN');
  return createOmnidealer({
    channels: [
      createWhatsAppChannel({ ...clock, ...settings.whatsapp }),
      createAvitoChannel({
        ...clock,
        ...avito,
        clientId: avito.clientId ?? env('AVITO_CLIENT_ID') ?? 'unset',
        clientSecret: avito.clientSecret ?? env('AVITO_CLIENT_SECRET') ?? 'unset',
        userId: avito.userId ?? env('AVITO_USER_ID') ?? '0',
        ...(webhookSecret ? { webhookSecret } : {}),
      }),
      createSmsChannel({
        ...clock,
        gateway: createSmsRuGateway({ ...settings.smsRu, ...(webhookToken ? { webhookToken } : {}) }),
      }),
    ],
    ...(settings.store ? { store: settings.store } : {}),
    ...clock,
  });
}
