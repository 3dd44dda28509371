import { z } from 'zod';

// Wire schemas of the VK API (version 5.199) and its Callback API / Bots Long Poll events, read from `vk-io` 4.10.1
// (`lib/api/schemas/objects.d.ts`: `CallbackBase`, `CallbackMessageAllowObject`, `CallbackMessageDeny`,
// `MessagesMessage`; `lib/structures/contexts/message.d.ts`: `IMessageContextPayload`) and VK's documentation
// (dev.vk.com, «Callback API», «Bots Long Poll API», `messages.send`). Lenient on purpose: unknown fields pass and
// optional fields may be null, so VK adding a field never breaks a send or a webhook.

/**
 * The envelope of every Callback API event and of every Bots Long Poll update: `type`, `object`, `group_id`,
 * `event_id` (the same on a redelivery), `v` (the API version the object follows) and, on Callback API deliveries
 * only, `secret`.
 */
export const vkEventBaseSchema = z.looseObject({
  type: z.string().min(1),
  group_id: z.number().int().nullish(),
  event_id: z.string().nullish(),
  v: z.string().nullish(),
  secret: z.string().nullish(),
  object: z.unknown().optional(),
});

/** A photo size (`PhotosPhotoSizes`). */
const vkPhotoSizeSchema = z.looseObject({
  type: z.string().nullish(),
  url: z.string().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
});

/** One attachment of a received message (`MessagesMessageAttachment`); the object sits under the key named by `type`. */
export const vkAttachmentSchema = z.looseObject({
  type: z.string(),
  photo: z
    .looseObject({
      id: z.number().nullish(),
      owner_id: z.number().nullish(),
      access_key: z.string().nullish(),
      sizes: z.array(vkPhotoSizeSchema).nullish(),
      orig_photo: vkPhotoSizeSchema.nullish(),
    })
    .nullish(),
  doc: z
    .looseObject({
      id: z.number().nullish(),
      owner_id: z.number().nullish(),
      title: z.string().nullish(),
      ext: z.string().nullish(),
      url: z.string().nullish(),
      size: z.number().nullish(),
    })
    .nullish(),
  audio_message: z.looseObject({ link_mp3: z.string().nullish(), link_ogg: z.string().nullish() }).nullish(),
});

/** A message as VK sends it (`MessagesMessage`; `IMessageContextPayload.message` in vk-io). */
export const vkMessageSchema = z.looseObject({
  id: z.number().int(),
  date: z.number(),
  peer_id: z.number().int(),
  from_id: z.number().int(),
  text: z.string().nullish(),
  out: z.number().nullish(),
  conversation_message_id: z.number().nullish(),
  random_id: z.number().nullish(),
  attachments: z.array(vkAttachmentSchema).nullish(),
  /** The payload of the keyboard button the user pressed: a JSON string. */
  payload: z.string().nullish(),
  /** The `ref` of the `vk.me/<group>?ref=…` link the user came through (on the message sent with Start). */
  ref: z.string().nullish(),
  ref_source: z.string().nullish(),
  geo: z
    .looseObject({
      coordinates: z.looseObject({ latitude: z.number(), longitude: z.number() }).nullish(),
      place: z.looseObject({ title: z.string().nullish() }).nullish(),
    })
    .nullish(),
  reply_message: z.looseObject({ id: z.number().nullish(), conversation_message_id: z.number().nullish() }).nullish(),
  fwd_messages: z.array(z.unknown()).nullish(),
  action: z.looseObject({ type: z.string() }).nullish(),
});
/** A VK message as sent on the wire. */
export type VkMessageWire = z.infer<typeof vkMessageSchema>;

/** `message_new` (API 5.103 and later): the message and what the user's client can show. */
export const vkMessageNewObjectSchema = z.looseObject({
  message: vkMessageSchema,
  client_info: z
    .looseObject({
      button_actions: z.array(z.string()).nullish(),
      keyboard: z.boolean().nullish(),
      inline_keyboard: z.boolean().nullish(),
      lang_id: z.number().nullish(),
    })
    .nullish(),
});

/** `message_allow` (`CallbackMessageAllowObject`): the user allowed the community's messages; `key` from the widget. */
export const vkMessageAllowObjectSchema = z.looseObject({ user_id: z.number().int(), key: z.string().nullish() });

/** `message_deny` (`CallbackMessageDeny`): the user forbade the community's messages. */
export const vkMessageDenyObjectSchema = z.looseObject({ user_id: z.number().int() });

/**
 * `message_read` (vksdk `MessageReadObject`): the user (`from_id`) read the dialog `peer_id` up to the community's
 * message `read_message_id`, and everything before it. No time is sent.
 */
export const vkMessageReadObjectSchema = z.looseObject({
  from_id: z.number().int(),
  peer_id: z.number().int(),
  read_message_id: z.number().int().positive(),
  conversation_message_id: z.number().nullish(),
});

/**
 * `message_event` (vk-io 4.10.1 `IMessageEventContextPayload`, vksdk `MessageEventObject`): a callback button was
 * pressed. `payload` is the button's payload, parsed JSON (an object) or a string; `event_id` is valid for a minute,
 * for `messages.sendMessageEventAnswer`.
 */
export const vkMessageEventObjectSchema = z.looseObject({
  user_id: z.number().int(),
  peer_id: z.number().int(),
  event_id: z.string().min(1),
  payload: z.unknown().optional(),
  conversation_message_id: z.number().nullish(),
});

/** `message_reply` / `message_edit`: a message object (a community's outgoing message, or an edited one). */
export const vkMessageObjectSchema = vkMessageSchema;

/** An API error (`{ error: { error_code, error_msg, request_params } }`, answered with HTTP 200). */
export const vkApiErrorSchema = z.looseObject({
  error_code: z.number().int(),
  error_msg: z.string().nullish(),
  request_params: z.array(z.looseObject({ key: z.string(), value: z.unknown() })).nullish(),
});
/** An API error as VK sends it. */
export type VkApiErrorWire = z.infer<typeof vkApiErrorSchema>;

/** Every API answer: `response` on success, `error` on failure (both with HTTP 200). */
export const vkEnvelopeSchema = z.looseObject({
  response: z.unknown().optional(),
  error: vkApiErrorSchema.nullish(),
});

/** `messages.send` with `peer_id`: the new message's id. */
export const vkSendResponseSchema = z.number().int();

/** `groups.getLongPollServer`. */
export const vkLongPollServerSchema = z.looseObject({
  key: z.string().min(1),
  server: z.string().min(1),
  ts: z.union([z.string(), z.number()]).transform(String),
});

/** A Bots Long Poll answer: new updates and the next `ts`, or `failed` 1/2/3. */
export const vkLongPollResponseSchema = z.looseObject({
  ts: z.union([z.string(), z.number()]).transform(String).nullish(),
  updates: z.array(z.unknown()).nullish(),
  failed: z.number().int().nullish(),
});

/** `photos.getMessagesUploadServer` / `docs.getMessagesUploadServer`: where to POST the file (`upload_url`). */
export const vkUploadServerSchema = z.looseObject({ upload_url: z.string().min(1) });

/**
 * What an upload server answers: `{ server, photo, hash }` for a message photo, `{ file }` for a document, or
 * `{ error, error_code?, error_descr? }` when it refused the file (vk-io's `Upload.upload`; SevereCloud/vksdk's
 * `uploadError`). Sent with HTTP 200 either way.
 */
export const vkUploadResultSchema = z.looseObject({
  server: z.union([z.number(), z.string()]).nullish(),
  photo: z.string().nullish(),
  hash: z.string().nullish(),
  file: z.string().nullish(),
  error: z.unknown().optional(),
  error_code: z.number().nullish(),
  error_descr: z.string().nullish(),
});

/** A saved photo or document: enough to name it as an attachment. */
const vkSavedMediaSchema = z.looseObject({
  id: z.number().int(),
  owner_id: z.number().int(),
  access_key: z.string().nullish(),
});

/** `photos.saveMessagesPhoto`: the saved photos (`PhotosPhoto[]`, one for a single upload). */
export const vkSavedPhotosSchema = z.array(vkSavedMediaSchema).min(1);

/** `docs.save`: `{ type: 'doc', doc: DocsDoc }` (the object sits under the key named by `type`). */
export const vkSavedDocSchema = z.looseObject({ type: z.string().nullish(), doc: vkSavedMediaSchema });
