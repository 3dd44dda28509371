import { describe, expect, it } from 'vitest';
import { parseInput } from '../validation.js';
import { contactSchema } from './contact.js';
import { messageContentSchema } from './message-content.js';

describe('contact and content validation', () => {
  it('normalises Russian numbers to E.164 and rejects invalid ones naming the field', () => {
    expect(parseInput(contactSchema, { id: 'c1', phone: '8 (916) 123-45-67' }, 'contact').phone).toBe('+79161234567');
    expect(parseInput(contactSchema, { id: 'c1', phone: '+7 916 1234567' }, 'contact').phone).toBe('+79161234567');
    expect(() => parseInput(contactSchema, { id: 'c1', phone: '+7 123' }, 'contact')).toThrow(/contact\.phone/);
    expect(() => parseInput(contactSchema, { id: 'c1', email: 'not-an-email' }, 'contact')).toThrow(/contact\.email/);
    expect(() => parseInput(contactSchema, { id: 'c1', timeZone: 'Mars/Olympus' }, 'contact')).toThrow(/contact\.timeZone/);
    expect(() => parseInput(contactSchema, { id: 'c1', unknown: 1 }, 'contact')).toThrow(/contact/);
  });

  it('accepts a valid time zone every time it is checked and an invalid one never, remembered or not', () => {
    for (let round = 0; round < 3; round++) {
      expect(parseInput(contactSchema, { id: 'c1', timeZone: 'Asia/Yekaterinburg' }, 'contact').timeZone).toBe(
        'Asia/Yekaterinburg',
      );
      expect(() => parseInput(contactSchema, { id: 'c1', timeZone: 'Europe/Atlantis' }, 'contact')).toThrow(/contact\.timeZone/);
    }
  });

  it('accepts each content type and rejects malformed content with the field path', () => {
    const valid = [
      { type: 'text', text: 'Здравствуйте' },
      {
        type: 'template',
        name: 'booking_reminder',
        language: 'ru',
        params: ['Иван', { type: 'text', text: 'Haval F7', name: 'model' }],
      },
      { type: 'media', kind: 'image', url: 'https://cdn.example.ru/car.jpg', caption: 'Haval F7' },
      {
        type: 'interactive',
        body: 'Выберите',
        action: { type: 'buttons', buttons: [{ id: 'call_operator', title: 'Оператор' }] },
      },
      { type: 'location', latitude: 55.75, longitude: 37.61, name: 'Автосалон' },
      { type: 'reaction', messageId: 'wamid.1', emoji: '👍' },
      { type: 'email', subject: 'Запись', text: 'Ждём вас' },
    ];
    for (const content of valid) expect(() => parseInput(messageContentSchema, content, 'content')).not.toThrow();
    expect(() => parseInput(messageContentSchema, { type: 'media', kind: 'image' }, 'content')).toThrow(/content\.url/);
    expect(() => parseInput(messageContentSchema, { type: 'media', kind: 'image', url: 'ftp://x/y.jpg' }, 'content')).toThrow(
      /content\.url/,
    );
    expect(() => parseInput(messageContentSchema, { type: 'location', latitude: 91, longitude: 0 }, 'content')).toThrow(
      /content\.latitude/,
    );
    expect(() =>
      parseInput(messageContentSchema, { type: 'interactive', body: 'x', action: { type: 'buttons', buttons: [] } }, 'content'),
    ).toThrow(/content\.action\.buttons/);
  });
});
