import { parseInput } from '@omnidealer/core/provider-utils';
import { z } from 'zod';

/**
 * Longest start parameter Telegram passes to the bot, in characters (Bot API, "Deep linking": «up to 64 characters
 * long», only `A–Z a–z 0–9 _ -`).
 */
export const TELEGRAM_START_PAYLOAD_LIMIT = 64;

const payloadSchema = z
  .string()
  .min(1, 'the start payload must not be empty')
  .max(TELEGRAM_START_PAYLOAD_LIMIT, `Telegram passes at most ${TELEGRAM_START_PAYLOAD_LIMIT} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, 'use only A-Z, a-z, 0-9, _ and - (base64url-encode anything else)');

/** A bot username (`@dealer_bot` or `dealer_bot`): 5–32 of `A–Z a–z 0–9 _`, a letter first. */
const botUsernameSchema = z
  .string()
  .transform((name) => name.replace(/^@/, ''))
  .pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{4,31}$/, 'not a Telegram bot username (5–32 letters, digits or _)'));

/**
 * Builds the deep link that opens the dialog with a bot and hands it a start parameter:
 * `https://t.me/<botUsername>?start=<payload>`. When the user presses Start, the bot gets the message
 * `/start <payload>`, which the channel turns into an inbound event of `kind: 'start'` carrying it — the way to link a
 * Telegram user to a CRM contact (`hub.inviteLink(contactId, 'telegram')` makes such a link with a one-time code).
 * @throws ValidationError when the username is malformed, or the payload is empty, over
 * {@link TELEGRAM_START_PAYLOAD_LIMIT} characters, or has characters other than `A–Z a–z 0–9 _ -`.
 * @example
 * const link = telegramDeepLink('autodealer_bot', 'c_8f3k2m'); // https://t.me/autodealer_bot?start=c_8f3k2m
 * await hub.send({ channel: 'sms', contact, content: { type: 'text', text: `Пишите нам в Telegram: ${link}` } });
 * @see https://core.telegram.org/bots/features#deep-linking
 */
export function telegramDeepLink(botUsername: string, payload?: string): string {
  const name = parseInput(botUsernameSchema, botUsername, 'botUsername', 'telegram');
  if (payload === undefined) return `https://t.me/${name}`;
  const checked = parseInput(payloadSchema, payload, 'payload', 'telegram');
  return `https://t.me/${name}?start=${checked}`;
}
