import { createHmac } from 'node:crypto';
import { countSegments } from '@omnidealer/channel-sms';
import { normalizePhone } from '@omnidealer/core/provider-utils';
import { seededHex } from './random.js';
import type { ResolvedFaultRule, SmsOutcome } from './sandbox-behaviour.js';
import type { HttpProvider, SandboxContext } from './sandbox-context.js';
import type { WebhookDeliveryEvent } from './sandbox-events.js';
import { jsonResponse, readParameters, type SandboxRequest, type SandboxResponse } from './sandbox-http.js';
import { planSms } from './sms-outcome.js';

/** One message the Twilio sandbox accepted. */
export interface TwilioSentMessage {
  /** `SM…` message SID. */
  sid: string;
  to: string;
  from: string;
  body: string;
  segments: number;
  /** Price in cents, known once the message is final. */
  priceMinor: number;
  at: number;
  /** `queued` → `sent` → `delivered` / `undelivered` / `failed`. */
  status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';
  errorCode: number | null;
  statusCallback?: string | undefined;
  plannedOutcome: Exclude<SmsOutcome, 'blocked'>;
}

/** An SMS a person sends to the dealer's Twilio number, for {@link TwilioSandbox.inbound}. */
export interface TwilioInboundInput {
  /** The sender, E.164 (`+79161234567`). */
  from: string;
  /** The SMS text. */
  body: string;
  /** The dealer's number it was sent to. @default the sandbox's `credentials.twilio.from` */
  to?: string | undefined;
}

/** What {@link TwilioSandbox.inbound} delivered. */
export interface TwilioInboundResult {
  /** `SM…` SID of the inbound message. */
  sid: string;
  /** The form parameters exactly as posted. */
  parameters: Record<string, string>;
  /** One attempt per webhook target (none without `webhookTargets.twilio`). */
  deliveries: WebhookDeliveryEvent[];
}

/** The Twilio Programmable Messaging simulator, as reachable from `sandbox.twilio`. */
export interface TwilioSandbox {
  /** Messages accepted so far, in order. */
  messages(): readonly TwilioSentMessage[];
  /**
   * A person answers by SMS: posts Twilio's incoming-message webhook (`SmsStatus=received`, `Body`, `From`, `To`,
   * `NumSegments`…), signed with `X-Twilio-Signature`, to every `webhookTargets.twilio` URL.
   * @see https://www.twilio.com/docs/messaging/guides/webhook-request
   */
  inbound(input: TwilioInboundInput): Promise<TwilioInboundResult>;
}

/**
 * `X-Twilio-Signature`: base64(HMAC-SHA1(authToken, url + every POST parameter sorted by name as name+value; a
 * repeated name once per distinct value, values sorted, as twilio-node does)).
 */
export function signTwilioRequest(authToken: string, url: string, parameters: URLSearchParams): string {
  const names = [...new Set(parameters.keys())].sort();
  let data = url;
  for (const name of names) for (const value of [...new Set(parameters.getAll(name))].sort()) data += name + value;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

const twilioError = (status: number, code: number, message: string) =>
  jsonResponse(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

const failureCodes: Record<'failed' | 'expired', Array<[TwilioSentMessage['status'], number]>> = {
  failed: [
    ['undelivered', 30003],
    ['undelivered', 30005],
    ['undelivered', 30006],
    ['failed', 30008],
  ],
  expired: [['undelivered', 30003]],
};

/** Creates the Twilio Messages API simulator (`POST/GET /2010-04-01/Accounts/{sid}/Messages[.json]`). */
export function createTwilioSandbox(context: SandboxContext): HttpProvider & TwilioSandbox {
  const { seed, clock, scheduler, emitter, stats } = context;
  const credentials = context.credentials.twilio;
  const behaviour = context.behaviour.twilio;
  const messages = new Map<string, TwilioSentMessage>();
  const perRecipient = new Map<string, number>();
  let inboundCount = 0;

  const resource = (message: TwilioSentMessage) => {
    const final = ['delivered', 'undelivered', 'failed'].includes(message.status);
    const uri = `/2010-04-01/Accounts/${credentials.accountSid}/Messages/${message.sid}.json`;
    return {
      account_sid: credentials.accountSid,
      api_version: '2010-04-01',
      body: message.body,
      date_created: new Date(message.at).toUTCString().replace('GMT', '+0000'),
      date_sent: message.status === 'queued' ? null : new Date(message.at).toUTCString().replace('GMT', '+0000'),
      date_updated: new Date(clock.now()).toUTCString().replace('GMT', '+0000'),
      direction: 'outbound-api',
      error_code: message.errorCode,
      error_message: null,
      from: message.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: String(message.segments),
      price: final ? `-${(message.priceMinor / 100).toFixed(5)}` : null,
      price_unit: 'USD',
      sid: message.sid,
      status: message.status,
      subresource_uris: { media: uri.replace('.json', '/Media.json') },
      to: message.to,
      uri,
    };
  };

  const transition = (message: TwilioSentMessage, status: TwilioSentMessage['status'], errorCode: number | null, at: number) =>
    scheduler.schedule(
      at,
      async () => {
        message.status = status;
        message.errorCode = errorCode;
        const mapped = status === 'sent' ? 'sent' : status === 'delivered' ? 'delivered' : 'failed';
        stats.twilio[mapped]++;
        emitter.emit('message.status', {
          provider: 'twilio',
          id: message.sid,
          to: message.to,
          status: mapped,
          at,
          ...(errorCode === null ? {} : { errorCode }),
        });
        const targets = message.statusCallback ? [message.statusCallback] : context.targets.twilio;
        if (targets.length === 0) return;
        for (const url of targets) {
          const parameters = new URLSearchParams({
            AccountSid: credentials.accountSid,
            ApiVersion: '2010-04-01',
            From: message.from,
            MessageSid: message.sid,
            MessageStatus: status,
            SmsSid: message.sid,
            SmsStatus: status,
            To: message.to,
            ...(errorCode === null ? {} : { ErrorCode: String(errorCode) }),
          });
          await context.dispatcher.dispatch({
            provider: 'twilio',
            targets: [url],
            body: parameters.toString(),
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': signTwilioRequest(credentials.authToken, url, parameters),
              'user-agent': 'TwilioProxy/1.1',
            },
          });
        }
      },
      message.sid,
    );

  const create = (parameters: URLSearchParams): SandboxResponse => {
    const rawTo = parameters.get('To') ?? '';
    const body = parameters.get('Body') ?? '';
    const from = parameters.get('From') ?? (parameters.get('MessagingServiceSid') ? credentials.from : undefined);
    if (!from) return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
    if (!body) return twilioError(400, 21602, 'Message body is required.');
    const e164 = normalizePhone(rawTo, 'US');
    if (!e164 || !rawTo.startsWith('+')) return twilioError(400, 21211, `The 'To' number ${rawTo} is not a valid phone number.`);
    const digits = e164.slice(1);
    const scripted = behaviour.outcomes[digits] ?? behaviour.outcomes[e164];
    if (scripted === 'blocked') return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
    const nth = (perRecipient.get(digits) ?? 0) + 1;
    perRecipient.set(digits, nth);
    const sid = `SM${seededHex(32, seed, 'twilio.sid', digits, nth)}`;
    const { segments } = countSegments(body);
    const at = clock.now();
    const timeline = planSms({ seed, gateway: 'twilio', behaviour, digits, id: sid, at });
    const outcome = timeline.outcome as Exclude<SmsOutcome, 'blocked'>;
    const message: TwilioSentMessage = {
      sid,
      to: e164,
      from,
      body,
      segments,
      priceMinor: Math.round(segments * behaviour.pricePerSegment * 100),
      at,
      status: 'queued',
      errorCode: null,
      statusCallback: parameters.get('StatusCallback') ?? undefined,
      plannedOutcome: outcome,
    };
    messages.set(sid, message);
    stats.twilio.accepted++;
    stats.twilio.segments += segments;
    stats.twilio.spendMinor += message.priceMinor;
    emitter.emit('message.accepted', { provider: 'twilio', id: sid, to: e164, type: 'sms', at, plannedOutcome: outcome });
    if (outcome !== 'silent') {
      transition(message, 'sent', null, timeline.sentAt);
      if (outcome === 'delivered') transition(message, 'delivered', null, timeline.finalAt);
      else {
        const options = failureCodes[outcome];
        const [status, code] = options[Math.floor(timeline.failurePick * options.length)] as [
          TwilioSentMessage['status'],
          number,
        ];
        transition(message, status, code, timeline.finalAt);
      }
    }
    return jsonResponse(201, resource(message));
  };

  return {
    handle(request: SandboxRequest) {
      // /2010-04-01/Accounts/{AccountSid}/Messages.json | /Messages/{Sid}.json
      const [, accounts, accountSid, collection, sidFile] = request.url.pathname.split('/').filter(Boolean);
      const header = String(request.headers.authorization ?? '');
      const [user, password] = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64')
        .toString('utf8')
        .split(':');
      if (!header.startsWith('Basic ') || user !== credentials.accountSid || password !== credentials.authToken) {
        stats.twilio.rejected++;
        return twilioError(401, 20003, 'Authenticate');
      }
      if (accounts !== 'Accounts' || accountSid !== credentials.accountSid)
        return twilioError(404, 20404, 'The requested resource was not found');
      if (collection === 'Messages.json' && request.method === 'POST') return create(readParameters(request));
      if (collection === 'Messages' && sidFile?.endsWith('.json') && request.method === 'GET') {
        const message = messages.get(sidFile.slice(0, -5));
        return message ? jsonResponse(200, resource(message)) : twilioError(404, 20404, 'The requested resource was not found');
      }
      return twilioError(404, 20404, 'The requested resource was not found');
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return {
            ...twilioError(429, 20429, 'Too Many Requests'),
            headers: { 'content-type': 'application/json', 'retry-after': String(rule.retryAfterSeconds) },
          };
        case 'expired_token':
          return twilioError(401, 20003, 'Authenticate');
        case 'unavailable':
          return twilioError(503, 20503, 'Service Unavailable');
        default:
          return twilioError(500, 20500, 'Internal Server Error');
      }
    },

    messages: () => [...messages.values()],

    async inbound(input) {
      const sid = `SM${seededHex(32, seed, 'twilio.inbound', ++inboundCount)}`;
      // The fields of Twilio's incoming-message request, in the order Twilio posts them.
      const parameters: Record<string, string> = {
        ToCountry: 'US',
        SmsMessageSid: sid,
        NumMedia: '0',
        SmsSid: sid,
        SmsStatus: 'received',
        Body: input.body,
        To: input.to ?? credentials.from,
        NumSegments: String(countSegments(input.body).segments),
        MessageSid: sid,
        AccountSid: credentials.accountSid,
        From: input.from,
        ApiVersion: '2010-04-01',
      };
      emitter.emit('inbound.sent', { provider: 'twilio', id: sid, from: input.from, at: clock.now() });
      const deliveries: WebhookDeliveryEvent[] = [];
      for (const url of context.targets.twilio) {
        const form = new URLSearchParams(parameters);
        deliveries.push(
          ...(await context.dispatcher.dispatch({
            provider: 'twilio',
            targets: [url],
            body: form.toString(),
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': signTwilioRequest(credentials.authToken, url, form),
              'user-agent': 'TwilioProxy/1.1',
            },
          })),
        );
      }
      return { sid, parameters, deliveries };
    },
  };
}
