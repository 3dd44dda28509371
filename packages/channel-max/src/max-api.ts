import { z } from 'zod';

// Wire schemas of the MAX Bot API, read from the official TypeScript client `@maxhub/max-bot-api` 0.3.1
// (`dist/core/network/api/types/*.d.ts`, `modules/*/types.d.ts`) and the OpenAPI schema published with the official Go
// client (`max-messenger/max-bot-api-client-go`, `schema.yaml`). Lenient on purpose: unknown fields pass, optional
// fields may be null, so MAX adding a field never breaks a send or a webhook.

/** A MAX user (`User` in the client's `types/user.d.ts`). */
export const maxUserSchema = z.looseObject({
  user_id: z.number(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  /** Deprecated by MAX in favour of `first_name`/`last_name`, still sent. */
  name: z.string().nullish(),
  username: z.string().nullish(),
  is_bot: z.boolean().nullish(),
  last_activity_time: z.number().nullish(),
});
/** A MAX user as sent on the wire. */
export type MaxUserWire = z.infer<typeof maxUserSchema>;

/** One attachment of a received message (`Attachment` in `types/attachment.d.ts`); `payload` varies by `type`. */
export const maxAttachmentSchema = z.looseObject({
  type: z.string(),
  payload: z.looseObject({}).nullish(),
  filename: z.string().nullish(),
  size: z.number().nullish(),
  latitude: z.number().nullish(),
  longitude: z.number().nullish(),
});

/** The body of a message (`MessageBody`). `mid` is the message id. */
export const maxMessageBodySchema = z.looseObject({
  mid: z.string(),
  seq: z.number().nullish(),
  text: z.string().nullish(),
  attachments: z.array(maxAttachmentSchema).nullish(),
  markup: z.array(z.looseObject({})).nullish(),
});

/** A message (`Message` in `types/message.d.ts`). */
export const maxMessageSchema = z.looseObject({
  sender: maxUserSchema.nullish(),
  recipient: z.looseObject({
    chat_id: z.number().nullish(),
    chat_type: z.string().nullish(),
    user_id: z.number().nullish(),
  }),
  timestamp: z.number(),
  link: z
    .looseObject({
      type: z.string().nullish(),
      sender: maxUserSchema.nullish(),
      chat_id: z.number().nullish(),
      message: z.looseObject({ mid: z.string().nullish() }).nullish(),
    })
    .nullish(),
  body: maxMessageBodySchema,
  url: z.string().nullish(),
});
/** A MAX message as sent on the wire. */
export type MaxMessageWire = z.infer<typeof maxMessageSchema>;

/** Every update carries `update_type` and `timestamp` (epoch ms); the rest depends on the type. */
export const maxUpdateBaseSchema = z.looseObject({ update_type: z.string().min(1), timestamp: z.number() });

/** `message_created` and `message_edited`. */
export const maxMessageUpdateSchema = maxUpdateBaseSchema.extend({
  message: maxMessageSchema,
  user_locale: z.string().nullish(),
});

/** `message_callback`: a callback button was pressed. `message` is null when it was deleted meanwhile. */
export const maxCallbackUpdateSchema = maxUpdateBaseSchema.extend({
  callback: z.looseObject({
    timestamp: z.number().nullish(),
    callback_id: z.string().min(1),
    payload: z.string().nullish(),
    user: maxUserSchema,
  }),
  message: maxMessageSchema.nullish(),
  user_locale: z.string().nullish(),
});

/** `bot_started` and `bot_stopped` (`chat_id` of the dialog, the user, the deep-link `payload` for a start). */
export const maxBotDialogUpdateSchema = maxUpdateBaseSchema.extend({
  chat_id: z.number(),
  user: maxUserSchema,
  payload: z.string().nullish(),
  user_locale: z.string().nullish(),
});

/** `message_removed`. */
export const maxMessageRemovedUpdateSchema = maxUpdateBaseSchema.extend({
  message_id: z.string(),
  chat_id: z.number().nullish(),
  user_id: z.number().nullish(),
});

/** `POST /messages` answers `{ message }` (`SendMessageResponse`). */
export const maxSendMessageResponseSchema = z.looseObject({ message: maxMessageSchema });

/** `POST /uploads?type=…` answers where to upload, and for video/audio the token already (`GetUploadUrlResponse`). */
export const maxUploadEndpointSchema = z.looseObject({ url: z.string().min(1), token: z.string().nullish() });

/**
 * What the upload URL answers: `{ token }` for a file (the client's `uploadFromBuffer` returns it as the attachment
 * payload), `{ photos: { <id>: { token } } }` for an image, or nothing useful for video/audio (the client then keeps
 * the token from `POST /uploads`).
 */
export const maxUploadResultSchema = z.looseObject({
  token: z.string().nullish(),
  photos: z.record(z.string(), z.looseObject({ token: z.string() })).nullish(),
});

/** `{ success, message? }` answers (`ActionResponse`) of subscribe, unsubscribe, answers, edit and delete. */
export const maxActionResponseSchema = z.looseObject({ success: z.boolean(), message: z.string().nullish() });

/** `GET /subscriptions` (`SubscriptionsResponseDTO`). */
export const maxSubscriptionsResponseSchema = z.looseObject({
  subscriptions: z
    .array(z.looseObject({ url: z.string(), time: z.number().nullish(), update_types: z.array(z.string()).nullish() }))
    .nullish(),
});

/** `GET /updates` (`GetUpdatesResponse`): a page of raw updates (validated one by one later) and the next marker. */
export const maxUpdatesResponseSchema = z.looseObject({
  updates: z.array(z.unknown()),
  marker: z.number().nullish(),
});

/** `GET /me` (`GetMyInfoResponse`, a `User` with `username`). */
export const maxBotInfoSchema = maxUserSchema;

/** Error body: `{ code, message }` (`error` sometimes too), e.g. `{ "code": "verify.token", … }`. */
export const maxErrorBodySchema = z.looseObject({
  code: z.string().nullish(),
  message: z.string().nullish(),
  error: z.string().nullish(),
});
