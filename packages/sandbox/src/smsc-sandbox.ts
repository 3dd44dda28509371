import { createHash } from 'node:crypto';
import { countSegments } from '@omnidealer/channel-sms';
import { isMobilePhone, normalizePhone } from '@omnidealer/core/provider-utils';
import type { ResolvedFaultRule, SmsOutcome } from './sandbox-behaviour.js';
import { type HttpProvider, type SandboxContext, unixSeconds } from './sandbox-context.js';
import { jsonResponse, readParameters, type SandboxRequest, type SandboxResponse, textResponse } from './sandbox-http.js';
import { planSms } from './sms-outcome.js';

/** One SMS the SMSC.ru sandbox accepted (one per phone of a send request). */
export interface SmscSentMessage {
  /**
   * Request id SMSC answered with: the client's own `id` when it sent one (up to 40 latin letters, digits, `.-_`),
   * else SMSC's number. Statuses are looked up by `(id, phone)`.
   */
  id: number | string;
  /** Recipient digits. */
  phone: string;
  text: string;
  segments: number;
  costMinor: number;
  at: number;
  /** SMSC status: -1 waiting, 0 passed to operator, 1 delivered, 3 expired, 20 impossible, 22 wrong number, 23 forbidden. */
  status: number;
  statusAt: number;
  plannedOutcome: Exclude<SmsOutcome, 'blocked'>;
}

/** The SMSC.ru simulator, as reachable from `sandbox.smsc`. */
export interface SmscSandbox {
  /** Messages accepted so far, in order. */
  messages(): readonly SmscSentMessage[];
  /** Current balance in roubles. */
  balance(): number;
}

const smscError = (code: number, error: string) => ({ error, error_code: code });
const roubles = (kopecks: number) => (Math.round(kopecks) / 100).toFixed(2).replace(/\.?0+$/, '');

/** `dd.mm.yyyy hh:mm:ss` in Moscow time, as SMSC writes `last_date`. */
function moscowDate(epochMs: number): string {
  const date = new Date(epochMs + 3 * 3_600_000);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}.${pad(date.getUTCMonth() + 1)}.${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** `md5` of an SMSC.ru status callback: hex MD5 of `id:phone:status:<callback secret>`. */
export function signSmscCallback(id: number | string, phone: string, status: number | string, secret: string): string {
  return createHash('md5').update(`${id}:${phone}:${status}:${secret}`, 'utf8').digest('hex');
}

/**
 * Creates the SMSC.ru gateway simulator (`/sys/send.php`, `/sys/status.php`, `/sys/balance.php`, `fmt=3` JSON). Each
 * status change is POSTed, form-encoded and `md5`-signed, to the `smsc` webhook targets, as SMSC posts to the
 * callback URL of the account settings.
 */
export function createSmscSandbox(context: SandboxContext): HttpProvider & SmscSandbox {
  const { seed, clock, scheduler, emitter, stats } = context;
  const credentials = context.credentials.smsc;
  const behaviour = context.behaviour.smsc;
  let balanceMinor = Math.round(behaviour.balance * 100);
  let requestCount = 0;
  const messages = new Map<string, SmscSentMessage>();

  const transition = (message: SmscSentMessage, status: number, at: number) =>
    scheduler.schedule(
      at,
      async () => {
        message.status = status;
        message.statusAt = at;
        const mapped = status === 0 ? 'sent' : status === 1 ? 'delivered' : 'failed';
        stats.smsc[mapped]++;
        emitter.emit('message.status', {
          provider: 'smsc',
          id: `${message.id}:${message.phone}`,
          to: message.phone,
          status: mapped,
          at,
          ...(mapped === 'failed' ? { errorCode: status } : {}),
        });
        if (context.targets.smsc.length === 0) return;
        const parameters = new URLSearchParams({
          id: String(message.id),
          phone: message.phone,
          status: String(status),
          time: moscowDate(at),
          ts: String(unixSeconds(at)),
          err: status >= 20 ? '1' : '0',
          cnt: String(message.segments),
          type: '0',
          cost: roubles(message.costMinor),
          md5: signSmscCallback(message.id, message.phone, status, credentials.callbackSecret),
        });
        await context.dispatcher.dispatch({
          provider: 'smsc',
          targets: context.targets.smsc,
          body: parameters.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      },
      `${message.id}:${message.phone}`,
    );

  const send = (parameters: URLSearchParams): SandboxResponse => {
    const text = parameters.get('mes') ?? '';
    const phones = (parameters.get('phones') ?? '')
      .split(/[,;]/)
      .map((phone) => phone.trim())
      .filter(Boolean);
    if (phones.length === 0 || text === '') return jsonResponse(200, smscError(1, 'parameters error'));
    const numbers: string[] = [];
    for (const phone of phones) {
      const e164 = normalizePhone(phone);
      if (!e164 || !isMobilePhone(e164)) return jsonResponse(200, smscError(7, 'invalid number'));
      numbers.push(e164.slice(1));
    }
    if (numbers.some((digits) => behaviour.outcomes[digits] === 'blocked' || behaviour.outcomes[`+${digits}`] === 'blocked')) {
      return jsonResponse(200, smscError(8, 'cannot deliver'));
    }
    const { segments } = countSegments(text);
    const costMinor = Math.round(segments * behaviour.pricePerSegment * 100) * numbers.length;
    const costMode = parameters.get('cost') ?? '0';
    if (costMode === '1') return jsonResponse(200, { cost: roubles(costMinor), cnt: segments * numbers.length });
    if (balanceMinor < costMinor) return jsonResponse(200, smscError(3, 'no money'));
    balanceMinor -= costMinor;
    const clientId = parameters.get('id');
    if (clientId !== null && !/^[A-Za-z0-9._-]{1,40}$/.test(clientId)) return jsonResponse(200, smscError(1, 'parameters error'));
    const id = clientId ?? ++requestCount;
    const at = clock.now();
    for (const digits of numbers) {
      const key = `${id}:${digits}`;
      const timeline = planSms({ seed, gateway: 'smsc', behaviour, digits, id: key, at });
      const outcome = timeline.outcome as Exclude<SmsOutcome, 'blocked'>;
      const message: SmscSentMessage = {
        id,
        phone: digits,
        text,
        segments,
        costMinor: costMinor / numbers.length,
        at,
        status: -1,
        statusAt: at,
        plannedOutcome: outcome,
      };
      messages.set(key, message);
      stats.smsc.accepted++;
      stats.smsc.segments += segments;
      stats.smsc.spendMinor += message.costMinor;
      emitter.emit('message.accepted', {
        provider: 'smsc',
        id: key,
        to: digits,
        type: 'sms',
        at,
        costMinor: message.costMinor,
        plannedOutcome: outcome,
      });
      if (outcome === 'silent') continue;
      transition(message, 0, timeline.sentAt);
      const failure = [20, 22, 23][Math.floor(timeline.failurePick * 3)] as number;
      transition(message, { delivered: 1, expired: 3, failed: failure }[outcome], timeline.finalAt);
    }
    return jsonResponse(200, {
      id,
      cnt: segments * numbers.length,
      ...(costMode === '2' || costMode === '3' ? { cost: roubles(costMinor) } : {}),
      ...(costMode === '3' ? { balance: roubles(balanceMinor) } : {}),
    });
  };

  const status = (parameters: URLSearchParams): SandboxResponse => {
    const digits = (parameters.get('phone') ?? '').replace(/\D/g, '');
    const message = messages.get(`${parameters.get('id') ?? ''}:${digits}`);
    if (!message) return jsonResponse(200, { status: -3, last_date: '', last_timestamp: 0, err: 0 });
    return jsonResponse(200, {
      status: message.status,
      last_date: moscowDate(message.statusAt),
      last_timestamp: unixSeconds(message.statusAt),
      err: message.status >= 20 ? 1 : 0,
      ...(parameters.get('all') ? { cost: roubles(message.costMinor), phone: message.phone } : {}),
    });
  };

  return {
    handle(request: SandboxRequest) {
      const parameters = readParameters(request);
      if (parameters.get('login') !== credentials.login || parameters.get('psw') !== credentials.password) {
        stats.smsc.rejected++;
        return jsonResponse(200, smscError(2, 'authorise error'));
      }
      switch (request.url.pathname) {
        case '/sys/send.php':
          return send(parameters);
        case '/sys/status.php':
          return status(parameters);
        case '/sys/balance.php':
          return jsonResponse(200, { balance: roubles(balanceMinor) });
        default:
          return textResponse(404, 'Not Found');
      }
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return jsonResponse(429, smscError(9, 'duplicate request, wait a minute'), {
            'retry-after': String(rule.retryAfterSeconds),
          });
        case 'expired_token':
          return jsonResponse(200, smscError(2, 'authorise error'));
        case 'unavailable':
          return textResponse(503, '503 Service Temporarily Unavailable');
        default:
          return textResponse(500, '500 Internal Server Error');
      }
    },

    messages: () => [...messages.values()],
    balance: () => balanceMinor / 100,
  };
}
