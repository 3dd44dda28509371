import { createCascade, DAY_MS, HOUR_MS } from '@omnidealer/cascade';
import { type ContactInput, createManualClock, ValidationError } from '@omnidealer/core';
import type { RequestEvent } from '@omnidealer/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { createNpsSurvey, defaultNpsTexts, type ServiceVisit } from './nps-survey.js';
import { runScenario } from './scenario.js';
import { type SurveyApp, startSurveyApp } from './survey-app.js';

const start = Date.parse('2026-03-10T09:00:00Z'); // 12:00 in Moscow
const visit: ServiceVisit = { id: 'wo-1', at: start, service: 'ТО-2' };
const customer = (index: number, name: string): ContactInput => ({
  id: `crm-${index}`,
  name,
  phone: `+7916123000${index}`,
  timeZone: 'Europe/Moscow',
});
const ivan = customer(1, 'Иван Петров');
const maria = customer(2, 'Мария Соколова');
const oleg = customer(3, 'Олег Смирнов');

const keyboard = {
  type: 'inline_keyboard',
  payload: {
    buttons: Array.from({ length: 11 }, (_, score) => [{ type: 'callback', text: String(score), payload: `nps:${score}` }]),
  },
};

const apps: SurveyApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setUp(): Promise<SurveyApp> {
  const app = await startSurveyApp({ clock: createManualClock(start) });
  apps.push(app);
  return app;
}

const smsTo = (app: SurveyApp) =>
  app.sandbox.twilio.messages().map((message) => ({ to: message.to, at: message.at, body: message.body }));

describe('nps-survey against the sandbox', () => {
  it('asks a linked customer on MAX with a 0–10 keyboard of callback buttons, and a phone-only one by SMS', async () => {
    const app = await setUp();
    const requests: RequestEvent[] = [];
    app.sandbox.on('request', (event) => requests.push(event));
    const userId = await app.linkToMax(ivan);
    await app.survey.ask(ivan, visit);
    await app.survey.ask(oleg, visit);
    await app.survey.ask(ivan, visit); // the same survey again: nothing more is sent
    await app.settle();

    expect(
      requests.filter((request) => request.provider === 'max').map(({ method, path, status }) => [method, path, status]),
    ).toEqual([['POST', '/messages', 200]]);
    expect(app.sandbox.max.sent().map(({ userId: to, text, attachments }) => ({ to, text, attachments }))).toEqual([
      { to: userId, text: defaultNpsTexts.question('Иван', visit), attachments: [keyboard] },
    ]);
    expect(smsTo(app)).toEqual([{ to: oleg.phone, at: start, body: defaultNpsTexts.sms('Олег', visit) }]);
    expect(await app.survey.get(ivan.id)).toMatchObject({ status: 'asked', askedAt: start, visit });
  });

  it('scores a button press and a text reply in words, thanks on MAX, and never sends them the SMS', async () => {
    const app = await setUp();
    const ivanId = await app.linkToMax(ivan);
    const mariaId = await app.linkToMax(maria);
    await app.survey.ask(ivan, visit);
    await app.survey.ask(maria, visit);
    await app.settle();

    await app.advanceTo(start + HOUR_MS);
    await app.sandbox.max.press({ userId: ivanId, payload: 'nps:10' });
    await app.sandbox.max.inbound({ userId: mariaId, text: 'девять из десяти' });
    await app.settle();

    expect(await app.survey.get(ivan.id)).toMatchObject({
      status: 'answered',
      score: 10,
      answeredOn: 'max',
      via: 'button',
      answeredAt: start + HOUR_MS,
    });
    expect(await app.survey.get(maria.id)).toMatchObject({ status: 'answered', score: 9, answeredOn: 'max', via: 'text' });
    expect(
      app.sandbox.max
        .sent()
        .slice(2)
        .map(({ userId, text, attachments }) => ({ userId, text, attachments })),
    ).toEqual([
      { userId: ivanId, text: defaultNpsTexts.thanks(10), attachments: [] },
      { userId: mariaId, text: defaultNpsTexts.thanks(9), attachments: [] },
    ]);

    await app.advanceTo(start + 3 * DAY_MS);
    expect(smsTo(app)).toEqual([]);
    const state = await app.survey.cascade.get(((await app.survey.get(ivan.id)) as { cascadeId: string }).cascadeId);
    expect(state?.status).toBe('cancelled');
  });

  it('an unanswered MAX survey goes by SMS after 24 h (not before), and an SMS reply "9" is scored', async () => {
    const app = await setUp();
    await app.linkToMax(ivan);
    await app.survey.ask(ivan, visit);
    await app.settle();

    await app.advanceTo(start + DAY_MS - 60_000, 10 * 60_000);
    expect(smsTo(app)).toEqual([]);
    await app.advanceTo(start + DAY_MS);
    expect(smsTo(app)).toEqual([{ to: ivan.phone, at: start + DAY_MS, body: defaultNpsTexts.sms('Иван', visit) }]);

    await app.advanceTo(start + DAY_MS + 2 * HOUR_MS);
    await app.sandbox.twilio.inbound({ from: ivan.phone as string, body: '9' });
    await app.settle();
    expect(await app.survey.get(ivan.id)).toMatchObject({ status: 'answered', score: 9, answeredOn: 'sms', via: 'text' });
    expect(smsTo(app).map((sms) => sms.body)).toEqual([defaultNpsTexts.sms('Иван', visit), defaultNpsTexts.thanks(9)]);

    expect(await app.survey.report()).toEqual({
      surveyId: 'service-nps',
      asked: 1,
      answered: 1,
      scores: [9],
      nps: 100,
      promoters: 1,
      passives: 0,
      detractors: 0,
      fellBack: 1,
      byChannel: { max: { asked: 1, answered: 0, nps: undefined }, sms: { asked: 1, answered: 1, nps: 100 } },
      rows: [{ contactId: ivan.id, visitId: 'wo-1', askedOn: ['max', 'sms'], score: 9, answeredOn: 'sms', via: 'text' }],
    });
  });

  it('asks once more after a reply without a score; the first score counts, later replies do not', async () => {
    const app = await setUp();
    const userId = await app.linkToMax(ivan);
    await app.survey.ask(ivan, visit);
    await app.settle();
    const unreadable: string[] = [];
    app.survey.on('survey.unreadable', ({ text }) => unreadable.push(text));

    await app.sandbox.max.inbound({ userId, text: 'Спасибо, всё отлично' });
    await app.settle();
    await app.sandbox.max.inbound({ userId, text: 'от 7 до 8' });
    await app.settle();
    expect(unreadable).toEqual(['Спасибо, всё отлично', 'от 7 до 8']);
    // One clarifying question, with the keyboard again.
    expect(app.sandbox.max.sent().map(({ text, attachments }) => ({ text, attachments }))).toEqual([
      { text: defaultNpsTexts.question('Иван', visit), attachments: [keyboard] },
      { text: defaultNpsTexts.clarify, attachments: [keyboard] },
    ]);

    await app.sandbox.max.press({ userId, payload: 'nps:7' });
    await app.settle();
    await app.sandbox.max.press({ userId, payload: 'nps:10' });
    await app.sandbox.max.inbound({ userId, text: 'Приеду в 9 на следующее ТО' });
    await app.settle();
    expect(await app.survey.get(ivan.id)).toMatchObject({
      score: 7,
      via: 'button',
      unreadable: ['Спасибо, всё отлично', 'от 7 до 8'],
    });
    expect(app.sandbox.max.sent().map(({ text }) => text)).toHaveLength(3); // question, clarification, one thanks
    // The customer answered on MAX: no SMS after 24 h.
    await app.advanceTo(start + 2 * DAY_MS);
    expect(smsTo(app)).toEqual([]);
  });

  it('does not score answers that come after the 7-day answer window', async () => {
    const app = await setUp();
    await app.survey.ask(oleg, visit);
    await app.settle();
    await app.advanceTo(start + 8 * DAY_MS, 12 * HOUR_MS);
    await app.sandbox.twilio.inbound({ from: oleg.phone as string, body: '10' });
    await app.settle();
    expect(await app.survey.get(oleg.id)).toMatchObject({ status: 'asked' });
    expect(await app.survey.get(oleg.id)).not.toHaveProperty('score');
    expect(smsTo(app).map((sms) => sms.body)).toEqual([defaultNpsTexts.sms('Олег', visit)]); // no thanks
    expect(await app.survey.report()).toMatchObject({ asked: 1, answered: 0, nps: undefined });
  });

  it('refuses a cascade that leaves MAX only on failure: the SMS would never go', async () => {
    const app = await setUp();
    expect(() => createNpsSurvey({ hub: app.hub, surveyId: 'x', cascade: createCascade({ hub: app.hub }) })).toThrow(
      ValidationError,
    );
  });

  it('the example: 20 service customers, MAX and SMS, NPS 44', async () => {
    const lines: string[] = [];
    const { report } = await runScenario((line) => lines.push(line));
    expect(report).toMatchObject({
      asked: 20,
      answered: 16,
      scores: [10, 9, 9, 8, 10, 6, 9, 10, 10, 3, 9, 10, 7, 8, 9, 5],
      nps: 44,
      promoters: 10,
      passives: 3,
      detractors: 3,
      fellBack: 2,
      byChannel: { max: { asked: 12, answered: 10, nps: 50 }, sms: { asked: 10, answered: 6, nps: 33 } },
    });
    expect(report.rows.filter((row) => row.score === undefined).map((row) => row.askedOn)).toEqual([
      ['max', 'sms'],
      ['sms'],
      ['sms'],
      ['sms'],
    ]);
    expect(lines.filter((line) => line.includes('no answer on MAX in 24 h'))).toHaveLength(2);
    expect(lines.every((line) => !/\+79\d{9}/.test(line))).toBe(true);
  });
});
