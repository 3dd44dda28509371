import { z } from 'zod';

// Wire schemas of the Telegram Bot API (https://core.telegram.org/bots/api, "Available types"), cross-checked against
// the typed spec grammY ships (`@grammyjs/types` 5.0.0, a devDependency through `grammy`). Lenient on purpose:
// unknown fields pass and optional fields may be null, so Telegram adding a field never breaks a send or a webhook.

/** A user or bot (`User`). `id` has up to 52 significant bits: safe as a JS number. */
export const telegramUserSchema = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().nullish(),
  username: z.string().nullish(),
  language_code: z.string().nullish(),
});
/** A Telegram user as sent on the wire. */
export type TelegramUserWire = z.infer<typeof telegramUserSchema>;

/** A chat (`Chat`): `private` for a dialog with the bot, else `group`, `supergroup` or `channel`. */
export const telegramChatSchema = z.looseObject({
  id: z.number().int(),
  type: z.string(),
  title: z.string().nullish(),
  username: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
});

/** One size of a photo (`PhotoSize`); a message's `photo` lists the sizes, smallest first. */
export const telegramPhotoSizeSchema = z.looseObject({
  file_id: z.string().min(1),
  file_unique_id: z.string().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
  file_size: z.number().nullish(),
});

/** A general file (`Document`); `video` and `audio` share these fields. */
export const telegramFileSchema = z.looseObject({
  file_id: z.string().min(1),
  file_unique_id: z.string().nullish(),
  file_name: z.string().nullish(),
  mime_type: z.string().nullish(),
  file_size: z.number().nullish(),
});

/** A message (`Message`): only the fields the channel reads are typed. */
export const telegramMessageSchema = z.looseObject({
  message_id: z.number().int(),
  from: telegramUserSchema.nullish(),
  chat: telegramChatSchema,
  date: z.number(),
  text: z.string().nullish(),
  caption: z.string().nullish(),
  photo: z.array(telegramPhotoSizeSchema).nullish(),
  document: telegramFileSchema.nullish(),
  video: telegramFileSchema.nullish(),
  audio: telegramFileSchema.nullish(),
  voice: telegramFileSchema.nullish(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).nullish(),
  reply_to_message: z.looseObject({ message_id: z.number().int() }).nullish(),
  reply_markup: z.looseObject({}).nullish(),
});
/** A Telegram message as sent on the wire. */
export type TelegramMessageWire = z.infer<typeof telegramMessageSchema>;

/** A button press (`CallbackQuery`). `message` is absent for messages sent via inline mode or too old. */
export const telegramCallbackQuerySchema = z.looseObject({
  id: z.string().min(1),
  from: telegramUserSchema,
  message: telegramMessageSchema.nullish(),
  chat_instance: z.string().nullish(),
  data: z.string().nullish(),
});

/** The bot's own membership in a chat changed (`ChatMemberUpdated`): `kicked` in a private chat = the user blocked the bot. */
export const telegramChatMemberUpdatedSchema = z.looseObject({
  chat: telegramChatSchema,
  from: telegramUserSchema,
  date: z.number(),
  old_chat_member: z.looseObject({ status: z.string() }),
  new_chat_member: z.looseObject({ status: z.string() }),
});

/** An update (`Update`): `update_id` plus at most one of the optional fields. */
export const telegramUpdateSchema = z.looseObject({ update_id: z.number().int() });

/** The update kinds the channel turns into events; the default `allowed_updates` of `setWebhook` and the poller. */
export const TELEGRAM_HANDLED_UPDATE_TYPES: readonly string[] = ['message', 'callback_query', 'my_chat_member'];

/** Extra information of an error (`ResponseParameters`): `retry_after` seconds on flood control. */
export const telegramResponseParametersSchema = z.looseObject({
  migrate_to_chat_id: z.number().nullish(),
  retry_after: z.number().nullish(),
});

/** Every Bot API answer: `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`. */
export const telegramEnvelopeSchema = z.looseObject({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().nullish(),
  description: z.string().nullish(),
  parameters: telegramResponseParametersSchema.nullish(),
});

/** The error half of the envelope. */
export const telegramErrorBodySchema = z.looseObject({
  ok: z.literal(false).optional(),
  error_code: z.number().nullish(),
  description: z.string().nullish(),
  parameters: telegramResponseParametersSchema.nullish(),
});

/** `getWebhookInfo` (`WebhookInfo`). */
export const telegramWebhookInfoSchema = z.looseObject({
  url: z.string(),
  pending_update_count: z.number(),
  last_error_date: z.number().nullish(),
  last_error_message: z.string().nullish(),
  allowed_updates: z.array(z.string()).nullish(),
});
