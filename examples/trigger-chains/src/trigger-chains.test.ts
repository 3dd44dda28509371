import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS } from '@omnidealer/cascade';
import { type ContactInput, createManualClock } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { idleSmsText } from './chains.js';
import { advance, customers, type DealerApp, openDealerApp, settle, startWorld, type World } from './dealer-app.js';
import { runScenario, scenarioStart } from './scenario.js';

const ivan = customers[0] as ContactInput;
const maria = customers[1] as ContactInput;
const at = (days: number, hours = 0) => scenarioStart + days * DAY_MS + hours * HOUR_MS;

describe('trigger-chains: the scenario', () => {
  it('sends exactly the chain messages at exactly their times', async () => {
    const deliveries = await runScenario();
    expect(deliveries.map(({ at: time, channel, to, what }) => [time, channel, to, what])).toEqual([
      [at(0), 'whatsapp', '79161230001', 'welcome'],
      [at(0), 'whatsapp', '79161230002', 'welcome'],
      [at(0), 'email', 'ivan@example.ru', 'Добро пожаловать в «Автосалон Север»'],
      [at(0), 'email', 'maria@example.ru', 'Добро пожаловать в «Автосалон Север»'],
      [at(0, 4), 'whatsapp', '79161230003', 'missed_call'],
      // Ivan stayed silent: the SMS on day 7, the promo on day 30.
      [at(7), 'sms', '79161230001', idleSmsText(ivan)],
      // Maria wrote in on day 3 at +2h: her day-7 SMS was cancelled and the idle chain restarted from then.
      [at(10, 2), 'sms', '79161230002', idleSmsText(maria)],
      [at(30), 'whatsapp', '79161230001', 'service_promo'],
      [at(33, 2), 'whatsapp', '79161230002', 'service_promo'],
    ]);
  });
});

describe('trigger-chains: durability and cancellation', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  async function setUp() {
    const clock = createManualClock(scenarioStart);
    const dir = await mkdtemp(join(tmpdir(), 'omnidealer-chains-test-'));
    const world = await startWorld(clock, {
      whatsapp: { '+79161230001': 'read', '+79161230002': 'read' },
      sms: { '+79161230001': 'delivered', '+79161230002': 'delivered' },
    });
    const apps: DealerApp[] = [];
    cleanup.push(async () => {
      for (const app of apps) await app.close().catch(() => undefined);
      await world.close();
      await rm(dir, { recursive: true, force: true });
    });
    const open = () => {
      const app = openDealerApp(world, dir, clock);
      apps.push(app);
      return app;
    };
    return { clock, world, open };
  }

  const sent = (world: World) =>
    [
      ...world.sandbox.whatsapp.messages().map((message) => `${message.at} whatsapp ${message.to} ${message.template}`),
      ...world.sandbox.smsRu.messages().map((message) => `${message.at} sms ${message.to}`),
      ...world.sandbox.smtp.messages().map((mail) => `${mail.at} email ${mail.to.join(',')}`),
    ].sort(); // by time (epoch ms of equal length), then channel

  it('a restarted process resumes the pending chain steps exactly once', async () => {
    const { clock, world, open } = await setUp();
    const first = open();
    await first.chains.signUp(ivan);
    await advance(world, [first], clock, at(3));
    await first.close(); // the process stops; the two idle steps wait in chains.db

    const second = open(); // new hub, cascade, chain runner and stores over the same files
    await advance(world, [second], clock, at(35));
    expect(sent(world)).toEqual([
      `${at(0)} email ivan@example.ru`,
      `${at(0)} whatsapp 79161230001 welcome`,
      `${at(7)} sms 79161230001`,
      `${at(30)} whatsapp 79161230001 service_promo`,
    ]);
  });

  it('two processes over the same files run each step once; a step claimed by a dead process runs after its lease', async () => {
    const { clock, world, open } = await setUp();
    const first = open();
    const second = open();
    await first.chains.signUp(maria);
    await advance(world, [first, second], clock, at(7) - HOUR_MS);
    // A third process claims the day-7 step and dies before sending: nobody may run it until its 60 s lease expires.
    const dead = open();
    clock.set(at(7));
    expect((await dead.jobs.claimDueJobs(clock.now(), 10, 60_000)).length).toBe(1);
    await dead.close();
    world.server.attach(second.hub); // the load balancer sends webhooks to a live process again
    await settle(world, [first, second]);
    expect(world.sandbox.smsRu.messages()).toHaveLength(0);
    await advance(world, [first, second], clock, at(35));
    expect(sent(world)).toEqual([
      `${at(0)} email maria@example.ru`,
      `${at(0)} whatsapp 79161230002 welcome`,
      `${at(7, 1)} sms 79161230002`,
      `${at(30)} whatsapp 79161230002 service_promo`,
    ]);
  });

  it('a step sent by a process that died before marking it done is not sent again by the next one', async () => {
    const { clock, world, open } = await setUp();
    const dying = open();
    await dying.chains.signUp(ivan);
    await advance(world, [dying], clock, at(7) - HOUR_MS);
    // The process crashes right after the day-7 SMS went out, before `completeJob`: the step stays leased.
    dying.chains.on('chain.step.sent', () => {
      throw new Error('process killed');
    });
    clock.set(at(7));
    expect(await dying.chains.runDue()).toBe(0);
    expect(world.sandbox.smsRu.messages()).toHaveLength(1);
    await dying.close();

    const next = open();
    const rerun: number[] = [];
    next.chains.on('chain.step.sent', ({ step }) => rerun.push(step));
    await advance(world, [next], clock, at(35));
    // The lease expired and the step ran again, but the cascade's idempotency key returned the first send.
    expect(rerun).toEqual([0, 1]);
    expect(sent(world)).toEqual([
      `${at(0)} email ivan@example.ru`,
      `${at(0)} whatsapp 79161230001 welcome`,
      `${at(7)} sms 79161230001`,
      `${at(30)} whatsapp 79161230001 service_promo`,
    ]);
  });

  it('writing in cancels the pending idle steps; an explicit cancel stops the chain', async () => {
    const { clock, world, open } = await setUp();
    const app = open();
    const cancelled: string[] = [];
    app.chains.on('chain.cancelled', ({ contactId, steps }) => cancelled.push(`${clock.now()} ${contactId} ${steps}`));
    await app.chains.signUp(ivan);
    await app.chains.signUp(maria);
    await advance(world, [app], clock, at(5));
    await world.sandbox.whatsapp.inbound({ from: '+79161230001', text: 'Перезвоните, пожалуйста' });
    await settle(world, [app]);
    expect(cancelled).toEqual([`${at(5)} cust-1 2`]);
    expect(await app.chains.cancel('idle', 'cust-2')).toBe(2);
    await advance(world, [app], clock, at(40));
    expect(world.sandbox.smsRu.messages().map((message) => `${message.at} ${message.to}`)).toEqual([`${at(12)} 79161230001`]);
    expect(
      world.sandbox.whatsapp
        .messages()
        .filter((message) => message.template === 'service_promo')
        .map((message) => `${message.at} ${message.to}`),
    ).toEqual([`${at(35)} 79161230001`]);
  });
});
