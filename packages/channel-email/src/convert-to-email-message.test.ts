import { ValidationError } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { convertToEmailMessage } from './convert-to-email-message.js';
import { parseEmailAddress } from './email-address.js';
import { renderEmailTemplate } from './email-template.js';

const templates = {
  reminder: { subject: 'ТО {date}', text: 'Здравствуйте, {name}! {1}', html: '<p>{name}</p>' },
  'reminder.en': { subject: 'Service {date}', text: 'Hello {name}!' },
};

describe('convertToEmailMessage', () => {
  it('keeps email content and gives text content the default subject', () => {
    expect(convertToEmailMessage({ type: 'email', subject: 'S', text: 'T', html: '<b>T</b>' }, { defaultSubject: 'D' })).toEqual({
      subject: 'S',
      text: 'T',
      html: '<b>T</b>',
      attachments: [],
    });
    expect(convertToEmailMessage({ type: 'text', text: 'T' }, { defaultSubject: 'D' })).toEqual({
      subject: 'D',
      text: 'T',
      attachments: [],
    });
  });

  it('turns media into an attachment named after the URL', () => {
    const message = convertToEmailMessage(
      { type: 'media', kind: 'image', url: 'https://cdn.dealer.ru/cars/%D0%BB%D0%B0%D0%B4%D0%B0.jpg', caption: 'Ваш автомобиль' },
      { defaultSubject: 'D' },
    );
    expect(message).toEqual({
      subject: 'D',
      text: 'Ваш автомобиль',
      attachments: [{ filename: 'лада.jpg', path: 'https://cdn.dealer.ru/cars/%D0%BB%D0%B0%D0%B4%D0%B0.jpg' }],
    });
    expect(() => convertToEmailMessage({ type: 'media', kind: 'image', mediaId: 'wa-123' }, { defaultSubject: 'D' })).toThrow(
      ValidationError,
    );
  });

  it('refuses content e-mail cannot carry', () => {
    expect(() => convertToEmailMessage({ type: 'location', latitude: 55.75, longitude: 37.61 }, { defaultSubject: 'D' })).toThrow(
      /cannot send location/,
    );
  });
});

describe('renderEmailTemplate', () => {
  it('fills named and positional parameters, prefers the language variant', () => {
    expect(
      renderEmailTemplate(templates, {
        type: 'template',
        name: 'reminder',
        language: 'ru',
        params: [
          { type: 'text', text: 'Иван', name: 'name' },
          { type: 'date_time', fallback: '3 марта', name: 'date' },
        ],
      }),
    ).toEqual({ subject: 'ТО 3 марта', text: 'Здравствуйте, Иван! Иван', html: '<p>Иван</p>' });
    expect(
      renderEmailTemplate(templates, {
        type: 'template',
        name: 'reminder',
        language: 'en',
        params: { name: 'Ivan', date: 'March 3' },
      }),
    ).toEqual({ subject: 'Service March 3', text: 'Hello Ivan!' });
  });

  it('names the missing parameter and the unknown template', () => {
    expect(() =>
      renderEmailTemplate(templates, { type: 'template', name: 'reminder', language: 'ru', params: { name: 'x' } }),
    ).toThrow(expect.objectContaining({ field: 'content.params.date' }));
    expect(() => renderEmailTemplate(templates, { type: 'template', name: 'toString', language: 'ru' })).toThrow(
      expect.objectContaining({ field: 'content.name' }),
    );
    expect(() =>
      renderEmailTemplate(templates, {
        type: 'template',
        name: 'reminder',
        language: 'ru',
        params: { name: { type: 'image', url: 'https://x.ru/a.jpg' }, date: 'd' },
      }),
    ).toThrow(expect.objectContaining({ field: 'content.params.name' }));
  });
});

describe('parseEmailAddress', () => {
  it.each([
    ['sales@dealer.ru', { address: 'sales@dealer.ru' }],
    ['Автосалон Север <sales@dealer.ru>', { name: 'Автосалон Север', address: 'sales@dealer.ru' }],
    ['"Север, сервис" <service@dealer.ru>', { name: 'Север, сервис', address: 'service@dealer.ru' }],
    [
      { name: 'Север', address: 'sales@dealer.ru' },
      { name: 'Север', address: 'sales@dealer.ru' },
    ],
  ])('parses %o', (input, expected) => {
    expect(parseEmailAddress(input, 'from')).toEqual(expected);
  });

  it.each([
    'not-an-address',
    'a@b',
    'Name <sales@dealer.ru>\r\nBcc: x@y.ru',
    'sales@dealer.ru\n',
    { name: 'A\rB', address: 'a@b.ru' },
  ])('rejects %o', (input) => {
    expect(() => parseEmailAddress(input, 'from')).toThrow(expect.toSatisfy(ValidationError.isInstance));
  });
});
