import { type Clock, type StatusEvent, WebhookError, type WebhookResult } from '@omnidealer/core';
import { maskEmail, systemClock, timingSafeEqualStrings, type WebhookRequest } from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import { normalizeMessageId } from './email-message-id.js';
import { createSnsSignatureVerifier, isSnsHost, type SnsCertificateFetcher } from './sns-signature.js';

/** Verifiers by certificate fetcher, so each keeps its certificate cache across deliveries. */
const verifiers = new WeakMap<object, ReturnType<typeof createSnsSignatureVerifier>>();
const defaultFetcherKey: object = {};

function verifierFor(fetcher: SnsCertificateFetcher | undefined) {
  const key = fetcher ?? defaultFetcherKey;
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = createSnsSignatureVerifier(fetcher);
    verifiers.set(key, verifier);
  }
  return verifier;
}

/** An SNS `SubscriptionConfirmation`: visit `subscribeUrl` (or call {@link confirmSnsSubscription}) to start deliveries. */
export interface SnsSubscriptionConfirmation {
  topicArn: string;
  subscribeUrl: string;
  token: string;
  message: string;
}

/**
 * Options of the Amazon SES (via SNS) bounce/complaint/delivery webhook.
 *
 * Every delivery is authenticated one of two ways. By default the SNS signature is verified (the signing
 * certificate is downloaded once per key from `https://sns.<region>.amazonaws.com/…pem` and cached). Or protect the
 * endpoint with a shared secret: subscribe `https://hooks.example.com/email?token=SECRET` or
 * `https://omnidealer:SECRET@hooks.example.com/email` (HTTP Basic; SNS first calls without credentials and expects a
 * `401` with `WWW-Authenticate`, which this parser answers) — needed for SNS raw message delivery, which carries no
 * signature; with a secret the signature is not checked unless `signature: 'verify'`. Restrict `topicArns` too.
 */
export interface SesWebhookOptions {
  /** Shared secret checked against the `token` query parameter or the HTTP Basic password. */
  secret?: string | undefined;
  /**
   * Verify the SNS message signature (`verify`) or not (`skip`, only sensible behind a `secret` or in tests).
   * @default 'verify' without a secret, 'skip' with one
   */
  signature?: 'verify' | 'skip' | undefined;
  /** Downloads a signing certificate; the default uses `fetch`. Only called for SNS certificate URLs. */
  fetchSigningCertificate?: SnsCertificateFetcher | undefined;
  /** Accept only notifications from these SNS topic ARNs. */
  topicArns?: ReadonlyArray<string> | undefined;
  /** Called for an SNS `SubscriptionConfirmation` (which is otherwise ignored). */
  onSubscriptionConfirmation?: ((confirmation: SnsSubscriptionConfirmation) => void | Promise<void>) | undefined;
}

/** Extra context the e-mail channel passes to its SES webhook parser (`channel.parseWebhook`). */
export interface SesWebhookContext {
  /** Channel kind put on errors. @default 'email' */
  channel?: string | undefined;
  /** Used when a notification carries no timestamp. @default the system clock */
  clock?: Clock | undefined;
  /** Called for every recipient of a permanent bounce (`bounced`) or a complaint (`opted_out`). */
  onUnreachable?: ((address: string, reason: 'bounced' | 'opted_out') => void) | undefined;
}

/** The SNS HTTP(S) envelope (lenient: SNS may add fields). */
export const snsEnvelopeSchema = z.object({
  Type: z.string(),
  MessageId: z.string().nullish(),
  TopicArn: z.string().nullish(),
  Message: z.string().nullish(),
  Token: z.string().nullish(),
  SubscribeURL: z.string().nullish(),
  Subject: z.string().nullish(),
  Timestamp: z.string().nullish(),
  SignatureVersion: z.string().nullish(),
  Signature: z.string().nullish(),
  SigningCertURL: z.string().nullish(),
});

const recipientSchema = z.object({
  emailAddress: z.string(),
  status: z.string().nullish(),
  action: z.string().nullish(),
  diagnosticCode: z.string().nullish(),
});

/** An Amazon SES notification (`notificationType`) or event-publishing record (`eventType`); lenient. */
export const sesNotificationSchema = z.object({
  notificationType: z.string().nullish(),
  eventType: z.string().nullish(),
  mail: z.object({
    messageId: z.string().min(1),
    timestamp: z.string().nullish(),
    destination: z.array(z.string()).nullish(),
    commonHeaders: z.object({ messageId: z.string().nullish(), subject: z.string().nullish() }).nullish(),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().nullish(),
      bouncedRecipients: z.array(recipientSchema).nullish(),
      timestamp: z.string().nullish(),
      feedbackId: z.string().nullish(),
    })
    .nullish(),
  complaint: z
    .object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })).nullish(),
      complaintFeedbackType: z.string().nullish(),
      complaintSubType: z.string().nullish(),
      timestamp: z.string().nullish(),
      feedbackId: z.string().nullish(),
    })
    .nullish(),
  delivery: z
    .object({
      timestamp: z.string().nullish(),
      recipients: z.array(z.string()).nullish(),
      smtpResponse: z.string().nullish(),
      reportingMTA: z.string().nullish(),
      processingTimeMillis: z.number().nullish(),
    })
    .nullish(),
  open: z.object({ timestamp: z.string().nullish() }).nullish(),
  reject: z.object({ reason: z.string().nullish() }).nullish(),
});

/** A parsed SES notification. */
export type SesNotification = z.infer<typeof sesNotificationSchema>;

/** Returns a 401 challenge when no credentials came at all, throws on wrong ones, undefined when they match. */
function checkSecret(request: WebhookRequest, secret: string, channel: string): Response | undefined {
  const token = request.url.searchParams.get('token');
  if (token !== null) {
    if (timingSafeEqualStrings(token, secret)) return undefined;
    throw new WebhookError({ channel, kind: 'signature', message: 'webhook token does not match' });
  }
  const authorization = request.headers.get('authorization');
  if (!authorization) {
    return new Response('authentication required', {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="omnidealer"', 'content-type': 'text/plain' },
    });
  }
  const basic = /^Basic\s+(\S+)$/i.exec(authorization)?.[1];
  const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
  const separator = decoded.indexOf(':');
  const user = separator === -1 ? decoded : decoded.slice(0, separator);
  const password = separator === -1 ? '' : decoded.slice(separator + 1);
  if (basic && timingSafeEqualStrings(password || user, secret)) return undefined;
  throw new WebhookError({ channel, kind: 'signature', message: 'webhook credentials do not match' });
}

function timeOf(value: string | null | undefined, clock: Clock): number {
  const parsed = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? clock.now() : parsed;
}

/**
 * Maps one SES notification to status events. Matching uses the original `Message-ID` (`mail.commonHeaders.messageId`,
 * present when the SES identity includes original headers in notifications), else SES's own `mail.messageId`, which
 * the channel read from SES's SMTP reply at send time (`SendResult.alternateProviderMessageIds`): SES replaces the
 * `Message-ID`, so without original headers that id is the only link to the message.
 */
export function sesNotificationToEvents(notification: SesNotification, clock: Clock = systemClock): StatusEvent[] {
  const type = notification.notificationType ?? notification.eventType;
  const mail = notification.mail;
  const original = mail.commonHeaders?.messageId ? normalizeMessageId(mail.commonHeaders.messageId) : '';
  // An empty or bare `<>` Message-ID falls back to SES's id: events always carry a non-empty provider id. So does
  // the `Message-ID` SES itself gave the e-mail (`<ses id>@<region>.amazonses.com`).
  const providerMessageId = original && !original.startsWith(`${mail.messageId}@`) ? original : mail.messageId;
  const base = { type: 'status' as const, providerMessageId };
  const metadata: Record<string, unknown> = { sesMessageId: mail.messageId };
  switch (type) {
    case 'Bounce': {
      const bounce = notification.bounce;
      if (!bounce) return [];
      const first = bounce.bouncedRecipients?.[0];
      const permanent = bounce.bounceType === 'Permanent';
      const detail = first?.diagnosticCode ?? first?.status ?? 'no diagnostic';
      Object.assign(metadata, {
        bounceType: bounce.bounceType,
        bounceSubType: bounce.bounceSubType ?? undefined,
        feedbackId: bounce.feedbackId ?? undefined,
        bouncedRecipients: (bounce.bouncedRecipients ?? []).map((recipient) => maskEmail(recipient.emailAddress)),
      });
      return [
        {
          ...base,
          status: 'failed',
          at: timeOf(bounce.timestamp, clock),
          error: {
            // `bounced` is the unreachable reason the hub records in reach stats, so the cascade skips this address.
            code: permanent ? 'bounced' : 'provider_error',
            message: maskEmail(`${bounce.bounceType}/${bounce.bounceSubType ?? 'General'} bounce: ${detail}`),
            ...(first?.status ? { providerCode: first.status } : {}),
            retryable: bounce.bounceType === 'Transient',
          },
          metadata,
        },
      ];
    }
    case 'Complaint': {
      const complaint = notification.complaint;
      Object.assign(metadata, {
        complaintFeedbackType: complaint?.complaintFeedbackType ?? undefined,
        feedbackId: complaint?.feedbackId ?? undefined,
      });
      return [
        {
          ...base,
          status: 'failed',
          at: timeOf(complaint?.timestamp, clock),
          error: {
            code: 'opted_out',
            message: `recipient marked the e-mail as spam (${complaint?.complaintFeedbackType ?? 'no feedback type'})`,
            retryable: false,
          },
          metadata,
        },
      ];
    }
    case 'Delivery': {
      const delivery = notification.delivery;
      if (delivery?.smtpResponse) metadata.smtpResponse = maskEmail(delivery.smtpResponse);
      return [{ ...base, status: 'delivered', at: timeOf(delivery?.timestamp ?? mail.timestamp, clock), metadata }];
    }
    case 'Reject':
      return [
        {
          ...base,
          status: 'failed',
          at: timeOf(mail.timestamp, clock),
          error: {
            code: 'provider_error',
            message: `SES rejected the message: ${notification.reject?.reason ?? 'no reason'}`,
            retryable: false,
          },
          metadata,
        },
      ];
    case 'Open':
      return [{ ...base, status: 'read', at: timeOf(notification.open?.timestamp, clock), metadata }];
    default:
      return [];
  }
}

function parseJson(text: string, channel: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new WebhookError({ channel, kind: 'malformed', message: `${what} is not JSON` });
  }
}

/**
 * Parses an Amazon SES bounce/complaint/delivery notification delivered by Amazon SNS over HTTP(S), with or
 * without SNS raw message delivery. `Bounce` (Permanent) → `failed` with error code `bounced`; `Bounce`
 * (Transient/Undetermined) → `failed`; `Complaint` → `failed` with error code `opted_out`; `Delivery` →
 * `delivered`; event-publishing `Reject` → `failed`, `Open` → `read`; other kinds are ignored.
 * `SubscriptionConfirmation` is passed to `onSubscriptionConfirmation` and otherwise ignored.
 * @throws WebhookError `signature` (401) for a wrong secret or topic, `malformed` (400) for a body that is not an
 * SNS/SES document.
 * @see https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-http-https-endpoint-as-subscriber.html
 * @example
 * const result = await parseSesWebhook(request, { secret: process.env.SES_WEBHOOK_SECRET, topicArns: [arn] });
 */
export async function parseSesWebhook(
  request: WebhookRequest,
  options: SesWebhookOptions & SesWebhookContext = {},
): Promise<WebhookResult> {
  const channel = options.channel ?? 'email';
  const clock = options.clock ?? systemClock;
  if (options.secret) {
    const challenge = checkSecret(request, options.secret, channel);
    if (challenge) return { events: [], response: challenge };
  }
  const verify = (options.signature ?? (options.secret ? 'skip' : 'verify')) === 'verify';
  const body = parseJson(new TextDecoder().decode(request.body), channel, 'webhook body');
  const envelope = snsEnvelopeSchema.safeParse(body);
  let notificationBody: unknown = body;
  if (!envelope.success && verify) {
    throw new WebhookError({
      channel,
      kind: 'signature',
      message: 'not a signed SNS message (raw message delivery carries no signature: protect the endpoint with a secret)',
    });
  }
  if (envelope.success) {
    const sns = envelope.data;
    if (verify) await verifierFor(options.fetchSigningCertificate)(sns, channel);
    if (options.topicArns && !options.topicArns.includes(sns.TopicArn ?? '')) {
      throw new WebhookError({ channel, kind: 'signature', message: 'notification from an SNS topic that is not allowed' });
    }
    if (sns.Type === 'SubscriptionConfirmation') {
      if (options.onSubscriptionConfirmation && sns.SubscribeURL) {
        await options.onSubscriptionConfirmation({
          topicArn: sns.TopicArn ?? '',
          subscribeUrl: sns.SubscribeURL,
          token: sns.Token ?? '',
          message: sns.Message ?? '',
        });
      }
      return { events: [], ignored: 1 };
    }
    if (sns.Type !== 'Notification') return { events: [], ignored: 1 };
    notificationBody = parseJson(sns.Message ?? '', channel, 'SNS Message');
  }
  const notification = sesNotificationSchema.safeParse(notificationBody);
  if (!notification.success) {
    throw new WebhookError({
      channel,
      kind: 'malformed',
      message:
        `not an SES notification: ${notification.error.issues[0]?.path.join('.') || 'body'} ${notification.error.issues[0]?.message ?? ''}`.trim(),
      raw: notification.error.issues,
    });
  }
  const events = sesNotificationToEvents(notification.data, clock);
  if (options.onUnreachable) {
    const data = notification.data;
    const type = data.notificationType ?? data.eventType;
    if (type === 'Bounce' && data.bounce?.bounceType === 'Permanent') {
      for (const recipient of data.bounce.bouncedRecipients ?? []) options.onUnreachable(recipient.emailAddress, 'bounced');
    } else if (type === 'Complaint') {
      for (const recipient of data.complaint?.complainedRecipients ?? [])
        options.onUnreachable(recipient.emailAddress, 'opted_out');
    }
  }
  return events.length ? { events } : { events, ignored: 1 };
}

/**
 * Confirms an SNS subscription by fetching its `SubscribeURL`, after checking that the URL is an `https` SNS
 * endpoint (so a forged confirmation cannot make the server fetch arbitrary URLs).
 * @throws WebhookError when the URL is not an SNS endpoint or SNS refuses the confirmation.
 * @example
 * createEmailChannel({ …, webhook: { secret, onSubscriptionConfirmation: (c) => confirmSnsSubscription(c) } });
 */
export async function confirmSnsSubscription(
  confirmation: SnsSubscriptionConfirmation,
  options: { fetch?: typeof fetch } = {},
): Promise<void> {
  let url: URL;
  try {
    url = new URL(confirmation.subscribeUrl);
  } catch {
    throw new WebhookError({ channel: 'email', kind: 'malformed', message: 'SubscribeURL is not a URL' });
  }
  if (url.protocol !== 'https:' || !isSnsHost(url.hostname)) {
    throw new WebhookError({
      channel: 'email',
      kind: 'signature',
      message: `SubscribeURL host ${url.hostname} is not Amazon SNS`,
    });
  }
  const response = await (options.fetch ?? fetch)(url);
  if (!response.ok) {
    throw new WebhookError({
      channel: 'email',
      kind: 'malformed',
      message: `SNS refused the confirmation: HTTP ${response.status}`,
    });
  }
}
