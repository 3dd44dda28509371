import { type CascadeContent, DAY_MS } from '@omnidealer/cascade';
import type { WhatsAppTemplateDefinition } from '@omnidealer/channel-whatsapp';
import type { ContactInput } from '@omnidealer/core';

/** The WhatsApp templates the chains use (approved in the WABA; the sandbox is told about them too). */
export const chainTemplates = [
  {
    name: 'welcome',
    language: 'ru',
    category: 'utility',
    bodyParams: ['client_name'],
    body: '{{1}}, добро пожаловать в «Автосалон Север»! Здесь можно задать вопрос менеджеру в любое время.',
  },
  {
    name: 'missed_call',
    language: 'ru',
    category: 'utility',
    bodyParams: ['client_name'],
    body: '{{1}}, мы пропустили ваш звонок. Напишите сюда, чем помочь, — или мы перезвоним в течение часа.',
  },
  {
    name: 'service_promo',
    language: 'ru',
    category: 'marketing',
    bodyParams: ['client_name'],
    body: '{{1}}, только для вас: скидка 15% на ТО до конца месяца. Записаться?',
  },
] as const satisfies readonly WhatsAppTemplateDefinition[];

/** One message of a chain: when it runs (after the trigger) and what it sends — one cascade per entry of `sends`. */
export interface ChainStep {
  /** Delay after the trigger in ms. */
  afterMs: number;
  /** Cascade kind (frequency caps, consent): `transactional`, `service`, `marketing`. */
  kind: string;
  /**
   * What to send. Each entry is its own cascade, so two entries go out **at once** on both channels; one entry with
   * several channels is a cascade with fallback.
   */
  sends: (contact: ContactInput) => CascadeContent[];
}

/** A named chain of steps, started by a trigger. */
export interface ChainDefinition {
  name: string;
  steps: ChainStep[];
  /** Chains in the same group replace each other: starting one cancels the pending steps of the previous. */
  group?: string;
}

const firstName = (contact: ContactInput): string => contact.name?.split(' ')[0] ?? 'Здравствуйте';
const template = (name: (typeof chainTemplates)[number]['name'], contact: ContactInput) => ({
  type: 'template' as const,
  name,
  language: 'ru',
  params: [firstName(contact)],
});

/** Sign-up: a WhatsApp welcome and an e-mail, at once. */
export const signUpChain: ChainDefinition = {
  name: 'sign-up',
  steps: [
    {
      afterMs: 0,
      kind: 'transactional',
      sends: (contact) => [
        { whatsapp: template('welcome', contact) },
        {
          email: {
            type: 'email',
            subject: 'Добро пожаловать в «Автосалон Север»',
            text: `${firstName(contact)}, спасибо за регистрацию! Ваш менеджер ответит на любой вопрос: +7 495 120-45-67.`,
          },
        },
      ],
    },
  ],
};

/** A missed call: a WhatsApp message right away. */
export const missedCallChain: ChainDefinition = {
  name: 'missed-call',
  steps: [{ afterMs: 0, kind: 'service', sends: (contact) => [{ whatsapp: template('missed_call', contact) }] }],
};

/** The SMS after 7 quiet days. */
export const idleSmsText = (contact: ContactInput): string =>
  `${firstName(contact)}, давно не виделись! Подобрали для вас автомобили с выгодой до 300 000 ₽: +7 495 120-45-67`;

/**
 * Silence: an SMS after 7 days, a promo after 30 (WhatsApp, SMS if not read in a day). Restarted from zero whenever
 * the customer is active (signs up, writes in) — the pending steps of the previous run are cancelled.
 */
export const idleChain: ChainDefinition = {
  name: 'idle',
  group: 'idle',
  steps: [
    { afterMs: 7 * DAY_MS, kind: 'service', sends: (contact) => [{ sms: { type: 'text', text: idleSmsText(contact) } }] },
    {
      afterMs: 30 * DAY_MS,
      kind: 'marketing',
      sends: (contact) => [
        {
          whatsapp: template('service_promo', contact),
          sms: { type: 'text', text: `${firstName(contact)}, скидка 15% на ТО до конца месяца: +7 495 120-45-67` },
        },
      ],
    },
  ],
};

/** Every chain by name (a restarted process finds a job's chain here). */
export const chainDefinitions: ReadonlyMap<string, ChainDefinition> = new Map(
  [signUpChain, missedCallChain, idleChain].map((chain) => [chain.name, chain]),
);
