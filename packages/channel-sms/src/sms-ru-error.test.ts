import { AuthError, ChannelApiError, RateLimitError, UnreachableRecipientError, ValidationError } from '@omnidealer/core';
import { describe, expect, it } from 'vitest';
import { classifySmsRuError, SMS_RU_ERROR_CODES } from './sms-ru-error.js';

// Codes and meanings from SMS.ru's published API pages, "Коды ответов" (https://sms.ru/api/send,
// https://sms.ru/api/status), e.g. 213 «Указано более 100 номеров в списке получателей», 215 «номер находится в
// стоп-листе SMS.RU», 503 «Слишком много сообщений в эту страну за короткий промежуток времени», 508 «Превышено
// количество допустимых звонков за 5 минут».
type Expected = [code: number, kind: abstract new (...args: never[]) => Error, retryable: boolean, extra?: object];

const table: Expected[] = [
  [200, AuthError, false],
  [201, ChannelApiError, false],
  [202, UnreachableRecipientError, false, { reason: 'invalid_address' }],
  [203, ValidationError, false, { field: 'text' }],
  [204, ChannelApiError, false],
  [205, ValidationError, false, { field: 'text' }],
  [206, ChannelApiError, false],
  [207, UnreachableRecipientError, false, { reason: 'invalid_address' }],
  [208, ValidationError, false, { field: 'time' }],
  [209, UnreachableRecipientError, false, { reason: 'opted_out' }],
  [210, ChannelApiError, false],
  [211, ChannelApiError, false],
  [212, ValidationError, false, { field: 'text' }],
  [213, ValidationError, false, { field: 'to' }],
  [214, UnreachableRecipientError, false, { reason: 'invalid_address' }],
  [215, UnreachableRecipientError, false, { reason: 'blocked' }],
  [216, ChannelApiError, false],
  [220, ChannelApiError, true],
  [230, ChannelApiError, false],
  [231, RateLimitError, true, { retryAfterMs: 60_000 }],
  [232, ChannelApiError, false],
  [233, ChannelApiError, false],
  [300, AuthError, false],
  [301, AuthError, false],
  [302, AuthError, false],
  [303, ChannelApiError, false],
  [304, RateLimitError, true, { retryAfterMs: 60_000 }],
  [305, RateLimitError, true, { retryAfterMs: 60_000 }],
  [500, ChannelApiError, true],
  [501, ChannelApiError, false],
  [502, ChannelApiError, false],
  [503, RateLimitError, true, { retryAfterMs: 60_000 }],
  [504, RateLimitError, true, { retryAfterMs: 60_000 }],
  [505, RateLimitError, true, { retryAfterMs: 60_000 }],
  [506, ChannelApiError, false],
  [507, ChannelApiError, false],
  [508, RateLimitError, true, { retryAfterMs: 300_000 }],
  [901, ChannelApiError, false],
  [902, ChannelApiError, false],
];

describe('classifySmsRuError (SMS.ru "Коды ответов")', () => {
  it.each(table)('%i → %o, retryable %s', (code, kind, retryable, extra) => {
    const error = classifySmsRuError(code, { status: 'ERROR', status_code: code }, 'status text from SMS.ru');
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ channel: 'sms', providerCode: code, retryable, ...extra });
    expect(error.message).toBe(`sms.ru: ${code} ${(SMS_RU_ERROR_CODES as Record<number, string>)[code]}`);
  });

  it('covers every code it documents', () => {
    expect(table.map(([code]) => code)).toEqual(Object.keys(SMS_RU_ERROR_CODES).map(Number));
  });

  it("classifies an unknown code as a final provider error with SMS.ru's own text", () => {
    const error = classifySmsRuError(999, {}, 'новая ошибка');
    expect(error).toBeInstanceOf(ChannelApiError);
    expect(error).toMatchObject({ retryable: false, providerCode: 999, message: 'sms.ru: 999 новая ошибка' });
  });
});
