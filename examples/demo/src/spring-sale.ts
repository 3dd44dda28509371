import { type CascadeContent, type CascadePolicy, DAY_MS } from '@omnidealer/cascade';
import type { WhatsAppTemplateDefinition } from '@omnidealer/channel-whatsapp';
import type { ContactInput } from '@omnidealer/core';
import type { DemoOptions } from './demo-options.js';

/** The campaign's id: a contact never gets the same mailing twice. */
export const springSaleMailingId = 'spring-sale-2026';
/** The same offer mailed to the same base a month later (the demo's second mailing). */
export const springSaleFollowUpId = 'spring-sale-2026-april';

/** The WhatsApp template the campaign sends (a marketing template with two body parameters). */
export const springSaleTemplate = {
  name: 'spring_sale',
  language: 'ru',
  category: 'marketing' as const,
  bodyParams: ['client_name', 'model'],
  body: '{{1}}, весенняя распродажа в «Автосалон Север»: скидки до 15% на {{2}} до 31 марта. Записаться на тест-драйв?',
} satisfies WhatsAppTemplateDefinition;

const models: Record<string, string> = {
  haval: 'Haval Jolion',
  chery: 'Chery Tiggo 7 Pro',
  geely: 'Geely Coolray',
  kia: 'Kia Rio',
  hyundai: 'Hyundai Creta',
  lada: 'Lada Vesta',
  toyota: 'Toyota Camry',
  exeed: 'Exeed LX',
};

/** The car model a contact is interested in (from its `interest:<make>` tag). */
export function modelOf(contact: ContactInput): string {
  const tag = contact.tags?.find((candidate) => candidate.startsWith('interest:'));
  return models[tag?.slice('interest:'.length) ?? ''] ?? 'автомобили в наличии';
}

/** First name of a contact, or a polite fallback. */
export function firstNameOf(contact: ContactInput): string {
  return contact.name?.split(' ')[0] ?? 'Здравствуйте';
}

/**
 * The SMS text: a typical Cyrillic dealer mailing that does not fit one SMS (UCS-2, 67 characters per part), so it
 * costs 4–5 segments depending on the name and model — priced exactly per contact.
 */
export function springSaleSms(contact: ContactInput): string {
  return (
    `${firstNameOf(contact)}, весенняя распродажа в «Автосалон Север»! До 31 марта скидки до 15% на ${modelOf(contact)}, ` +
    'трейд-ин с доплатой до 200 000 ₽ и кредит от 4,9%. Тест-драйв: +7 495 120-45-67 или ответьте на это сообщение. ' +
    'Отписаться: STOP'
  );
}

/** Per-channel content of one contact: an e-mail, a MAX message with a test-drive button, the WhatsApp template, the SMS text. */
export function springSaleContent(contact: ContactInput): CascadeContent {
  const first = firstNameOf(contact);
  const model = modelOf(contact);
  return {
    email: {
      type: 'email',
      subject: 'Весенняя распродажа: скидки до 15% до 31 марта',
      text: `${first}, до 31 марта в «Автосалон Север» скидки до 15% на ${model}, трейд-ин с доплатой до 200 000 ₽ и кредит от 4,9%.\nЗапишитесь на тест-драйв: +7 495 120-45-67.`,
    },
    max: {
      type: 'interactive',
      body: `${first}, весенняя распродажа в «Автосалон Север»: до 31 марта скидки до 15% на ${model}, трейд-ин с доплатой до 200 000 ₽ и кредит от 4,9%.`,
      action: { type: 'buttons', buttons: [{ id: 'spring-sale:test-drive', title: 'Записаться на тест-драйв' }] },
    },
    whatsapp: { type: 'template', name: springSaleTemplate.name, language: springSaleTemplate.language, params: [first, model] },
    sms: { type: 'text', text: springSaleSms(contact) },
  };
}

/** Monday 2 March 2026, 11:00 in Moscow: office hours in every seeded time zone, no quiet-hours deferral. */
export const campaignStart = Date.parse('2026-03-02T08:00:00Z');

/** The cascade rules: e-mail first where known, then the WhatsApp template, then SMS. */
export const springSalePolicy = (whatsAppFallback: DemoOptions['whatsAppFallback'] = 'not_delivered'): CascadePolicy => ({
  preference: ['email', 'max', 'whatsapp', 'sms'],
  ordering: 'preference',
  fallback: {
    // E-mail counts as a success unless it bounces within 24 h.
    email: { after: 'failed', withinMs: DAY_MS },
    // MAX (free, for contacts who started the dealer's bot) reports no delivery: only a failure (blocked bot) falls back.
    max: { after: 'failed', withinMs: DAY_MS },
    // WhatsApp: SMS when the template fails, or is not read (or not delivered) within 24 h.
    whatsapp: { after: whatsAppFallback, withinMs: DAY_MS },
    sms: { after: 'not_delivered', withinMs: DAY_MS },
  },
  maxSteps: 3,
  // Every SMS the cascade sends anyway carries a link to the dealer's MAX bot when the extra segment pays for itself:
  // a customer who presses Start gets the next mailings there, for free.
  acquisition: { channel: 'max', prefix: 'Пишите нам в MAX: ' },
});
