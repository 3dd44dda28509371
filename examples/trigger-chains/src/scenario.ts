import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS } from '@omnidealer/cascade';
import { type ContactInput, createManualClock } from '@omnidealer/core';
import { advance, customers, openDealerApp, settle, startWorld } from './dealer-app.js';

/** What a provider received, as the scenario reports it. */
export interface Delivery {
  /** Days and hours after the start, e.g. `d7 +0h`. */
  when: string;
  at: number;
  channel: 'whatsapp' | 'sms' | 'email';
  to: string;
  /** Template name, e-mail subject or SMS text. */
  what: string;
}

/** Day 0, 10:00 in Moscow. */
export const scenarioStart = Date.parse('2026-03-02T07:00:00Z');

const whenOf = (at: number): string => {
  const days = Math.floor((at - scenarioStart) / DAY_MS);
  return `d${days} +${Math.round((at - scenarioStart - days * DAY_MS) / HOUR_MS)}h`;
};

const contact = (id: string): ContactInput => customers.find((customer) => customer.id === id) as ContactInput;

/**
 * The field patterns over 35 simulated days: two sign-ups (WhatsApp + e-mail at once, then the idle chain), a missed
 * call (WhatsApp at once), one customer writing in on day 3 (their idle chain restarts), SMS after 7 quiet days and a
 * promo after 30. Every provider outcome is scripted (`read`/`delivered`), so the run is the same every time.
 */
export async function runScenario(log: (line: string) => void = () => undefined): Promise<Delivery[]> {
  const clock = createManualClock(scenarioStart);
  const dir = await mkdtemp(join(tmpdir(), 'omnidealer-chains-'));
  const world = await startWorld(clock, {
    whatsapp: { '+79161230001': 'read', '+79161230002': 'read', '+79161230003': 'read' },
    sms: { '+79161230001': 'delivered', '+79161230002': 'delivered' },
  });
  const app = openDealerApp(world, dir, clock);
  app.chains.on('chain.step.sent', ({ chain, step, contactId }) =>
    log(`${whenOf(clock.now())}  ${contactId}  ${chain} step ${step + 1} sent`),
  );
  app.chains.on('chain.cancelled', ({ chain, contactId, steps }) =>
    log(`${whenOf(clock.now())}  ${contactId}  ${chain}: ${steps} pending step(s) cancelled — the customer wrote in`),
  );
  try {
    await app.chains.signUp(contact('cust-1'));
    await app.chains.signUp(contact('cust-2'));
    await advance(world, [app], clock, scenarioStart + 4 * HOUR_MS);
    await app.chains.missedCall(contact('cust-3'));
    await advance(world, [app], clock, scenarioStart + 3 * DAY_MS + 2 * HOUR_MS);
    log(`${whenOf(clock.now())}  cust-2  writes in on WhatsApp`);
    await world.sandbox.whatsapp.inbound({ from: '+79161230002', text: 'Haval Jolion ещё есть в наличии?' });
    await settle(world, [app]);
    await advance(world, [app], clock, scenarioStart + 35 * DAY_MS);
    const { sandbox } = world;
    return [
      ...sandbox.whatsapp.messages().map((message) => ({
        at: message.at,
        channel: 'whatsapp' as const,
        to: message.to,
        what: message.template ?? message.type,
      })),
      ...sandbox.smsRu
        .messages()
        .map((message) => ({ at: message.at, channel: 'sms' as const, to: message.to, what: message.text })),
      ...sandbox.smtp
        .messages()
        .map((mail) => ({ at: mail.at, channel: 'email' as const, to: mail.to.join(','), what: mail.subject })),
    ]
      .sort((a, b) => a.at - b.at || a.to.localeCompare(b.to) || a.channel.localeCompare(b.channel))
      .map((delivery) => ({ when: whenOf(delivery.at), ...delivery }));
  } finally {
    await app.close();
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}
