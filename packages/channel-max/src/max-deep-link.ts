import { parseInput } from '@omnidealer/core';
import { z } from 'zod';

/**
 * Longest start parameter MAX passes to the bot, in characters. Sources: dev.max.ru «Диплинки»
 * (https://dev.max.ru/help/deeplinks: `https://max.ru/<botName>?start=<payload>`, «до 128 символов») and the
 * OpenAPI schema published with the official Go client (`max-messenger/max-bot-api-client-go`, `schema.yaml`,
 * «Deep linking»: up to 128 characters; «Longer strings will be omitted and not passed to the bot»).
 */
export const MAX_START_PAYLOAD_LIMIT = 128;

/**
 * Characters allowed in a start parameter here: `A–Z a–z 0–9 _ -`. MAX publishes no alphabet for `start`; this is the
 * alphabet MAX documents for the related mini-app `startapp` payload (`OpenAppButton.payload`, `^[\w-]{0,512}$`) and
 * it needs no URL encoding. Encode anything else as base64url.
 */
const payloadSchema = z
  .string()
  .min(1, 'the start payload must not be empty')
  .max(MAX_START_PAYLOAD_LIMIT, `MAX passes at most ${MAX_START_PAYLOAD_LIMIT} characters: longer payloads are dropped`)
  .regex(/^[A-Za-z0-9_-]+$/, 'use only A-Z, a-z, 0-9, _ and - (base64url-encode anything else)');

/** A bot's public name (`@dealer_bot` or `dealer_bot`), as in the schema's `chatLink` pattern `@?[a-zA-Z]+[\w-]*`. */
const botNameSchema = z
  .string()
  .transform((name) => name.replace(/^@/, ''))
  .pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'not a MAX bot name (letters first, then letters, digits, _ or -)'));

/**
 * Builds the deep link that opens the dialog with a bot and hands it a start parameter:
 * `https://max.ru/<botName>?start=<payload>`. When the user presses Start, the bot gets `bot_started` with this
 * `payload`, which the channel turns into an inbound event of `kind: 'start'` carrying it — the way to link a MAX user
 * to a CRM contact (put a one-time code in the payload, match it on `start`). Supported by MAX apps from iOS 2.7.0 and
 * Android 2.9.0.
 * @throws ValidationError when the bot name is malformed, or the payload is empty, over
 * {@link MAX_START_PAYLOAD_LIMIT} characters, or has characters other than `A–Z a–z 0–9 _ -`.
 * @example
 * const link = maxDeepLink('dealer_bot', 'c_8f3k2m'); // https://max.ru/dealer_bot?start=c_8f3k2m
 * await sms.send({ to: contact.phone, text: `Получайте уведомления в MAX: ${link}` });
 * hub.on('message.received', ({ message }) => {
 *   if (message.metadata?.inboundKind === 'start') linkContact(message.metadata.payload);
 * });
 * @see https://dev.max.ru/help/deeplinks
 */
export function maxDeepLink(botName: string, payload?: string): string {
  const name = parseInput(botNameSchema, botName, 'botName', 'max');
  if (payload === undefined) return `https://max.ru/${name}`;
  const checked = parseInput(payloadSchema, payload, 'payload', 'max');
  return `https://max.ru/${name}?start=${checked}`;
}
