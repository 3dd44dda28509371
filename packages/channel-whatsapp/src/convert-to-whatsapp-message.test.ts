import { type MessageContentInput, messageContentSchema, ValidationError } from '@omnidealer/core';
import { type OutboundMessage, parseInput } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { accessToken, apiVersion, appSecret, messagesRoute, phoneNumberId, verifyToken } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import { convertToWhatsAppMessage } from './convert-to-whatsapp-message.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';

const api = createTestServer({ [messagesRoute]: { json: sendSuccess } });
const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion, appSecret, verifyToken });

function outbound(input: MessageContentInput, replyTo?: string): OutboundMessage {
  return {
    id: 'msg_1',
    to: '+79161234567',
    contact: { id: 'c1', phone: '+79161234567' },
    content: parseInput(messageContentSchema, input, 'content'),
    ...(replyTo ? { replyTo } : {}),
  };
}

async function sentBody(input: MessageContentInput, replyTo?: string): Promise<unknown> {
  await channel.doSend(outbound(input, replyTo), {});
  const calls = api.callsTo('/messages');
  expect(calls).toHaveLength(1);
  expect(calls[0]?.headers.get('authorization')).toBe(`Bearer ${accessToken}`);
  return calls[0]?.json;
}

const envelope = {
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: '79161234567',
  // Every send carries our message id, echoed in its statuses (see whatsapp-callback-data.ts).
  biz_opaque_callback_data: 'omnidealer:msg_1',
};

describe('request bodies for each content type', () => {
  it('text with preview_url, and reply context', async () => {
    expect(await sentBody({ type: 'text', text: 'Ждём вас https://dealer.ru', previewUrl: true }, 'wamid.IN1')).toEqual({
      ...envelope,
      context: { message_id: 'wamid.IN1' },
      type: 'text',
      text: { body: 'Ждём вас https://dealer.ru', preview_url: true },
    });
  });

  it('text defaults preview_url to false', async () => {
    expect(await sentBody({ type: 'text', text: 'Здравствуйте' })).toEqual({
      ...envelope,
      type: 'text',
      text: { body: 'Здравствуйте', preview_url: false },
    });
  });

  it('template with media header, positional and named body parameters and a quick-reply button', async () => {
    const body = await sentBody({
      type: 'template',
      name: 'booking_reminder',
      language: 'ru',
      header: [{ type: 'image', url: 'https://cdn.dealer.ru/f7.jpg' }],
      params: ['Иван', { type: 'text', text: 'Haval F7', name: 'model' }],
      buttons: [{ index: 0, subType: 'quick_reply', payload: 'CALL_OPERATOR' }],
    });
    expect(body).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'booking_reminder',
        language: { code: 'ru' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.dealer.ru/f7.jpg' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Иван' },
              { type: 'text', parameter_name: 'model', text: 'Haval F7' },
            ],
          },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'CALL_OPERATOR' }] },
        ],
      },
    });
  });

  it('template with named parameters as a record, currency, date_time, document header, url and copy_code buttons', async () => {
    const body = await sentBody({
      type: 'template',
      name: 'offer',
      language: 'ru',
      header: [{ type: 'document', mediaId: '998877', filename: 'offer.pdf' }],
      params: {
        client: 'Иван',
        price: { type: 'currency', fallback: '2 999 000 ₽', code: 'RUB', amount1000: 2_999_000_000 },
        until: { type: 'date_time', fallback: '30 ноября' },
      },
      buttons: [
        { index: 0, subType: 'url', payload: 'f7-offer' },
        { index: 1, subType: 'copy_code', payload: 'HAVAL30' },
      ],
    });
    expect(body).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'offer',
        language: { code: 'ru' },
        components: [
          { type: 'header', parameters: [{ type: 'document', document: { id: '998877', filename: 'offer.pdf' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'client', text: 'Иван' },
              {
                type: 'currency',
                parameter_name: 'price',
                currency: { fallback_value: '2 999 000 ₽', code: 'RUB', amount_1000: 2_999_000_000 },
              },
              { type: 'date_time', parameter_name: 'until', date_time: { fallback_value: '30 ноября' } },
            ],
          },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'f7-offer' }] },
          { type: 'button', sub_type: 'copy_code', index: '1', parameters: [{ type: 'coupon_code', coupon_code: 'HAVAL30' }] },
        ],
      },
    });
  });

  it('template without parameters has no components', async () => {
    expect(await sentBody({ type: 'template', name: 'hello_world', language: 'en_US' })).toEqual({
      ...envelope,
      type: 'template',
      template: { name: 'hello_world', language: { code: 'en_US' } },
    });
  });

  it('media by link with caption, by id, and a document with filename', async () => {
    expect(await sentBody({ type: 'media', kind: 'image', url: 'https://cdn.dealer.ru/f7.jpg', caption: 'Haval F7' })).toEqual({
      ...envelope,
      type: 'image',
      image: { link: 'https://cdn.dealer.ru/f7.jpg', caption: 'Haval F7' },
    });
    api.reset();
    expect(await sentBody({ type: 'media', kind: 'audio', mediaId: '1013859600285441' })).toEqual({
      ...envelope,
      type: 'audio',
      audio: { id: '1013859600285441' },
    });
    api.reset();
    expect(await sentBody({ type: 'media', kind: 'document', mediaId: '555', filename: 'price.pdf', caption: 'Прайс' })).toEqual({
      ...envelope,
      type: 'document',
      document: { id: '555', caption: 'Прайс', filename: 'price.pdf' },
    });
    api.reset();
    expect(await sentBody({ type: 'media', kind: 'video', url: 'https://cdn.dealer.ru/f7.mp4' })).toEqual({
      ...envelope,
      type: 'video',
      video: { link: 'https://cdn.dealer.ru/f7.mp4' },
    });
    api.reset();
    expect(await sentBody({ type: 'media', kind: 'sticker', mediaId: '777' })).toEqual({
      ...envelope,
      type: 'sticker',
      sticker: { id: '777' },
    });
  });

  it('interactive reply buttons with header and footer', async () => {
    expect(
      await sentBody({
        type: 'interactive',
        header: 'Тест-драйв',
        body: 'Подтвердите запись на завтра',
        footer: 'Автосалон Haval',
        action: {
          type: 'buttons',
          buttons: [
            { id: 'confirm', title: 'Подтверждаю' },
            { id: 'call_operator', title: 'Позвать оператора' },
          ],
        },
      }),
    ).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Тест-драйв' },
        body: { text: 'Подтвердите запись на завтра' },
        footer: { text: 'Автосалон Haval' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'confirm', title: 'Подтверждаю' } },
            { type: 'reply', reply: { id: 'call_operator', title: 'Позвать оператора' } },
          ],
        },
      },
    });
  });

  it('interactive list', async () => {
    expect(
      await sentBody({
        type: 'interactive',
        body: 'Выберите время',
        action: {
          type: 'list',
          button: 'Время',
          sections: [
            {
              title: '26 ноября',
              rows: [
                { id: 'slot_1', title: '10:00', description: 'Haval F7' },
                { id: 'slot_2', title: '12:00' },
              ],
            },
          ],
        },
      }),
    ).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Выберите время' },
        action: {
          button: 'Время',
          sections: [
            {
              title: '26 ноября',
              rows: [
                { id: 'slot_1', title: '10:00', description: 'Haval F7' },
                { id: 'slot_2', title: '12:00' },
              ],
            },
          ],
        },
      },
    });
  });

  it('location and reaction', async () => {
    expect(
      await sentBody({ type: 'location', latitude: 55.7558, longitude: 37.6173, name: 'Автосалон', address: 'Тверская 1' }),
    ).toEqual({
      ...envelope,
      type: 'location',
      location: { latitude: 55.7558, longitude: 37.6173, name: 'Автосалон', address: 'Тверская 1' },
    });
    api.reset();
    expect(await sentBody({ type: 'reaction', messageId: 'wamid.IN1', emoji: '👍' })).toEqual({
      ...envelope,
      type: 'reaction',
      reaction: { message_id: 'wamid.IN1', emoji: '👍' },
    });
  });
});

describe('limits are enforced before any network call', () => {
  const cases: Array<[string, MessageContentInput, string]> = [
    ['text over 4096', { type: 'text', text: 'я'.repeat(4097) }, 'content.text'],
    [
      '4 buttons',
      {
        type: 'interactive',
        body: 'b',
        action: { type: 'buttons', buttons: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id })) },
      },
      'content.action.buttons',
    ],
    [
      'button title over 20',
      { type: 'interactive', body: 'b', action: { type: 'buttons', buttons: [{ id: 'x', title: 'Позвать оператора сейчас' }] } },
      'content.action.buttons.0.title',
    ],
    [
      'duplicate button ids',
      {
        type: 'interactive',
        body: 'b',
        action: {
          type: 'buttons',
          buttons: [
            { id: 'x', title: 'a' },
            { id: 'x', title: 'b' },
          ],
        },
      },
      'content.action.buttons.1.id',
    ],
    [
      'interactive body over 1024',
      { type: 'interactive', body: 'x'.repeat(1025), action: { type: 'buttons', buttons: [{ id: 'x', title: 'a' }] } },
      'content.body',
    ],
    [
      'list with 11 rows',
      {
        type: 'interactive',
        body: 'b',
        action: {
          type: 'list',
          button: 'Время',
          sections: [
            { title: 'a', rows: Array.from({ length: 6 }, (_, index) => ({ id: `a${index}`, title: 'r' })) },
            { title: 'b', rows: Array.from({ length: 5 }, (_, index) => ({ id: `b${index}`, title: 'r' })) },
          ],
        },
      },
      'content.action.sections',
    ],
    [
      'row description over 72',
      {
        type: 'interactive',
        body: 'b',
        action: { type: 'list', button: 'x', sections: [{ rows: [{ id: 'r', title: 't', description: 'd'.repeat(73) }] }] },
      },
      'content.action.sections.0.rows.0.description',
    ],
    [
      'caption over 1024',
      { type: 'media', kind: 'image', url: 'https://cdn.dealer.ru/a.jpg', caption: 'c'.repeat(1025) },
      'content.caption',
    ],
    ['caption on audio', { type: 'media', kind: 'audio', mediaId: '1', caption: 'no' }, 'content.caption'],
    ['e-mail content', { type: 'email', subject: 's', text: 't' }, 'content.type'],
    ['template parameter with a new line', { type: 'template', name: 't', language: 'ru', params: ['a\nb'] }, 'content.params.0'],
  ];
  for (const [name, content, field] of cases) {
    it(`refuses ${name} (${field})`, async () => {
      const error = await channel.doSend(outbound(content), {}).catch((caught: unknown) => caught);
      expect(error).toSatisfy(ValidationError.isInstance);
      expect((error as ValidationError).field).toBe(field);
      expect(api.calls).toHaveLength(0);
    });
  }

  it('accepts the limits exactly', () => {
    const content = parseInput(
      messageContentSchema,
      {
        type: 'interactive',
        body: 'x'.repeat(1024),
        action: { type: 'buttons', buttons: ['a', 'b', 'c'].map((id) => ({ id, title: 't'.repeat(20) })) },
      },
      'content',
    );
    expect(() => convertToWhatsAppMessage(content, '+79161234567')).not.toThrow();
    expect(() =>
      convertToWhatsAppMessage(parseInput(messageContentSchema, { type: 'text', text: 'я'.repeat(4096) }, 'content'), '7916'),
    ).not.toThrow();
    // Characters, not UTF-16 units: 4096 emoji (8192 units) are at the limit, one more is over it.
    const emoji = (count: number) => parseInput(messageContentSchema, { type: 'text', text: '🚗'.repeat(count) }, 'content');
    expect(() => convertToWhatsAppMessage(emoji(4096), '7916')).not.toThrow();
    expect(() => convertToWhatsAppMessage(emoji(4097), '7916')).toThrow(/is 4097 characters/);
  });
});
