import { DAY_MS, HOUR_MS } from '@omnidealer/cascade';
import { type ContactInput, createManualClock } from '@omnidealer/core';
import { seedContacts } from '@omnidealer/sandbox';
import type { NpsReport, ServiceVisit } from './nps-survey.js';
import { startSurveyApp } from './survey-app.js';

/** 10 March 2026, 12:00 in Moscow: the cars of the morning are handed back. */
export const scenarioStart = Date.parse('2026-03-10T09:00:00Z');

/** What a customer does after the question, `afterHours` after it was asked. */
export type Reply =
  | { afterHours: number; press: number }
  | { afterHours: number; max: string }
  | { afterHours: number; sms: string };

/** One service-centre customer of the scenario: on MAX (linked by deep link) or phone only, and their replies. */
export interface ScenarioCustomer {
  contact: ContactInput;
  onMax: boolean;
  visit: ServiceVisit;
  replies: Reply[];
}

const services = ['ТО-1', 'ТО-2', 'замену масла', 'шиномонтаж', 'диагностику подвески', 'замену колодок'];

/**
 * Replies of the 20 customers, in the order of the seeded service-centre contacts: the first twelve are linked to the
 * MAX bot, the other eight have only a phone. Ten answer on MAX (six by button, four in words — one only after the
 * clarifying question), two stay silent on MAX and get the SMS after 24 h (one answers it), five answer the SMS they
 * got at once, three never answer.
 */
const script: Reply[][] = [
  [{ afterHours: 1, press: 10 }],
  [{ afterHours: 1, press: 9 }],
  [{ afterHours: 2, max: 'девять из десяти' }],
  [{ afterHours: 2, press: 8 }],
  [{ afterHours: 3, max: '10!' }],
  [{ afterHours: 3, press: 6 }],
  [
    { afterHours: 4, max: 'Спасибо, всё отлично' },
    { afterHours: 5, max: 'Ставлю девять' },
  ],
  [{ afterHours: 5, press: 10 }],
  [
    { afterHours: 6, max: 'Твёрдая десятка' },
    // Later messages are conversation, not a new score.
    { afterHours: 8, max: 'Приеду в 9 на следующее ТО' },
  ],
  [{ afterHours: 7, press: 3 }],
  [], // silent on MAX: SMS after 24 h, no answer
  [{ afterHours: 27, sms: '9' }], // silent on MAX: answers the SMS
  [{ afterHours: 1, sms: '10' }],
  [{ afterHours: 2, sms: 'на 7 из 10' }],
  [{ afterHours: 3, sms: 'Восемь' }],
  [{ afterHours: 5, sms: '9/10' }],
  [{ afterHours: 20, sms: '5' }],
  [],
  [],
  [],
];

/** The 20 customers: seeded contacts of the service centre (segment tag `service`) who can get an SMS. */
export function scenarioCustomers(): ScenarioCustomer[] {
  const contacts = seedContacts({ count: 400, seed: 2026 })
    .filter((contact) => contact.tags?.[0] === 'service' && contact.consent?.sms !== 'opted_out')
    .slice(0, script.length);
  return contacts.map((contact, index) => ({
    contact,
    onMax: index < 12,
    visit: { id: `wo-${1101 + index}`, at: scenarioStart, service: services[index % services.length] as string },
    replies: script[index] ?? [],
  }));
}

/** A line of what happened, for the console. */
export type ScenarioLog = (line: string) => void;

const hoursOf = (at: number) => `+${Math.round((at - scenarioStart) / HOUR_MS)}h`.padStart(4);

/**
 * The survey over two simulated days on a manual clock: links twelve customers to MAX, asks all twenty at noon, plays
 * their replies through the sandbox (button presses and texts on MAX, SMS replies through Twilio's incoming webhook)
 * and lets the 24 h fallback fire. Deterministic.
 */
export async function runScenario(
  log: ScenarioLog = () => undefined,
): Promise<{ report: NpsReport; customers: ScenarioCustomer[] }> {
  const clock = createManualClock(scenarioStart - HOUR_MS);
  const app = await startSurveyApp({ clock });
  const customers = scenarioCustomers();
  const names = new Map(customers.map((customer) => [customer.contact.id, customer.contact.name ?? customer.contact.id]));
  const channelName = (channelId: string) => (channelId === 'max' ? 'MAX' : 'SMS');
  try {
    const maxUsers = new Map<string, number>();
    for (const customer of customers.filter((candidate) => candidate.onMax)) {
      maxUsers.set(customer.contact.id, await app.linkToMax(customer.contact));
    }
    log(
      `${maxUsers.size} customers pressed Start in MAX through their invite link; ${customers.length - maxUsers.size} have only a phone`,
    );
    await app.advanceTo(scenarioStart);

    app.survey.cascade.on('cascade.step.started', ({ contactId, channelId, step }) => {
      if (step > 0)
        log(`${hoursOf(clock.now())}  ${names.get(contactId)}: no answer on MAX in 24 h → asked by ${channelName(channelId)}`);
    });
    app.survey.on('survey.answered', (record) =>
      log(
        `${hoursOf(clock.now())}  ${names.get(record.contactId)}: ${record.score} (${channelName(record.answeredOn ?? '')}, ${record.via})`,
      ),
    );
    app.survey.on('survey.unreadable', ({ record, text }) =>
      log(`${hoursOf(clock.now())}  ${names.get(record.contactId)}: "${text}" — no score, asked to answer with a number`),
    );
    for (const customer of customers) await app.survey.ask(customer.contact, customer.visit);
    await app.settle();
    log(
      `${hoursOf(clock.now())}  asked ${customers.length}: ${app.sandbox.max.sent().length} on MAX with buttons, ${app.sandbox.twilio.messages().length} by SMS`,
    );

    const replies = customers
      .flatMap((customer) =>
        customer.replies.map((reply) => ({ customer, reply, at: scenarioStart + reply.afterHours * HOUR_MS })),
      )
      .sort((a, b) => a.at - b.at);
    for (const { customer, reply, at } of replies) {
      await app.advanceTo(at);
      const userId = maxUsers.get(customer.contact.id) as number;
      if ('press' in reply) await app.sandbox.max.press({ userId, payload: `nps:${reply.press}` });
      else if ('max' in reply) await app.sandbox.max.inbound({ userId, text: reply.max });
      else await app.sandbox.twilio.inbound({ from: customer.contact.phone as string, body: reply.sms });
      await app.settle();
    }
    await app.advanceTo(scenarioStart + 2 * DAY_MS);
    return { report: await app.survey.report(), customers };
  } finally {
    await app.close();
  }
}
