/**
 * zod schemas of the Avito Messenger API wire format. Lenient on purpose: every field Avito may omit is
 * `.nullish()` and unknown fields pass, so a field Avito adds tomorrow does not break a dealer's CRM.
 * @see https://developers.avito.ru/api-catalog/messenger/documentation
 */
import { z } from 'zod';

/** `POST /token` answer (OAuth client-credentials grant). */
export const avitoTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().nullish(),
  token_type: z.string().nullish(),
});

/** The listing (`context.value`) an `u2i` chat is about. */
export const avitoItemSchema = z.looseObject({
  id: z.union([z.number(), z.string()]),
  title: z.string().nullish(),
  price_string: z.string().nullish(),
  url: z.string().nullish(),
  status_id: z.number().nullish(),
  user_id: z.union([z.number(), z.string()]).nullish(),
  images: z.unknown().nullish(),
});

/** A message as returned by `GET …/messages/` (v3), in `last_message` of a chat, and by send endpoints. */
export const avitoMessageSchema = z.looseObject({
  id: z.string().min(1),
  author_id: z.union([z.number(), z.string()]).nullish(),
  created: z.number().nullish(),
  type: z.string().nullish(),
  direction: z.string().nullish(),
  content: z.record(z.string(), z.unknown()).nullish(),
  is_read: z.boolean().nullish(),
  read: z.number().nullish(),
  quote: z.looseObject({ id: z.string().nullish() }).nullish(),
});

/** One chat of `GET /messenger/v2/accounts/{user_id}/chats` and `…/chats/{chat_id}`. */
export const avitoChatSchema = z.looseObject({
  id: z.string().min(1),
  created: z.number().nullish(),
  updated: z.number().nullish(),
  context: z
    .looseObject({
      type: z.string().nullish(),
      value: avitoItemSchema.nullish().catch(null),
    })
    .nullish(),
  users: z
    .array(
      z.looseObject({
        id: z.union([z.number(), z.string()]),
        name: z.string().nullish(),
        public_user_profile: z.unknown().nullish(),
      }),
    )
    .nullish(),
  last_message: avitoMessageSchema.nullish().catch(null),
});

/** `GET /messenger/v2/accounts/{user_id}/chats` answer. */
export const avitoChatsResponseSchema = z.looseObject({ chats: z.array(avitoChatSchema).nullish() });

/** `GET /messenger/v3/…/messages/` answer: a bare array in Avito's spec; `{ messages: [...] }` is accepted too. */
export const avitoMessagesResponseSchema = z
  .union([z.array(avitoMessageSchema), z.looseObject({ messages: z.array(avitoMessageSchema).nullish() })])
  .transform((value) => (Array.isArray(value) ? value : (value.messages ?? [])));

/** `POST /messenger/v1/accounts/{user_id}/uploadImages` answer: `{ "<image_id>": { "<size>": "<url>" } }`. */
export const avitoUploadImagesResponseSchema = z.record(z.string(), z.record(z.string(), z.string()).catch({}));

/** `{ "ok": true }` answers (mark read, webhook subscribe/unsubscribe). */
export const avitoOkResponseSchema = z.looseObject({ ok: z.boolean().nullish() });

/** `POST /messenger/v1/subscriptions` answer. */
export const avitoSubscriptionsResponseSchema = z.looseObject({
  subscriptions: z.array(z.looseObject({ url: z.string(), version: z.string().nullish() })).nullish(),
});

/** An error body: `{"error":{"code":…,"message":…}}`, `{"result":{"message":…,"status":false}}` or `{"message":…}`. */
export const avitoErrorBodySchema = z.looseObject({
  error: z
    .union([z.looseObject({ code: z.union([z.number(), z.string()]).nullish(), message: z.string().nullish() }), z.string()])
    .nullish(),
  result: z.looseObject({ message: z.string().nullish(), status: z.boolean().nullish() }).nullish(),
  message: z.string().nullish(),
  code: z.union([z.number(), z.string()]).nullish(),
  /** OAuth errors of `/token`: `{"error":"invalid_client","error_description":"…"}`. */
  error_description: z.string().nullish(),
});

/** `value` of a `message` webhook event (v3). */
export const avitoWebhookMessageSchema = z.looseObject({
  id: z.string().min(1),
  chat_id: z.string().min(1),
  user_id: z.union([z.number(), z.string()]).nullish(),
  author_id: z.union([z.number(), z.string()]).nullish(),
  created: z.number().min(0).max(1e11), // unix seconds; bounded so `* 1000` stays finite
  type: z.string().nullish(),
  chat_type: z.string().nullish(),
  content: z.record(z.string(), z.unknown()).nullish(),
  item_id: z.union([z.number(), z.string()]).nullish(),
  published_at: z.string().nullish(),
  quote: z.looseObject({ id: z.string().nullish() }).nullish(),
});

/** One webhook delivery (v3): `{ id, version, timestamp, payload: { type, value } }`. */
export const avitoWebhookEventSchema = z.looseObject({
  id: z.string().nullish(),
  version: z.string().nullish(),
  timestamp: z.number().nullish(),
  payload: z.looseObject({ type: z.string(), value: z.unknown() }),
});

/** Raw wire types, for CRMs that want Avito's own field names. */
export type AvitoChatWire = z.infer<typeof avitoChatSchema>;
/** Raw wire message (v3). */
export type AvitoMessageWire = z.infer<typeof avitoMessageSchema>;
/** Raw wire webhook message value (v3). */
export type AvitoWebhookMessageWire = z.infer<typeof avitoWebhookMessageSchema>;
