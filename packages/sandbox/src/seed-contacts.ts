import type { Consent, ContactInput } from '@omnidealer/core';
import { createSeededRandom, seededDigits, seededHex } from './random.js';

/** Options of {@link seedContacts}. */
export interface SeedContactsOptions {
  /** How many contacts. */
  count: number;
  /** Same seed, same contacts. */
  seed: number | string;
  /** Share of contacts with an e-mail address. @default 0.1 */
  emailShare?: number;
  /** Share of contacts who wrote about a listing on Avito (they get an `avitoChatIds` entry). @default 0.08 */
  avitoShare?: number;
  /**
   * Share of contacts linked to the dealer's MAX bot (they pressed Start: `identities.max` = a MAX user id, and pass
   * as `startSandbox({ contacts })` to get their dialog). Drawn from a separate seeded stream, so turning it on changes
   * nothing else. @default 0
   */
  maxShare?: number;
  /** Share of contacts who opted out of one channel. @default 0.03 */
  optOutShare?: number;
}

const male = [
  'Александр',
  'Дмитрий',
  'Максим',
  'Сергей',
  'Андрей',
  'Алексей',
  'Артём',
  'Илья',
  'Кирилл',
  'Михаил',
  'Никита',
  'Иван',
  'Евгений',
  'Павел',
  'Роман',
  'Владимир',
  'Олег',
  'Игорь',
];
const female = [
  'Анна',
  'Мария',
  'Елена',
  'Ольга',
  'Наталья',
  'Ирина',
  'Татьяна',
  'Екатерина',
  'Светлана',
  'Юлия',
  'Анастасия',
  'Виктория',
  'Дарья',
  'Ксения',
];
const surnames: ReadonlyArray<readonly [string, string]> = [
  ['Иванов', 'Иванова'],
  ['Смирнов', 'Смирнова'],
  ['Кузнецов', 'Кузнецова'],
  ['Попов', 'Попова'],
  ['Васильев', 'Васильева'],
  ['Петров', 'Петрова'],
  ['Соколов', 'Соколова'],
  ['Михайлов', 'Михайлова'],
  ['Новиков', 'Новикова'],
  ['Фёдоров', 'Фёдорова'],
  ['Морозов', 'Морозова'],
  ['Волков', 'Волкова'],
  ['Алексеев', 'Алексеева'],
  ['Лебедев', 'Лебедева'],
  ['Семёнов', 'Семёнова'],
  ['Егоров', 'Егорова'],
  ['Павлов', 'Павлова'],
  ['Козлов', 'Козлова'],
  ['Степанов', 'Степанова'],
  ['Николаев', 'Николаева'],
  ['Орлов', 'Орлова'],
  ['Андреев', 'Андреева'],
  ['Макаров', 'Макарова'],
  ['Захаров', 'Захарова'],
];
const mobileCodes = [
  901, 903, 905, 906, 909, 910, 912, 915, 916, 917, 919, 920, 925, 926, 929, 950, 951, 960, 962, 965, 967, 968, 977, 985, 987,
  999,
];
const emailDomains = ['mail.ru', 'yandex.ru', 'gmail.com', 'bk.ru', 'list.ru', 'inbox.ru', 'rambler.ru'];
const timeZones: ReadonlyArray<readonly [string, number]> = [
  ['Europe/Moscow', 0.8],
  ['Europe/Samara', 0.06],
  ['Asia/Yekaterinburg', 0.06],
  ['Europe/Kaliningrad', 0.03],
  ['Asia/Novosibirsk', 0.05],
];
const interests = ['haval', 'chery', 'geely', 'kia', 'hyundai', 'lada', 'toyota', 'exeed'];
const segments = ['lead', 'owner', 'service', 'test-drive', 'trade-in', 'credit'];

const latin: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
};
const transliterate = (text: string) => [...text.toLowerCase()].map((character) => latin[character] ?? character).join('');

/**
 * Produces realistic contacts of a Russian car dealer as core `ContactInput`s: E.164 `+79…` mobile numbers, Russian
 * names, ~10 % e-mails, some Avito chats (pass the result as `startSandbox({ contacts })` so those chats exist),
 * per-channel consent with a few opt-outs, IANA time zones (mostly Europe/Moscow) and interest tags.
 * Deterministic: the same `seed` and `count` give the same list, and a longer list starts with the shorter one.
 * @example
 * const contacts = seedContacts({ count: 3000, seed: 7 });
 * const sandbox = await startSandbox({ seed: 7, contacts });
 */
export function seedContacts(options: SeedContactsOptions): ContactInput[] {
  const { count, seed } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  const emailShare = options.emailShare ?? 0.1;
  const avitoShare = options.avitoShare ?? 0.08;
  const optOutShare = options.optOutShare ?? 0.03;
  const maxShare = options.maxShare ?? 0;
  const usedPhones = new Set<string>();
  const contacts: ContactInput[] = [];

  for (let index = 0; index < count; index++) {
    const random = createSeededRandom(seed, 'contact', index);
    const isFemale = random.chance(0.42);
    const first = random.pick(isFemale ? female : male);
    const surnamePair = random.pick(surnames);
    const surname = isFemale ? surnamePair[1] : surnamePair[0];

    let phone = '';
    for (let attempt = 0; phone === '' || usedPhones.has(phone); attempt++) {
      const phoneRandom = createSeededRandom(seed, 'contact.phone', index, attempt);
      phone = `+7${phoneRandom.pick(mobileCodes)}${String(phoneRandom.integer(0, 9_999_999)).padStart(7, '0')}`;
    }
    usedPhones.add(phone);

    const contact: ContactInput = { id: `contact-${String(index + 1).padStart(6, '0')}`, name: `${first} ${surname}`, phone };
    const consent: Record<string, Consent> = { whatsapp: 'granted', sms: 'granted' };
    if (random.chance(emailShare)) {
      const separator = random.pick(['.', '_', '']);
      contact.email = `${transliterate(first)}${separator}${transliterate(surname)}${random.integer(1, 99)}@${random.pick(emailDomains)}`;
      consent.email = random.chance(0.9) ? 'granted' : 'unknown';
    }
    if (random.chance(avitoShare)) {
      contact.identities = { avitoChatIds: [`u2i-${seededHex(22, seed, 'contact.avito', index)}`] };
      consent.avito = 'granted';
    }
    if (maxShare > 0 && createSeededRandom(seed, 'contact.max', index).chance(maxShare)) {
      contact.identities ??= {};
      contact.identities.max = `3${seededDigits(8, seed, 'contact.max.id', index)}`;
      consent.max = 'granted';
    }
    if (random.chance(optOutShare)) consent[random.pick(['whatsapp', 'sms'])] = 'opted_out';
    contact.consent = consent;

    let zone = random.next();
    contact.timeZone = 'Europe/Moscow';
    for (const [name, share] of timeZones) {
      if (zone < share) {
        contact.timeZone = name;
        break;
      }
      zone -= share;
    }
    contact.tags = [random.pick(segments), `interest:${random.pick(interests)}`];
    contacts.push(contact);
  }
  return contacts;
}
