import { describe, expect, it } from 'vitest';
import { convertToMaxMessage } from './convert-to-max-message.js';
import { maxDeepLink } from './max-deep-link.js';

describe('convertToMaxMessage', () => {
  it('maps text, templates, e-mail, images, locations and list menus', () => {
    expect(convertToMaxMessage({ type: 'text', text: 'Привет' }, { replyTo: 'mid.1', format: 'html' }).body).toEqual({
      text: 'Привет',
      format: 'html',
      link: { type: 'reply', mid: 'mid.1' },
    });
    expect(
      convertToMaxMessage({ type: 'template', name: 'visit', language: 'ru', fallbackText: 'Ждём вас в 11:00' }).body,
    ).toEqual({ text: 'Ждём вас в 11:00' });
    expect(convertToMaxMessage({ type: 'email', subject: 'Акция', text: 'Скидка 10%' }).body).toEqual({ text: 'Скидка 10%' });
    expect(convertToMaxMessage({ type: 'media', kind: 'image', url: 'https://cdn.example/a.jpg', caption: 'Салон' })).toEqual({
      body: { text: 'Салон', attachments: [{ type: 'image', payload: { url: 'https://cdn.example/a.jpg' } }] },
    });
    expect(convertToMaxMessage({ type: 'media', kind: 'video', mediaId: 'vid-token' }).body).toEqual({
      attachments: [{ type: 'video', payload: { token: 'vid-token' } }],
    });
    expect(convertToMaxMessage({ type: 'media', kind: 'audio', url: 'https://cdn.example/a.ogg' }).upload).toEqual({
      type: 'audio',
      url: 'https://cdn.example/a.ogg',
      filename: undefined,
      mimeType: undefined,
    });
    expect(convertToMaxMessage({ type: 'location', latitude: 55.75, longitude: 37.61, name: 'Автосалон' }).body).toEqual({
      text: 'Автосалон',
      attachments: [{ type: 'location', latitude: 55.75, longitude: 37.61 }],
    });
    const list = convertToMaxMessage({
      type: 'interactive',
      header: 'Сервис',
      body: 'Выберите время',
      action: {
        type: 'list',
        button: 'Время',
        sections: [
          {
            rows: [
              { id: 'slot:10', title: '10:00' },
              { id: 'slot:12', title: '12:00' },
            ],
          },
        ],
      },
    }).body;
    expect(list.text).toBe('Сервис\n\nВыберите время');
    expect(list.attachments?.[0]).toEqual({
      type: 'inline_keyboard',
      payload: {
        buttons: [
          [{ type: 'callback', text: '10:00', payload: 'slot:10' }],
          [{ type: 'callback', text: '12:00', payload: 'slot:12' }],
        ],
      },
    });
  });

  it('enforces MAX limits with named fields', () => {
    expect(() => convertToMaxMessage({ type: 'text', text: 'x'.repeat(4001) })).toThrow(/4000/);
    expect(() =>
      convertToMaxMessage({ type: 'media', kind: 'image', url: 'https://a.example/x.jpg', caption: 'x'.repeat(4001) }),
    ).toThrow(expect.objectContaining({ field: 'content.caption' }));
    expect(() => convertToMaxMessage({ type: 'template', name: 't', language: 'ru' })).toThrow(/fallbackText/);
    const button = (id: string, title = 'Да') => ({
      type: 'interactive' as const,
      body: 'Выберите',
      action: { type: 'buttons' as const, buttons: [{ id, title }] },
    });
    expect(() => convertToMaxMessage(button('x'.repeat(1024)))).not.toThrow();
    expect(() => convertToMaxMessage(button('x'.repeat(1025)))).toThrow(
      expect.objectContaining({ field: 'content.action.buttons.0.id' }),
    );
    expect(() => convertToMaxMessage(button('ok', 'т'.repeat(129)))).toThrow(
      expect.objectContaining({ field: 'content.action.buttons.0.title' }),
    );
    const rows = Array.from({ length: 31 }, (_, index) => ({ id: `r${index}`, title: `Ряд ${index}` }));
    expect(() =>
      convertToMaxMessage({ type: 'interactive', body: 'x', action: { type: 'list', button: 'b', sections: [{ rows }] } }),
    ).toThrow(/30 rows/);
    expect(() => convertToMaxMessage({ type: 'media', kind: 'sticker', mediaId: 's' })).toThrow(/sticker/);
    expect(() => convertToMaxMessage({ type: 'reaction', messageId: 'm', emoji: '👍' })).toThrow(/reactions/);
  });
});

describe('maxDeepLink', () => {
  it('builds https://max.ru/<bot>?start=<payload> within MAX’s 128-character limit', () => {
    expect(maxDeepLink('@dealer_bot', 'c_8f3k2m')).toBe('https://max.ru/dealer_bot?start=c_8f3k2m');
    expect(maxDeepLink('dealer_bot')).toBe('https://max.ru/dealer_bot');
    expect(maxDeepLink('dealer_bot', 'a'.repeat(128))).toHaveLength('https://max.ru/dealer_bot?start='.length + 128);
    expect(() => maxDeepLink('dealer_bot', 'a'.repeat(129))).toThrow(expect.objectContaining({ field: 'payload' }));
    expect(() => maxDeepLink('dealer_bot', '')).toThrow(/empty/);
    expect(() => maxDeepLink('dealer_bot', 'a b&c=d')).toThrow(/base64url/);
    expect(() => maxDeepLink('1bot/../x', 'ok')).toThrow(expect.objectContaining({ field: 'botName' }));
  });
});
