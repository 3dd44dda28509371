import type { MessageContent } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { convertToVkMessage, vkUploadOf } from './convert-to-vk-message.js';
import { vkDeepLink } from './vk-deep-link.js';

describe('convertToVkMessage', () => {
  it('maps content to messages.send parameters', () => {
    expect(convertToVkMessage({ type: 'text', text: 'Привет' }, { replyTo: '3774' })).toEqual({
      message: 'Привет',
      reply_to: 3774,
    });
    expect(convertToVkMessage({ type: 'template', name: 'x', language: 'ru', fallbackText: 'Запись подтверждена' })).toEqual({
      message: 'Запись подтверждена',
    });
    expect(
      convertToVkMessage({ type: 'media', kind: 'image', mediaId: 'photo-229010001_457239017', caption: 'Солярис' }),
    ).toEqual({
      attachment: 'photo-229010001_457239017',
      message: 'Солярис',
    });
    expect(convertToVkMessage({ type: 'location', latitude: 55.75, longitude: 37.61, name: 'Автосалон' })).toEqual({
      lat: 55.75,
      long: 37.61,
      message: 'Автосалон',
    });
  });

  it('packs more than 6 buttons two per row and refuses more than 10, long labels and long payloads', () => {
    const rows = Array.from({ length: 8 }, (_, index) => ({ id: `slot:${index}`, title: `${10 + index}:00` }));
    const list = (sectionRows: typeof rows): MessageContent => ({
      type: 'interactive',
      body: 'Время?',
      action: { type: 'list', button: 'Выбрать', sections: [{ rows: sectionRows }] },
    });
    const keyboard = JSON.parse(convertToVkMessage(list(rows)).keyboard ?? '{}') as { buttons: unknown[][] };
    expect(keyboard.buttons.map((row) => row.length)).toEqual([2, 2, 2, 2]);
    expect(() => convertToVkMessage(list([...rows, ...rows]))).toThrow(/at most 10 buttons/);
    const button = (id: string, title: string): MessageContent => ({
      type: 'interactive',
      body: 'x',
      action: { type: 'buttons', buttons: [{ id, title }] },
    });
    expect(() => convertToVkMessage(button('a', 'я'.repeat(41)))).toThrow(
      expect.objectContaining({ field: 'content.action.buttons.0.title' }),
    );
    expect(() => convertToVkMessage(button('a'.repeat(250), 'Да'))).toThrow(
      expect.objectContaining({ field: 'content.action.buttons.0.id' }),
    );
  });

  it('leaves media by URL to the upload: a photo for images, a document for the other kinds', () => {
    const image = { type: 'media', kind: 'image', url: 'https://cdn.example/a.jpg', caption: 'Солярис' } as const;
    expect(convertToVkMessage(image)).toEqual({ message: 'Солярис' });
    expect(vkUploadOf(image)).toEqual({ type: 'photo', url: 'https://cdn.example/a.jpg' });
    const audio = {
      type: 'media',
      kind: 'audio',
      url: 'https://cdn.example/a.ogg',
      filename: 'a.ogg',
      mimeType: 'audio/ogg',
    } as const;
    expect(vkUploadOf(audio)).toEqual({
      type: 'doc',
      url: 'https://cdn.example/a.ogg',
      filename: 'a.ogg',
      mimeType: 'audio/ogg',
    });
    expect(vkUploadOf({ type: 'media', kind: 'video', url: 'https://cdn.example/v.mp4' })).toMatchObject({ type: 'doc' });
    expect(vkUploadOf({ type: 'media', kind: 'image', mediaId: 'photo-229010001_457239017' })).toBeUndefined();
    expect(vkUploadOf({ type: 'text', text: 'x' })).toBeUndefined();
  });

  it('refuses a malformed mediaId, stickers, reactions and templates without fallbackText', () => {
    expect(() => convertToVkMessage({ type: 'media', kind: 'image', mediaId: '12345' })).toThrow(
      expect.objectContaining({ field: 'content.mediaId' }),
    );
    expect(() => convertToVkMessage({ type: 'reaction', messageId: 'm', emoji: '👍' })).toThrow(/reactions/);
    expect(() => convertToVkMessage({ type: 'template', name: 'x', language: 'ru' })).toThrow(/fallbackText/);
  });
});

describe('vkDeepLink', () => {
  it('builds vk.me links with ref, by short name or community id', () => {
    expect(vkDeepLink('dealer_club', 'c_8f3k2m')).toBe('https://vk.me/dealer_club?ref=c_8f3k2m');
    expect(vkDeepLink(229010001)).toBe('https://vk.me/club229010001');
    expect(vkDeepLink('229010001', 'x')).toBe('https://vk.me/club229010001?ref=x');
    expect(() => vkDeepLink('dealer_club', 'has space')).toThrow(/payload/);
    expect(() => vkDeepLink('dealer_club', 'a'.repeat(129))).toThrow(/payload/);
    expect(() => vkDeepLink('bad name')).toThrow(/community/);
  });
});
