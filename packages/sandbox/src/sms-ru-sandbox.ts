import { countSegments } from '@omnidealer/channel-sms';
import { isMobilePhone, normalizePhone } from '@omnidealer/core/provider-utils';
import { seededDigits } from './random.js';
import type { ResolvedFaultRule, SmsOutcome } from './sandbox-behaviour.js';
import { type HttpProvider, type SandboxContext, unixSeconds } from './sandbox-context.js';
import { jsonResponse, readParameters, type SandboxRequest, type SandboxResponse, textResponse } from './sandbox-http.js';
import { planSms, type SmsPlan } from './sms-outcome.js';

/** SMS.ru message status codes and their texts. */
export const smsRuStatusTexts: Record<number, string> = {
  [-1]: 'Сообщение не найдено',
  100: 'Сообщение находится в нашей очереди',
  101: 'Сообщение передается оператору',
  102: 'Сообщение отправлено (в пути)',
  103: 'Сообщение доставлено',
  104: 'Не может быть доставлено: время жизни истекло',
  105: 'Не может быть доставлено: удалено оператором',
  106: 'Не может быть доставлено: сбой в телефоне',
  107: 'Не может быть доставлено: неизвестная причина',
  108: 'Не может быть доставлено: отклонено',
};

/** One SMS the SMS.ru sandbox accepted. */
export interface SmsRuSentMessage {
  id: string;
  /** Recipient digits (`79161234567`). */
  to: string;
  text: string;
  from: string;
  segments: number;
  /** Charged price in kopecks. */
  costMinor: number;
  at: number;
  /** Current SMS.ru status code (100 queued … 103 delivered, 104–108 failed). */
  statusCode: number;
  plannedOutcome: Exclude<SmsOutcome, 'blocked'>;
}

/** The SMS.ru simulator, as reachable from `sandbox.smsRu`. */
export interface SmsRuSandbox {
  /** Messages accepted so far, in order. */
  messages(): readonly SmsRuSentMessage[];
  /** Current balance in roubles. */
  balance(): number;
}

const error = (statusCode: number, text: string) => ({ status: 'ERROR', status_code: statusCode, status_text: text });
const roubles = (kopecks: number) => Math.round(kopecks) / 100;

/** Creates the SMS.ru gateway simulator. */
export function createSmsRuSandbox(context: SandboxContext): HttpProvider & SmsRuSandbox {
  const { seed, clock, scheduler, emitter, stats } = context;
  const credentials = context.credentials.smsRu;
  const behaviour = context.behaviour.smsRu;
  let balanceMinor = Math.round(behaviour.balance * 100);
  const messages = new Map<string, SmsRuSentMessage>();
  const perRecipient = new Map<string, number>();

  const callback = (message: SmsRuSentMessage, code: number, at: number) =>
    scheduler.schedule(
      at,
      async () => {
        message.statusCode = code;
        const status = code === 102 ? 'sent' : code === 103 ? 'delivered' : 'failed';
        stats.smsRu[status]++;
        emitter.emit('message.status', {
          provider: 'smsRu',
          id: message.id,
          to: message.to,
          status,
          at,
          ...(status === 'failed' ? { errorCode: code } : {}),
        });
        if (context.targets.smsRu.length === 0) return;
        await context.dispatcher.dispatch({
          provider: 'smsRu',
          targets: context.targets.smsRu,
          body: new URLSearchParams({ 'data[0]': `sms_status\n${message.id}\n${code}\n${unixSeconds(at)}` }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      },
      message.id,
    );

  const plan = (message: SmsRuSentMessage, timeline: SmsPlan) => {
    if (message.plannedOutcome === 'silent') return;
    callback(message, 102, timeline.sentAt);
    const failure = [106, 107, 108][Math.floor(timeline.failurePick * 3)] as number;
    const final = { delivered: 103, expired: 104, failed: failure }[message.plannedOutcome];
    callback(message, final, timeline.finalAt);
  };

  const sendOne = (rawNumber: string, text: string, from: string, test: boolean) => {
    const e164 = normalizePhone(rawNumber);
    if (!e164 || !isMobilePhone(e164)) {
      return error(202, 'Неправильно указан номер телефона получателя, либо на него нет маршрута');
    }
    const to = e164.slice(1);
    const nth = (perRecipient.get(to) ?? 0) + 1;
    const id = `${seededDigits(6, seed, 'smsru.id.a', to, nth)}-${seededDigits(8, seed, 'smsru.id.b', to, nth)}`;
    const timeline = planSms({ seed, gateway: 'smsru', behaviour, digits: to, id, at: clock.now() });
    const outcome = timeline.outcome;
    if (outcome === 'blocked') return error(207, 'На этот номер (или один из номеров) нельзя отправлять сообщения');
    const { segments } = countSegments(text);
    const costMinor = Math.round(segments * behaviour.pricePerSegment * 100);
    if (!test && balanceMinor < costMinor) return error(201, 'Не хватает средств на лицевом счету');
    perRecipient.set(to, nth);
    if (test) return { status: 'OK', status_code: 100, sms_id: id, cost: roubles(costMinor), sms: segments };
    balanceMinor -= costMinor;
    const message: SmsRuSentMessage = {
      id,
      to,
      text,
      from,
      segments,
      costMinor,
      at: clock.now(),
      statusCode: 100,
      plannedOutcome: outcome,
    };
    messages.set(id, message);
    stats.smsRu.accepted++;
    stats.smsRu.segments += segments;
    stats.smsRu.spendMinor += costMinor;
    emitter.emit('message.accepted', {
      provider: 'smsRu',
      id,
      to,
      type: 'sms',
      at: message.at,
      costMinor,
      plannedOutcome: outcome,
    });
    plan(message, timeline);
    return { status: 'OK', status_code: 100, sms_id: id, cost: roubles(costMinor), sms: segments };
  };

  const send = (parameters: URLSearchParams): SandboxResponse => {
    const from = parameters.get('from') ?? credentials.from;
    const test = parameters.get('test') === '1';
    const jobs: Array<[string, string]> = [];
    for (const [name, value] of parameters) {
      const match = /^multi\[(.+)\]$/.exec(name);
      if (match?.[1]) jobs.push([match[1], value]);
    }
    if (jobs.length === 0) {
      const text = parameters.get('msg') ?? '';
      for (const number of (parameters.get('to') ?? '').split(',').map((item) => item.trim())) {
        if (number) jobs.push([number, text]);
      }
    }
    if (jobs.length === 0) return jsonResponse(200, error(202, 'Неправильно указан номер телефона получателя'));
    if (jobs.length > 100) return jsonResponse(200, error(213, 'Указано более 100 номеров в списке получателей'));
    if (jobs.some(([, text]) => text.trim() === '')) return jsonResponse(200, error(203, 'Нет текста сообщения'));
    const sms: Record<string, unknown> = {};
    for (const [number, text] of jobs) sms[number] = sendOne(number, text, from, test);
    return jsonResponse(200, { status: 'OK', status_code: 100, sms, balance: roubles(balanceMinor) });
  };

  const status = (parameters: URLSearchParams): SandboxResponse => {
    const sms: Record<string, unknown> = {};
    for (const id of (parameters.get('sms_id') ?? '').split(',').filter(Boolean)) {
      const message = messages.get(id);
      sms[id] = message
        ? {
            status: 'OK',
            status_code: message.statusCode,
            status_text: smsRuStatusTexts[message.statusCode],
            cost: roubles(message.costMinor),
            sms: message.segments,
          }
        : error(-1, smsRuStatusTexts[-1] as string);
    }
    return jsonResponse(200, { status: 'OK', status_code: 100, sms, balance: roubles(balanceMinor) });
  };

  const cost = (parameters: URLSearchParams): SandboxResponse => {
    const text = parameters.get('msg') ?? '';
    const sms: Record<string, unknown> = {};
    let totalMinor = 0;
    let totalSms = 0;
    for (const number of (parameters.get('to') ?? '').split(',').filter(Boolean)) {
      const e164 = normalizePhone(number);
      if (!e164) {
        sms[number] = error(202, 'Неправильно указан номер телефона получателя');
        continue;
      }
      const { segments } = countSegments(text);
      const minor = Math.round(segments * behaviour.pricePerSegment * 100);
      totalMinor += minor;
      totalSms += segments;
      sms[number] = { status: 'OK', status_code: 100, cost: roubles(minor), sms: segments };
    }
    return jsonResponse(200, { status: 'OK', status_code: 100, sms, total_cost: roubles(totalMinor), total_sms: totalSms });
  };

  return {
    handle(request: SandboxRequest) {
      const parameters = readParameters(request);
      if (parameters.get('api_id') !== credentials.apiId) {
        stats.smsRu.rejected++;
        return jsonResponse(200, error(200, 'Неправильный api_id'));
      }
      switch (request.url.pathname.replace(/\/+$/, '')) {
        case '/sms/send':
          return send(parameters);
        case '/sms/status':
          return status(parameters);
        case '/sms/cost':
          return cost(parameters);
        case '/my/balance':
          return jsonResponse(200, { status: 'OK', status_code: 100, balance: roubles(balanceMinor) });
        case '/auth/check':
          return jsonResponse(200, { status: 'OK', status_code: 100 });
        default:
          return textResponse(404, 'Not Found');
      }
    },

    faultResponse(rule: ResolvedFaultRule) {
      switch (rule.kind) {
        case 'rate_limit':
          return jsonResponse(429, error(220, 'Сервис временно недоступен, попробуйте чуть позже'), {
            'retry-after': String(rule.retryAfterSeconds),
          });
        case 'expired_token':
          return jsonResponse(200, error(300, 'Неправильный token (возможно истек срок действия, либо ваш IP изменился)'));
        case 'unavailable':
          return textResponse(503, '503 Service Temporarily Unavailable');
        default:
          return textResponse(500, '500 Internal Server Error');
      }
    },

    messages: () => [...messages.values()],
    balance: () => roubles(balanceMinor),
  };
}
