import type { MessageContentInput } from '@omnidealer/core';

/** A 300-character Cyrillic service text: 5 UCS-2 SMS segments. */
export const longText = `Иван, здравствуйте! ${'Напоминаем о плановом ТО вашего автомобиля. '.repeat(7)}`.slice(0, 300);
/** A 60-character Cyrillic text: 1 SMS segment. */
export const shortText = 'Иван, ваш автомобиль готов. Ждём вас в сервисе до 20:00!!!!'.slice(0, 60);

export const template: MessageContentInput = {
  type: 'template',
  name: 'service_reminder',
  language: 'ru',
  params: ['Иван'],
  fallbackText: longText,
};

/** Per-channel content: a WhatsApp template, an SMS text and an e-mail. */
export function perChannel(text: string = longText): Record<string, MessageContentInput> {
  return {
    whatsapp: { ...template, fallbackText: text } as MessageContentInput,
    sms: { type: 'text', text },
    email: { type: 'email', subject: 'Плановое ТО', text },
    avito: { type: 'text', text },
  };
}
