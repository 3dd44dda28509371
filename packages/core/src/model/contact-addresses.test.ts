import { describe, expect, it } from 'vitest';
import { addressLookupKeys, chatIdentityOf, contactAddresses } from './contact-addresses.js';

describe('contactAddresses', () => {
  it('lists the phone, the lower-cased e-mail and every identity, single or list', () => {
    expect(
      contactAddresses({
        id: 'c1',
        phone: '+79161234567',
        email: 'Ivan@Example.ru',
        identities: { whatsapp: '79161234567', avitoChatIds: ['u2i-1', 'u2i-2'] },
      }),
    ).toEqual(['+79161234567', 'ivan@example.ru', '79161234567', 'u2i-1', 'u2i-2']);
  });

  it('is empty for a contact with no address at all', () => {
    expect(contactAddresses({ id: 'c1', name: 'Иван' })).toEqual([]);
  });
});

describe('addressLookupKeys', () => {
  it('tries the address as given, then lower-cased only when that differs', () => {
    expect(addressLookupKeys('Ivan@Example.ru')).toEqual(['Ivan@Example.ru', 'ivan@example.ru']);
    expect(addressLookupKeys('ivan@example.ru')).toEqual(['ivan@example.ru']);
    expect(addressLookupKeys('+79161234567')).toEqual(['+79161234567']);
    // A mixed-case identity indexed as is is still found by its exact spelling first.
    expect(addressLookupKeys('u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg')[0]).toBe('u2i-hM9bdAkYJ0ZQ4LkG0j8Rdg');
  });
});

describe('chatIdentityOf', () => {
  const digits = /^\d{1,19}$/;

  it('prefers the identity the CRM or a deep link set, else the latest recorded chat id that fits', () => {
    expect(chatIdentityOf({ id: 'c1', identities: { max: '42', maxChatIds: ['111'] } }, 'max', digits)).toBe('42');
    expect(chatIdentityOf({ id: 'c2', identities: { maxChatIds: ['111', '222', 'not-an-id'] } }, 'max', digits)).toBe('222');
    expect(chatIdentityOf({ id: 'c3', identities: { max: 'bad id', telegramChatIds: ['5'] } }, 'max', digits)).toBeUndefined();
    expect(chatIdentityOf({ id: 'c4', phone: '+79161234567' }, 'max', digits)).toBeUndefined();
  });
});
