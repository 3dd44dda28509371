import { seededDigits, seededHex } from './random.js';
import { createTelegramSandboxCredentials, type TelegramSandboxCredentials } from './telegram-sandbox-credentials.js';

/** Fake WhatsApp Cloud API credentials the sandbox accepts. */
export interface WhatsAppSandboxCredentials {
  /** Bearer token for `Authorization: Bearer …`. */
  accessToken: string;
  /** App secret: status webhooks are signed with it (`X-Hub-Signature-256`). */
  appSecret: string;
  /** Token the sandbox sends in the `hub.verify_token` verification handshake. */
  verifyToken: string;
  phoneNumberId: string;
  wabaId: string;
  /** The business number, digits only, as it appears in webhook `metadata.display_phone_number`. */
  displayPhoneNumber: string;
  /** Graph API version the sandbox expects in paths (`v23.0`); any `vNN.N` is accepted. */
  apiVersion: string;
}

/** Fake Avito API credentials. */
export interface AvitoSandboxCredentials {
  clientId: string;
  clientSecret: string;
  /** The account ("Номер пользователя") that appears in every messenger path. */
  userId: number;
}

/** Fake MAX Bot API credentials. */
export interface MaxSandboxCredentials {
  /** The bot token, sent as is in `Authorization`. */
  token: string;
  /** The secret on webhooks to the static `webhookTargets.max` (subscriptions carry their own). */
  webhookSecret: string;
  /** The bot's user id. */
  botId: number;
  /** The bot's public name, as in `https://max.ru/<botName>?start=…`. */
  botName: string;
}

/** Fake VK community credentials. */
export interface VkSandboxCredentials {
  /** The community access token, sent as the `access_token` parameter. */
  token: string;
  /** The community id (`group_id`). */
  groupId: number;
  /** The Callback API secret key put in every event's `secret`. */
  secret: string;
  /** The string the community's server answers to `confirmation`. */
  confirmationCode: string;
  /** The community's short name, as in `https://vk.me/<screenName>?ref=…`. */
  screenName: string;
}

/** Fake SMS.ru credentials. */
export interface SmsRuSandboxCredentials {
  apiId: string;
  /** Default sender name. */
  from: string;
}

/** Fake SMSC.ru credentials. */
export interface SmscSandboxCredentials {
  login: string;
  password: string;
  /** The secret status callbacks are signed with (`md5` of `id:phone:status:<secret>`): the gateway's `callbackSecret`. */
  callbackSecret: string;
}

/** Fake Twilio credentials. */
export interface TwilioSandboxCredentials {
  /** `AC…` account SID: part of every path. */
  accountSid: string;
  /** Basic-auth password and the key of `X-Twilio-Signature`. */
  authToken: string;
  /** Default sender number. */
  from: string;
}

/** Fake SMTP credentials (only checked when `behaviour.smtp.requireAuth` is on). */
export interface SmtpSandboxCredentials {
  user: string;
  pass: string;
}

/** Every fake credential, derived from the seed so reruns use the same values. */
export interface SandboxCredentials {
  whatsapp: WhatsAppSandboxCredentials;
  avito: AvitoSandboxCredentials;
  smsRu: SmsRuSandboxCredentials;
  smsc: SmscSandboxCredentials;
  twilio: TwilioSandboxCredentials;
  max: MaxSandboxCredentials;
  telegram: TelegramSandboxCredentials;
  vk: VkSandboxCredentials;
  smtp: SmtpSandboxCredentials;
}

/** Credential overrides: set the ones your integration already has in its configuration. */
export interface SandboxCredentialsInput {
  whatsapp?: Partial<WhatsAppSandboxCredentials>;
  avito?: Partial<AvitoSandboxCredentials>;
  smsRu?: Partial<SmsRuSandboxCredentials>;
  smsc?: Partial<SmscSandboxCredentials>;
  twilio?: Partial<TwilioSandboxCredentials>;
  max?: Partial<MaxSandboxCredentials>;
  telegram?: Partial<TelegramSandboxCredentials>;
  vk?: Partial<VkSandboxCredentials>;
  smtp?: Partial<SmtpSandboxCredentials>;
}

/** Derives the sandbox's fake credentials from the seed, then applies overrides. */
export function createSandboxCredentials(seed: number | string, overrides: SandboxCredentialsInput = {}): SandboxCredentials {
  const apiId = seededHex(32, seed, 'smsru.api_id').toUpperCase();
  return {
    whatsapp: {
      accessToken: `EAAsandbox${seededHex(48, seed, 'whatsapp.token')}`,
      appSecret: seededHex(32, seed, 'whatsapp.app_secret'),
      verifyToken: `verify-${seededHex(16, seed, 'whatsapp.verify')}`,
      phoneNumberId: seededDigits(15, seed, 'whatsapp.phone_number_id'),
      wabaId: seededDigits(15, seed, 'whatsapp.waba_id'),
      displayPhoneNumber: `7495${seededDigits(7, seed, 'whatsapp.display')}`,
      apiVersion: 'v23.0',
      ...overrides.whatsapp,
    },
    avito: {
      clientId: `sandbox${seededHex(13, seed, 'avito.client_id')}`,
      clientSecret: seededHex(40, seed, 'avito.client_secret'),
      userId: Number(seededDigits(9, seed, 'avito.user_id')),
      ...overrides.avito,
    },
    smsRu: {
      apiId: `${apiId.slice(0, 8)}-${apiId.slice(8, 12)}-${apiId.slice(12, 16)}-${apiId.slice(16, 20)}-${apiId.slice(20, 32)}`,
      from: 'AVTOSALON',
      ...overrides.smsRu,
    },
    smsc: {
      login: 'dealer',
      password: seededHex(24, seed, 'smsc.password'),
      callbackSecret: seededHex(24, seed, 'smsc.callbackSecret'),
      ...overrides.smsc,
    },
    twilio: {
      accountSid: `AC${seededHex(32, seed, 'twilio.sid')}`,
      authToken: seededHex(32, seed, 'twilio.token'),
      from: '+15005550006',
      ...overrides.twilio,
    },
    max: {
      token: `max${seededHex(40, seed, 'max.token')}`,
      webhookSecret: `mx_${seededHex(29, seed, 'max.webhook_secret')}`,
      botId: Number(`2${seededDigits(8, seed, 'max.bot_id')}`),
      botName: 'dealer_sandbox_bot',
      ...overrides.max,
    },
    telegram: { ...createTelegramSandboxCredentials(seed), ...overrides.telegram },
    vk: {
      token: `vk1.a.${seededHex(64, seed, 'vk.token')}`,
      groupId: Number(`2${seededDigits(8, seed, 'vk.group_id')}`),
      secret: `vk${seededHex(20, seed, 'vk.secret')}`,
      confirmationCode: seededHex(8, seed, 'vk.confirmation'),
      screenName: 'dealer_sandbox_club',
      ...overrides.vk,
    },
    smtp: { user: 'sandbox', pass: seededHex(20, seed, 'smtp.pass'), ...overrides.smtp },
  };
}
