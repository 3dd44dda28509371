import { createMaxChannel } from '@omnidealer/channel-max';
import { createSmsChannel, createTwilioGateway } from '@omnidealer/channel-sms';
import {
  type ContactInput,
  createOmnidealer,
  type ManualClock,
  type Omnidealer,
  startWebhookServer,
  type WebhookServer,
} from '@omnidealer/core';
import { type Sandbox, type SmsOutcome, startSandbox } from '@omnidealer/sandbox';
import { createNpsSurvey, type NpsSurvey, type NpsSurveyOptions } from './nps-survey.js';

/** The dealership's MAX bot, as in `https://max.ru/sever_service_bot`. */
export const botName = 'sever_service_bot';

/**
 * Everything one run needs: the sandbox providers (MAX, Twilio for two-way SMS) on loopback with manual timers, the
 * dealership's webhook endpoint, the hub with the MAX and SMS channels, and the survey.
 */
export interface SurveyApp {
  sandbox: Sandbox;
  server: WebhookServer;
  hub: Omnidealer;
  survey: NpsSurvey;
  clock: ManualClock;
  /**
   * Links a CRM contact to the MAX bot the way a customer does it: the hub makes an invite link (sent by SMS or shown
   * as a QR code at the service desk) and the customer presses Start in MAX. Resolves with their MAX user id.
   */
  linkToMax(contact: ContactInput): Promise<number>;
  /** Runs everything due now: sandbox webhooks, replies, cascade deadlines (what the pollers do live). */
  settle(): Promise<void>;
  /** Moves the clock to `until` in `stepMs` steps, settling at each. */
  advanceTo(until: number, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startSurveyApp}. */
export interface SurveyAppOptions {
  clock: ManualClock;
  /** @default 'service-nps' */
  surveyId?: string;
  /** Scripted SMS outcomes by phone (the rest delivered). */
  smsOutcomes?: Record<string, SmsOutcome>;
  /** @default 42 */
  seed?: number;
  survey?: Partial<Omit<NpsSurveyOptions, 'hub' | 'surveyId'>>;
}

/** Starts the sandbox, the webhook endpoint, the hub (MAX + SMS through Twilio) and the survey. */
export async function startSurveyApp(options: SurveyAppOptions): Promise<SurveyApp> {
  const { clock } = options;
  const server = await startWebhookServer();
  const smsWebhookUrl = `${server.url}/hooks/sms`;
  const sandbox = await startSandbox({
    seed: options.seed ?? 42,
    clock,
    timers: 'manual',
    credentials: { max: { botName } },
    webhookTargets: { max: `${server.url}/hooks/max`, twilio: smsWebhookUrl },
    behaviour: { twilio: { delivered: 1, outcomes: options.smsOutcomes ?? {} } },
  });
  const { max, twilio } = sandbox.credentials;
  const hub = createOmnidealer({
    channels: [
      createMaxChannel({ baseURL: sandbox.urls.max, token: max.token, webhookSecret: max.webhookSecret, botName }),
      // Twilio carries the SMS both ways: the survey reads the customers' SMS replies from its incoming webhook.
      createSmsChannel({
        gateway: createTwilioGateway({ baseURL: sandbox.urls.twilio, ...twilio, webhookUrl: smsWebhookUrl }),
        clock,
      }),
    ],
    clock,
  });
  server.attach(hub);
  const survey = createNpsSurvey({ hub, clock, surveyId: options.surveyId ?? 'service-nps', ...options.survey });

  const settle = async () => {
    for (let round = 0; round < 3; round++) {
      await sandbox.flush();
      await survey.drain();
      await survey.cascade.runDueSteps();
      await survey.drain();
    }
  };

  return {
    sandbox,
    server,
    hub,
    survey,
    clock,
    async linkToMax(contact) {
      await hub.upsertContact(contact);
      const invite = await hub.inviteLink(contact.id, 'max');
      const [firstName, lastName] = (contact.name ?? '').split(' ');
      const { userId } = await sandbox.max.start({ payload: invite.payload, firstName, lastName });
      await settle();
      return userId;
    },
    settle,
    async advanceTo(until, stepMs = 3_600_000) {
      while (clock.now() < until) {
        clock.set(Math.min(until, clock.now() + stepMs));
        await settle();
      }
    },
    async close() {
      survey.close();
      await hub.shutdown();
      await server.close();
      await sandbox.stop();
    },
  };
}
