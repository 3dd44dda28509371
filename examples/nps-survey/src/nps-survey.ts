import { type Cascade, type CascadePolicy, type CascadeState, createCascade, DAY_MS } from '@omnidealer/cascade';
import {
  type Clock,
  type ContactInput,
  type Logger,
  type Message,
  type MessageContentInput,
  type Omnidealer,
  ValidationError,
} from '@omnidealer/core';
import { createRedactingLogger } from '@omnidealer/core/provider-utils';
import { netPromoterScore, parseScore } from './parse-score.js';

/** The service visit a survey asks about. */
export interface ServiceVisit {
  /** The CRM's visit (work order) id. */
  id: string;
  /** When the car was handed back, epoch ms. */
  at: number;
  /** What was done, e.g. `ТО-2`. */
  service: string;
}

/** Texts of the survey; each gets the contact's first name and the visit. */
export interface NpsSurveyTexts {
  /** The question on MAX, above the 0–10 buttons. */
  question(firstName: string | undefined, visit: ServiceVisit): string;
  /** The SMS (first message for contacts not on MAX, fallback for the rest): must say to answer with a number. */
  sms(firstName: string | undefined, visit: ServiceVisit): string;
  /** The answer to a score, on the channel it came from; `undefined` sends none. */
  thanks(score: number): string | undefined;
  /** The one clarifying question after a reply without a readable score; `undefined` sends none. */
  clarify: string | undefined;
}

/** Options of {@link createNpsSurvey}. */
export interface NpsSurveyOptions {
  hub: Omnidealer;
  /**
   * The cascade the survey sends through. Its policy must make MAX fall back when there is no answer (see
   * {@link npsSurveyPolicy}): the default `failed` would never send the SMS. @default a cascade over the two
   * channels with {@link npsSurveyPolicy}
   */
  cascade?: Cascade;
  /** @default the hub's clock */
  clock?: Clock;
  /** Names the survey: one score per contact per survey id (e.g. one per month). */
  surveyId: string;
  /** @default 'max' */
  maxChannelId?: string;
  /** @default 'sms' */
  smsChannelId?: string;
  /** How long the survey waits on MAX for an answer before the SMS. @default 24 hours */
  noAnswerFallbackMs?: number;
  /** Answers later than this after the question are not scored. @default 7 days */
  answerWindowMs?: number;
  /** @default Russian texts for a car service ({@link defaultNpsTexts}) */
  texts?: Partial<NpsSurveyTexts>;
  /** Receives redacted lines about listeners that threw and replies that could not be handled. @default console */
  logger?: Logger;
}

/** Where a survey stands for one contact, as stored in the hub's store (namespace `nps.survey`). */
export interface SurveyRecord {
  surveyId: string;
  contactId: string;
  visit: ServiceVisit;
  askedAt: number;
  cascadeId: string;
  /** `asked`: waiting for a score; `answered`: scored, later replies are not. */
  status: 'asked' | 'answered';
  score?: number | undefined;
  answeredAt?: number | undefined;
  /** Channel id the score came on. */
  answeredOn?: string | undefined;
  /** A button press or a typed reply. */
  via?: 'button' | 'text' | undefined;
  /** The clarifying question went out (once per survey). */
  clarified?: boolean | undefined;
  /** Reply texts that held no score, oldest first (for operators). */
  unreadable?: string[] | undefined;
}

/** What the survey tells its listeners. */
export interface NpsSurveyEvents {
  /** A contact's score was recorded. */
  'survey.answered': (record: SurveyRecord) => void;
  /** A reply held no score (the clarifying question was sent if `clarified` just turned true). */
  'survey.unreadable': (event: { record: SurveyRecord; text: string }) => void;
}

/** One contact's line of {@link NpsReport}. */
export interface NpsReportRow {
  contactId: string;
  visitId: string;
  /** The channels the question went out on, in order (`['max', 'sms']` after a fallback). */
  askedOn: string[];
  score?: number | undefined;
  answeredOn?: string | undefined;
  via?: 'button' | 'text' | undefined;
}

/** Results of one survey. */
export interface NpsReport {
  surveyId: string;
  asked: number;
  answered: number;
  /** The scores given, in the order the contacts were asked. */
  scores: number[];
  /** Promoters (9–10) minus detractors (0–6), in percent; undefined before any answer. */
  nps: number | undefined;
  promoters: number;
  passives: number;
  detractors: number;
  /** Surveys that moved from MAX to SMS because nobody answered in time. */
  fellBack: number;
  /** Per channel id: questions that went out on it, scores that came on it and their NPS. */
  byChannel: Record<string, { asked: number; answered: number; nps: number | undefined }>;
  rows: NpsReportRow[];
}

/** A post-visit NPS survey over a hub: MAX with buttons first, SMS when there is no answer in time. */
export interface NpsSurvey {
  readonly surveyId: string;
  /** The cascade the survey sends through. */
  readonly cascade: Cascade;
  /**
   * Asks a contact for a 0–10 score about a visit: on MAX with buttons when the contact is linked to the bot, else by
   * SMS; a MAX question unanswered after `noAnswerFallbackMs` is asked again by SMS. Asking the same contact twice in
   * one survey returns the first record and sends nothing.
   */
  ask(contact: ContactInput, visit: ServiceVisit): Promise<SurveyRecord>;
  /** A contact's record in this survey. */
  get(contactId: string): Promise<SurveyRecord | undefined>;
  /** Counts, scores, the NPS and where the answers came from. */
  report(): Promise<NpsReport>;
  on<E extends keyof NpsSurveyEvents>(event: E, listener: NpsSurveyEvents[E]): this;
  /** Resolves when the replies received so far are handled (tests, shutdown). */
  drain(): Promise<void>;
  /** Stops listening to the hub (and closes the cascade the survey created). */
  close(): void;
}

const surveyNamespace = 'nps.survey';

/** The survey's Russian texts for a car service. */
export const defaultNpsTexts: NpsSurveyTexts = {
  question: (name, visit) =>
    `${name ? `${name}, с` : 'С'}пасибо, что приехали к нам на ${visit.service}! Насколько вероятно, что вы порекомендуете ` +
    'наш сервис друзьям? Оцените от 0 (точно нет) до 10 (обязательно).',
  sms: (name, visit) =>
    `${name ? `${name}, о` : 'О'}цените, пожалуйста, визит на ${visit.service}: порекомендуете ли вы наш сервис? ` +
    'Ответьте на это SMS числом от 0 до 10.',
  thanks: (score) =>
    score >= 9
      ? 'Спасибо за высокую оценку! Будем рады видеть вас снова.'
      : score >= 7
        ? 'Спасибо за оценку! Расскажите, что нам сделать лучше?'
        : 'Спасибо за честную оценку. Руководитель сервиса свяжется с вами, чтобы разобраться.',
  clarify: 'Не удалось понять оценку. Ответьте, пожалуйста, одним числом от 0 до 10.',
};

/**
 * The cascade policy of the survey: MAX first (free, for contacts linked to the bot), SMS second. MAX reports neither
 * delivery nor reading to bots, so "not read within `noAnswerFallbackMs`" is, for MAX, simply "the deadline passed":
 * the survey cancels the cascade when an answer comes, and the deadline only fires for those who did not answer.
 */
export function npsSurveyPolicy(
  options: { maxChannelId?: string; smsChannelId?: string; noAnswerFallbackMs?: number | undefined } = {},
) {
  const max = options.maxChannelId ?? 'max';
  const sms = options.smsChannelId ?? 'sms';
  return {
    ordering: 'preference',
    preference: [max, sms],
    fallback: { [max]: { after: 'not_read', withinMs: options.noAnswerFallbackMs ?? DAY_MS } },
    maxSteps: 2,
  } satisfies CascadePolicy;
}

const firstNameOf = (contact: ContactInput): string | undefined => contact.name?.trim().split(/\s+/)[0];

/** The 0–10 keyboard: MAX returns the payload `nps:<score>` when one is pressed. */
const scoreButtons = (): Array<{ id: string; title: string }> =>
  Array.from({ length: 11 }, (_, score) => ({ id: `nps:${score}`, title: String(score) }));

/**
 * Creates a post-visit NPS survey: `ask` sends the question through the cascade (MAX with 0–10 buttons, SMS for the
 * rest and after `noAnswerFallbackMs` without an answer); button presses and text replies ("9", "девять из десяти")
 * on either channel become the contact's score — the first readable one counts, later replies are left to operators;
 * a reply without a score gets one clarifying question. State lives in the hub's store, so a restarted process goes on.
 * @example
 * const survey = createNpsSurvey({ hub, surveyId: 'service-2026-03' });
 * await survey.ask(contact, { id: 'wo-1187', at: Date.now(), service: 'ТО-2' });
 * // … a day later
 * const { nps, byChannel } = await survey.report();
 * @throws ValidationError when a channel is missing from the hub, or a given cascade never falls back from MAX.
 */
export function createNpsSurvey(options: NpsSurveyOptions): NpsSurvey {
  const { hub, surveyId } = options;
  const store = hub.store;
  const clock = options.clock ?? hub.clock;
  const maxChannelId = options.maxChannelId ?? 'max';
  const smsChannelId = options.smsChannelId ?? 'sms';
  const answerWindowMs = options.answerWindowMs ?? 7 * DAY_MS;
  const texts: NpsSurveyTexts = { ...defaultNpsTexts, ...options.texts };
  const logger = createRedactingLogger(options.logger ?? console);
  const maxChannel = hub.channels.get(maxChannelId);
  for (const id of [maxChannelId, smsChannelId]) {
    if (!hub.channels.has(id)) throw new ValidationError({ field: 'options', message: `no channel "${id}" in the hub` });
  }
  const ownCascade = options.cascade === undefined;
  const cascade =
    options.cascade ??
    createCascade({
      hub,
      clock,
      channels: [maxChannelId, smsChannelId],
      policy: npsSurveyPolicy({ maxChannelId, smsChannelId, noAnswerFallbackMs: options.noAnswerFallbackMs }),
    });
  const maxFallback = cascade.policy.fallback[maxChannelId] ?? cascade.policy.fallback[maxChannel?.kind ?? 'max'];
  if (maxFallback?.after === 'failed') {
    throw new ValidationError({
      field: 'cascade',
      message:
        'the cascade falls back from MAX only on failure, so an unanswered survey would never go by SMS: use npsSurveyPolicy()',
    });
  }
  const listeners: { [E in keyof NpsSurveyEvents]: Array<NpsSurveyEvents[E]> } = {
    'survey.answered': [],
    'survey.unreadable': [],
  };
  const pending = new Set<Promise<unknown>>();
  const keyOf = (contactId: string) => `${surveyId}/${contactId}`;

  const emit = <E extends keyof NpsSurveyEvents>(event: E, payload: Parameters<NpsSurveyEvents[E]>[0]) => {
    for (const listener of listeners[event]) {
      try {
        (listener as (value: typeof payload) => void)(payload);
      } catch (error) {
        // Listeners never change what happened: the record is stored already.
        logger.error({ error: String(error) }, `nps-survey: listener of ${event} threw`);
      }
    }
  };

  async function reply(channelId: string, contactId: string, content: MessageContentInput): Promise<void> {
    try {
      await hub.send({ channel: channelId, contact: { id: contactId }, content, kind: 'service' });
    } catch (error) {
      // The contact may have stopped the bot meanwhile: what they answered stays recorded.
      logger.warn({ channel: channelId, contactId, error: String(error) }, 'nps-survey: could not reply');
    }
  }

  async function onReply(message: Message, button: string | undefined): Promise<void> {
    if (message.channel !== maxChannelId && message.channel !== smsChannelId) return;
    const key = keyOf(message.contactId);
    // The time the customer answered (the provider's), not when the webhook was handled.
    const at = message.createdAt;
    const text = button ?? (message.content.type === 'text' ? message.content.text : '');
    const score = parseScore(text);
    if (button !== undefined && score === undefined) return; // another flow's button
    let before: SurveyRecord | undefined;
    let changed = false;
    // One atomic step decides whether this reply is the contact's answer: of two replies at once, one scores.
    const after = await store.updateRecord<SurveyRecord>(surveyNamespace, key, (record) => {
      before = record;
      if (record?.status !== 'asked' || at - record.askedAt > answerWindowMs) return record;
      changed = true;
      if (score !== undefined) {
        return {
          ...record,
          status: 'answered',
          score,
          answeredAt: at,
          answeredOn: message.channel,
          via: button !== undefined ? 'button' : 'text',
        };
      }
      return { ...record, clarified: true, unreadable: [...(record.unreadable ?? []), text.slice(0, 200)] };
    });
    if (!after || !changed) return;
    // Any reply shows the customer saw the question on this channel: no SMS after it.
    await cascade.cancel(after.cascadeId);
    if (after.status === 'answered') {
      const thanks = texts.thanks(after.score as number);
      if (thanks) await reply(message.channel, message.contactId, { type: 'text', text: thanks });
      emit('survey.answered', after);
      return;
    }
    const firstTime = !before?.clarified;
    if (firstTime && texts.clarify) {
      const content: MessageContentInput =
        message.channel === maxChannelId
          ? { type: 'interactive', body: texts.clarify, action: { type: 'buttons', buttons: scoreButtons() } }
          : { type: 'text', text: texts.clarify };
      await reply(message.channel, message.contactId, content);
    }
    emit('survey.unreadable', { record: after, text });
  }

  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => logger.error({ error: String(error) }, 'nps-survey: handling a reply failed'));
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const onReceived = ({ message }: { message: Message }) => {
    const kind = message.metadata?.inboundKind;
    // Presses come as `message.button`; Start and Stop of the bot are not answers.
    if (kind === 'message' || kind === undefined) track(onReply(message, undefined));
  };
  const onButton = ({ message, payload }: { message: Message; payload: string }) => track(onReply(message, payload));
  hub.on('message.received', onReceived);
  hub.on('message.button', onButton);

  const survey: NpsSurvey = {
    surveyId,
    cascade,

    async ask(contact, visit) {
      const key = keyOf(contact.id);
      const existing = await store.getRecord<SurveyRecord>(surveyNamespace, key);
      if (existing) return existing;
      const name = firstNameOf(contact);
      const state = await cascade.send(
        contact,
        {
          [maxChannelId]: {
            type: 'interactive',
            body: texts.question(name, visit),
            action: { type: 'buttons', buttons: scoreButtons() },
          },
          [smsChannelId]: { type: 'text', text: texts.sms(name, visit) },
        },
        { kind: 'service', idempotencyKey: `nps:${surveyId}:${contact.id}` },
      );
      const record: SurveyRecord = {
        surveyId,
        contactId: contact.id,
        visit,
        askedAt: clock.now(),
        cascadeId: state.id,
        status: 'asked',
      };
      // Kept if a concurrent ask stored one first.
      return (await store.updateRecord<SurveyRecord>(surveyNamespace, key, (current) => current ?? record)) as SurveyRecord;
    },

    get: (contactId) => store.getRecord<SurveyRecord>(surveyNamespace, keyOf(contactId)),

    async report() {
      const records = (await store.listRecords<SurveyRecord>(surveyNamespace, `${surveyId}/`))
        .map(({ value }) => value)
        .sort((a, b) => a.askedAt - b.askedAt || a.contactId.localeCompare(b.contactId));
      const rows: NpsReportRow[] = [];
      const byChannel: NpsReport['byChannel'] = {};
      const channelScores = new Map<string, number[]>();
      const line = (channelId: string) => (byChannel[channelId] ??= { asked: 0, answered: 0, nps: undefined });
      let fellBack = 0;
      for (const record of records) {
        const state: CascadeState | undefined = await cascade.get(record.cascadeId);
        const askedOn = (state?.steps ?? [])
          .filter((step) => step.messageId !== undefined && step.status !== 'failed')
          .map((step) => step.channelId);
        if (askedOn[0] === maxChannelId && askedOn.includes(smsChannelId)) fellBack++;
        for (const channelId of askedOn) line(channelId).asked++;
        if (record.score !== undefined && record.answeredOn) {
          line(record.answeredOn).answered++;
          channelScores.set(record.answeredOn, [...(channelScores.get(record.answeredOn) ?? []), record.score]);
        }
        rows.push({
          contactId: record.contactId,
          visitId: record.visit.id,
          askedOn,
          score: record.score,
          answeredOn: record.answeredOn,
          via: record.via,
        });
      }
      for (const [channelId, scores] of channelScores) line(channelId).nps = netPromoterScore(scores);
      const scores = records.flatMap((record) => (record.score === undefined ? [] : [record.score]));
      return {
        surveyId,
        asked: records.length,
        answered: scores.length,
        scores,
        nps: netPromoterScore(scores),
        promoters: scores.filter((score) => score >= 9).length,
        passives: scores.filter((score) => score === 7 || score === 8).length,
        detractors: scores.filter((score) => score <= 6).length,
        fellBack,
        byChannel,
        rows,
      };
    },

    on(event, listener) {
      listeners[event].push(listener);
      return survey;
    },

    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await cascade.drain();
    },

    close() {
      hub.off('message.received', onReceived);
      hub.off('message.button', onButton);
      if (ownCascade) cascade.close();
    },
  };
  return survey;
}
