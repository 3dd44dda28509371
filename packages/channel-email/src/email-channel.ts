import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import {
  type Channel,
  type ChannelCapabilities,
  type ChannelRateLimit,
  type Clock,
  type Contact,
  type CostEstimate,
  type MessageContent,
  type Reachability,
  type UnreachableReason,
  UnreachableRecipientError,
  type WebhookResult,
} from '@omnidealer/core';
import {
  createSecretRegistry,
  downloadMedia,
  loadSetting,
  money,
  type OutboundMessage,
  parseInput,
  rateLimitSettingsSchema,
  type SecretRegistry,
  type SendResult,
  systemClock,
  type WebhookRequest,
} from '@omnidealer/core/provider-utils';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { convertToEmailMessage, type EmailAttachment } from './convert-to-email-message.js';
import { assertHeaderSafe, type EmailAddress, type EmailAddressInput, emailDomain, parseEmailAddress } from './email-address.js';
import { parseSesWebhook, type SesWebhookOptions } from './email-bounce-webhook.js';
import { classifyEmailError } from './email-error.js';
import { createMessageId, normalizeMessageId, sesMessageIdOf } from './email-message-id.js';
import type { EmailTemplates } from './email-template.js';

/** SMTP credentials: a password, or an OAuth2 access token (Gmail, Microsoft 365). */
export type SmtpAuth = { user: string; pass: string } | { type: 'OAuth2'; user: string; accessToken: string };

/**
 * SMTP connection settings, passed to nodemailer's SMTP transport (or its pool when `pool` is true).
 * @see https://nodemailer.com/smtp/
 */
export interface SmtpTransportOptions {
  host: string;
  /** @default 587, or 465 when `secure` */
  port?: number | undefined;
  /** Implicit TLS from the first byte (port 465). When false, STARTTLS is used if the server offers it. @default false */
  secure?: boolean | undefined;
  /** Refuse to send unless the server upgrades with STARTTLS. Recommended on port 587. @default false */
  requireTLS?: boolean | undefined;
  /** Never upgrade with STARTTLS (local relays only). @default false */
  ignoreTLS?: boolean | undefined;
  auth?: SmtpAuth | undefined;
  /** Force an AUTH mechanism (`PLAIN`, `LOGIN`, `CRAM-MD5`). @default the server's first supported */
  authMethod?: string | undefined;
  /** Keep connections open and reuse them (nodemailer SMTP pool). @default false */
  pool?: boolean | undefined;
  /** Pool size. @default 5 */
  maxConnections?: number | undefined;
  /** Messages per pooled connection before it is recycled. @default 100 */
  maxMessages?: number | undefined;
  /** Node TLS options (`ca` for a private CA, `servername`, `minVersion`). */
  tls?: ConnectionOptions | undefined;
  /** Host name announced in EHLO. @default the machine's host name */
  name?: string | undefined;
  /** Milliseconds to wait for the TCP connection. @default 120000 */
  connectionTimeout?: number | undefined;
  /** Milliseconds to wait for the server greeting. @default 30000 */
  greetingTimeout?: number | undefined;
  /** Milliseconds of socket inactivity before giving up. @default 600000 */
  socketTimeout?: number | undefined;
  /**
   * Sign every message with DKIM (RFC 6376, rsa-sha256, relaxed/relaxed), for relays that do not sign for you.
   * Publish the public key as a TXT record at `<keySelector>._domainkey.<domainName>`.
   */
  dkim?: DkimOptions | undefined;
}

/** DKIM signing key of {@link SmtpTransportOptions.dkim}. */
export interface DkimOptions {
  /** The signing domain (`d=`), normally the From domain. */
  domainName: string;
  /** The selector (`s=`). */
  keySelector: string;
  /** PEM private key. Registered as a secret: never logged. */
  privateKey: string;
}

/** What the channel hands a transporter for one message (a subset of nodemailer's message options). */
export interface EmailSendOptions {
  from: EmailAddress;
  to: EmailAddress;
  replyTo?: EmailAddress | undefined;
  subject: string;
  text: string;
  html?: string | undefined;
  /** Files downloaded by the channel (never URLs: the transporter must not fetch anything). */
  attachments?: EmailSendAttachment[] | undefined;
  messageId: string;
  date: Date;
  inReplyTo?: string | undefined;
  references?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** Shared part of the MIME boundaries; derived from our message id so a retry produces the same bytes. */
  baseBoundary?: string | undefined;
}

/** An attachment as handed to the transporter: its bytes, downloaded by the channel. */
export interface EmailSendAttachment {
  filename: string;
  content: Buffer;
  contentType?: string | undefined;
}

/** What a transporter answers when the server accepted a message. */
export interface EmailSendInfo {
  /** The `Message-ID` sent. */
  messageId?: string | undefined;
  /** The server's final reply (`250 2.0.0 Ok: queued as 4Xk2`). */
  response?: string | undefined;
}

/**
 * Anything that sends an e-mail the way nodemailer's `Transporter` does: pass your own `nodemailer.createTransport(…)`
 * result to reuse one across channels or to use a non-SMTP nodemailer transport.
 */
export interface EmailTransporter {
  sendMail(mail: EmailSendOptions): Promise<EmailSendInfo>;
  close?(): void;
}

/** Price of one e-mail. */
export interface EmailPricing {
  /** Minor units (kopecks) per message. @default 0 */
  perMessageMinor?: number | undefined;
  /** ISO 4217 currency. @default 'RUB' */
  currency?: string | undefined;
}

/**
 * Addresses that must not be mailed again, and why. A `Map<string, UnreachableReason>` fits. The channel consults it
 * in `canReach` (so the hub and the cascade skip the address before any network call) and adds to it on a `550` at
 * send time and on SES permanent bounces and complaints. Keys are lower-case addresses. Keep it warm from your own
 * database at start-up if it must survive restarts.
 * @example
 * const suppression = new Map<string, UnreachableReason>(await db.suppressedEmails());
 * createEmailChannel({ …, suppressionList: suppression });
 */
export interface EmailSuppressionList {
  get(address: string): UnreachableReason | undefined;
  set(address: string, reason: UnreachableReason): unknown;
}

/** Settings of {@link createEmailChannel}. */
export interface EmailChannelSettings {
  /** Channel id inside the hub. @default 'email' */
  id?: string | undefined;
  /**
   * SMTP settings, an SMTP URL (`smtps://user:pass@smtp.example.ru:465`) or a ready transporter.
   * @default the `OMNIDEALER_SMTP_URL` environment variable, read at the first send
   */
  transport?: SmtpTransportOptions | EmailTransporter | string | undefined;
  /** The sender: `sales@dealer.ru`, `Автосалон Север <sales@dealer.ru>` or `{ name, address }`. */
  from: EmailAddressInput;
  /** Where replies should go, when not to `from`. */
  replyTo?: EmailAddressInput | undefined;
  /** Subject of `text` and `media` content. @default the sender's display name, else its address */
  defaultSubject?: string | undefined;
  /** Templates that `template` content renders (`{param}` placeholders). */
  templates?: EmailTemplates | undefined;
  /** Extra headers on every message (`List-Unsubscribe`). */
  headers?: Record<string, string> | undefined;
  pricing?: EmailPricing | undefined;
  /** @default the system clock */
  clock?: Clock | undefined;
  rateLimit?: ChannelRateLimit | undefined;
  /** Bounce/complaint/delivery notifications: Amazon SES via SNS. */
  webhook?: SesWebhookOptions | undefined;
  /** Addresses that bounced or complained: refused by `canReach`, filled by sends and webhooks. */
  suppressionList?: EmailSuppressionList | undefined;
  /**
   * Download attachments from loopback or private hosts too (a sandbox). Off by default: the channel downloads media
   * URLs itself, and must not be pointed at internal services (checked again after DNS and redirects).
   */
  allowPrivateMediaUrls?: boolean | undefined;
}

/** The e-mail {@link Channel}, plus `close()` for pooled connections. */
export interface EmailChannel extends Channel {
  readonly kind: 'email';
  /** Closes the transport's pooled connections (only a transport the channel created). */
  close(): void;
}

const smtpAuthSchema = z.union([
  z.object({ user: z.string().min(1), pass: z.string().min(1) }).strict(),
  z.object({ type: z.literal('OAuth2'), user: z.string().min(1), accessToken: z.string().min(1) }).strict(),
]);

const smtpTransportOptionsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    secure: z.boolean().optional(),
    requireTLS: z.boolean().optional(),
    ignoreTLS: z.boolean().optional(),
    auth: smtpAuthSchema.optional(),
    authMethod: z.string().min(1).optional(),
    pool: z.boolean().optional(),
    maxConnections: z.number().int().positive().optional(),
    maxMessages: z.number().int().positive().optional(),
    tls: z.record(z.string(), z.unknown()).optional(),
    name: z.string().min(1).optional(),
    connectionTimeout: z.number().int().positive().optional(),
    greetingTimeout: z.number().int().positive().optional(),
    socketTimeout: z.number().int().positive().optional(),
    dkim: z
      .object({
        domainName: z.string().min(1),
        keySelector: z.string().regex(/^[A-Za-z0-9._-]+$/, 'not a DKIM selector'),
        privateKey: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
      })
      .strict()
      .optional(),
  })
  .strict();

function isTransporter(value: unknown): value is EmailTransporter {
  return typeof value === 'object' && value !== null && typeof (value as EmailTransporter).sendMail === 'function';
}

const emailAddressInputSchema = z.union([
  z.string().min(1),
  z.object({ address: z.string().min(1), name: z.string().optional() }).strict(),
]);

const templateSchema = z.object({ subject: z.string().min(1), text: z.string().min(1), html: z.string().optional() }).strict();

const settingsSchema = z
  .object({
    id: z.string().min(1).optional(),
    // Checked on its own below so that errors name the exact field (`settings.transport.port`).
    transport: z.unknown().optional(),
    from: emailAddressInputSchema,
    replyTo: emailAddressInputSchema.optional(),
    defaultSubject: z.string().min(1).optional(),
    templates: z.record(z.string(), templateSchema).optional(),
    headers: z.record(z.string().regex(/^[!-9;-~]+$/, 'not a valid header name'), z.string()).optional(),
    pricing: z
      .object({
        perMessageMinor: z.number().int().nonnegative().optional(),
        currency: z.string().length(3).optional(),
      })
      .strict()
      .optional(),
    clock: z.custom<Clock>((value) => typeof (value as Clock | undefined)?.now === 'function').optional(),
    rateLimit: rateLimitSettingsSchema.optional(),
    webhook: z
      .object({
        secret: z.string().min(1).optional(),
        topicArns: z.array(z.string().min(1)).optional(),
        signature: z.enum(['verify', 'skip']).optional(),
        fetchSigningCertificate: z
          .custom<SesWebhookOptions['fetchSigningCertificate']>((value) => typeof value === 'function')
          .optional(),
        onSubscriptionConfirmation: z
          .custom<SesWebhookOptions['onSubscriptionConfirmation']>((value) => typeof value === 'function')
          .optional(),
      })
      .strict()
      .optional(),
    allowPrivateMediaUrls: z.boolean().optional(),
    suppressionList: z
      .custom<EmailSuppressionList>(
        (value) =>
          typeof (value as EmailSuppressionList | undefined)?.get === 'function' &&
          typeof (value as EmailSuppressionList | undefined)?.set === 'function',
        'needs get(address) and set(address, reason)',
      )
      .optional(),
  })
  .strict();

/** Environment variable read when `transport` is not given. */
export const SMTP_URL_ENVIRONMENT_VARIABLE = 'OMNIDEALER_SMTP_URL';

function addTransportSecrets(secrets: SecretRegistry, transport: SmtpTransportOptions | string | undefined): void {
  if (typeof transport === 'string') {
    try {
      const password = decodeURIComponent(new URL(transport).password);
      secrets.add(password);
      secrets.add(Buffer.from(password).toString('base64'));
    } catch {
      // Not a URL: nodemailer will report it when sending.
    }
    return;
  }
  secrets.add(transport?.dkim?.privateKey);
  const auth = transport?.auth;
  if (!auth) return;
  if ('pass' in auth) {
    secrets.add(auth.pass);
    // AUTH LOGIN sends base64(password), AUTH PLAIN base64(\0user\0password): keep both out of logs too.
    secrets.add(Buffer.from(auth.pass).toString('base64'));
    secrets.add(Buffer.from(`\u0000${auth.user}\u0000${auth.pass}`).toString('base64'));
  } else {
    secrets.add(auth.accessToken);
  }
}

/**
 * Creates the e-mail channel: SMTP through nodemailer (implicit TLS or STARTTLS, pooling, PLAIN/LOGIN/OAuth2 auth).
 * `text`, `email`, `template` (rendered from `templates`) and `media` (attachment by URL) content; `sent` when the
 * server answered 250, typed errors for SMTP rejections (5xx permanent, 4xx and dropped connections retryable);
 * Amazon SES bounce/complaint/delivery notifications via `parseWebhook`.
 * @throws ValidationError when the settings are malformed (the transport itself is only touched at the first send).
 * @see https://nodemailer.com/smtp/
 * @example
 * const email = createEmailChannel({
 *   transport: { host: 'smtp.yandex.ru', port: 465, secure: true, auth: { user: 'sales@dealer.ru', pass: process.env.SMTP_PASSWORD! } },
 *   from: 'Автосалон Север <sales@dealer.ru>',
 *   templates: { booking_reminder: { subject: 'Запись на ТО {date}', text: 'Здравствуйте, {name}! Ждём вас {date}.' } },
 * });
 * const hub = createOmnidealer({ channels: [email] });
 */
export function createEmailChannel(settings: EmailChannelSettings): EmailChannel {
  const parsed = parseInput(settingsSchema, settings, 'settings', 'email') as EmailChannelSettings;
  const transportSetting = settings.transport;
  const secrets = createSecretRegistry();
  if (transportSetting !== undefined && !isTransporter(transportSetting)) {
    parseInput(
      typeof transportSetting === 'string' ? z.string().min(1) : smtpTransportOptionsSchema,
      transportSetting,
      'settings.transport',
      'email',
    );
    addTransportSecrets(secrets, transportSetting);
  }
  const from = parseEmailAddress(parsed.from, 'settings.from');
  const replyTo = parsed.replyTo === undefined ? undefined : parseEmailAddress(parsed.replyTo, 'settings.replyTo');
  const defaultSubject = parsed.defaultSubject ?? from.name ?? from.address;
  assertHeaderSafe(defaultSubject, 'settings.defaultSubject');
  for (const [name, value] of Object.entries(parsed.headers ?? {})) assertHeaderSafe(value, `settings.headers.${name}`);
  const clock = parsed.clock ?? systemClock;
  const suppressionList = parsed.suppressionList;
  const templates = parsed.templates;
  const hasTemplates = Object.keys(templates ?? {}).length > 0;
  const id = parsed.id ?? 'email';
  const kind = 'email' as const;
  secrets.add(parsed.webhook?.secret);

  let transporter: EmailTransporter | undefined;
  let ownsTransporter = false;

  function transporterOf(): EmailTransporter {
    if (transporter) return transporter;
    const setting =
      transportSetting ??
      loadSetting(undefined, SMTP_URL_ENVIRONMENT_VARIABLE, {
        channel: kind,
        option: 'transport',
        description: 'SMTP transport',
      });
    if (isTransporter(setting)) {
      transporter = setting;
      return transporter;
    }
    if (typeof setting === 'string') addTransportSecrets(secrets, setting);
    // nodemailer's own logger stays off: it would print envelopes (addresses) to stdout.
    transporter = nodemailer.createTransport(
      typeof setting === 'string' ? setting : ({ ...setting, logger: false, debug: false } as never),
    ) as unknown as EmailTransporter;
    ownsTransporter = true;
    return transporter;
  }

  const capabilities: ChannelCapabilities = {
    maxTextLength: 1_000_000,
    contentTypes: hasTemplates ? ['text', 'email', 'template', 'media'] : ['text', 'email', 'media'],
    mediaKinds: ['image', 'video', 'document', 'audio'],
    templates: hasTemplates,
    canStartConversation: true,
    address: 'email',
    // SMTP accepts only after DATA, and a repeat carries the same Message-ID (derived from the message id).
    interruptedSend: 'resend',
  };

  function recipientOf(address: string, contact: Contact): EmailAddress {
    if (contact.name !== undefined) assertHeaderSafe(contact.name, 'contact.name');
    return parseEmailAddress(contact.name ? { name: contact.name, address } : address, 'contact.email');
  }

  function render(content: MessageContent) {
    return convertToEmailMessage(content, { templates, defaultSubject });
  }

  return {
    id,
    kind,
    accountId: from.address,
    capabilities,
    ...(parsed.rateLimit ? { rateLimit: parsed.rateLimit } : {}),
    secrets: () => secrets.values(),

    validate(content, contact) {
      render(content);
      if (contact.name !== undefined) assertHeaderSafe(contact.name, 'contact.name');
    },

    canReach({ contact, content }): Reachability {
      if (!capabilities.contentTypes.includes(content.type)) {
        return { reachable: false, reason: 'unsupported_content', detail: `e-mail cannot send ${content.type} content` };
      }
      if (!contact.email) return { reachable: false, reason: 'no_identity', detail: 'contact has no e-mail address' };
      if (contact.consent?.[id] === 'opted_out' || contact.consent?.[kind] === 'opted_out') {
        return { reachable: false, reason: 'opted_out', detail: 'contact opted out of e-mail' };
      }
      try {
        parseEmailAddress(contact.email, 'contact.email');
      } catch {
        return { reachable: false, reason: 'invalid_address', detail: 'contact e-mail address is not valid' };
      }
      const suppressed = suppressionList?.get(contact.email.toLowerCase());
      if (suppressed)
        return { reachable: false, reason: suppressed, detail: `address is on the suppression list (${suppressed})` };
      return { reachable: true, address: contact.email };
    },

    estimateCost(): CostEstimate {
      const amount = parsed.pricing?.perMessageMinor ?? 0;
      const currency = parsed.pricing?.currency ?? 'RUB';
      return { money: money(amount, currency), units: 1, unitName: 'message', detail: `1 e-mail × ${amount} ${currency}/100` };
    },

    async doSend(message: OutboundMessage, options): Promise<SendResult> {
      const download = async (attachment: EmailAttachment): Promise<EmailSendAttachment> => {
        const media = await downloadMedia(attachment.path, {
          channel: kind,
          allowPrivate: parsed.allowPrivateMediaUrls,
          signal: options.signal,
        });
        const contentType = attachment.contentType ?? media.contentType;
        return { filename: attachment.filename, content: Buffer.from(media.data), ...(contentType ? { contentType } : {}) };
      };
      options.signal?.throwIfAborted();
      // Everything that can be wrong with the input is checked here, before a connection is opened.
      const email = render(message.content);
      const to = recipientOf(message.to, message.contact);
      const messageId = createMessageId(message.id, emailDomain(from.address));
      let inReplyTo: string | undefined;
      if (message.replyTo) {
        assertHeaderSafe(message.replyTo, 'replyTo');
        inReplyTo = `<${normalizeMessageId(message.replyTo)}>`;
      }
      const mail: EmailSendOptions = {
        from,
        to,
        subject: email.subject,
        text: email.text,
        messageId,
        date: new Date(clock.now()),
        baseBoundary: createHash('sha256').update(message.id).digest('hex').slice(0, 16),
        ...(replyTo ? { replyTo } : {}),
        ...(email.html !== undefined ? { html: email.html } : {}),
        ...(email.attachments.length ? { attachments: await Promise.all(email.attachments.map(download)) } : {}),
        ...(inReplyTo ? { inReplyTo, references: inReplyTo } : {}),
        ...(parsed.headers ? { headers: { ...parsed.headers } } : {}),
      };
      const sender = transporterOf();
      let info: EmailSendInfo;
      try {
        info = await sender.sendMail(mail);
      } catch (error) {
        const classified = secrets.redactError(classifyEmailError(error, kind));
        if (UnreachableRecipientError.isInstance(classified)) suppressionList?.set(to.address.toLowerCase(), classified.reason);
        throw classified;
      }
      // Amazon SES reports this e-mail's bounces and complaints under its own id (see sesMessageIdOf).
      const sesMessageId = sesMessageIdOf(info.response);
      return {
        providerMessageId: normalizeMessageId(info.messageId ?? messageId),
        status: 'sent',
        ...(sesMessageId ? { alternateProviderMessageIds: [sesMessageId] } : {}),
      };
    },

    parseWebhook(request: WebhookRequest): Promise<WebhookResult> {
      return parseSesWebhook(request, {
        ...parsed.webhook,
        channel: kind,
        clock,
        ...(suppressionList ? { onUnreachable: (address, reason) => suppressionList.set(address.toLowerCase(), reason) } : {}),
      });
    },

    close() {
      if (ownsTransporter) transporter?.close?.();
      transporter = undefined;
      ownsTransporter = false;
    },
  };
}
