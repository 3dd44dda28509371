import { z } from 'zod';

/**
 * zod schemas of the WhatsApp Cloud API wire format. Lenient on purpose: unknown fields pass and optional fields
 * are `.nullish()`, so Meta adding a field never breaks parsing.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
 */

/**
 * `POST /{phone-number-id}/messages` success body. `contacts[]` has `wa_id` when the message went `to` a phone number,
 * `user_id` (the business-scoped user id) when it went to a `recipient`.
 */
export const whatsAppSendResponseSchema = z.looseObject({
  messaging_product: z.string().nullish(),
  contacts: z
    .array(z.looseObject({ input: z.string().nullish(), wa_id: z.string().nullish(), user_id: z.string().nullish() }))
    .nullish(),
  messages: z
    .array(z.looseObject({ id: z.string().min(1), message_status: z.string().nullish() }))
    .min(1, 'expected messages[0].id'),
});
/** A parsed send response. */
export type WhatsAppSendResponse = z.infer<typeof whatsAppSendResponseSchema>;

/** `POST /{phone-number-id}/messages` mark-read success body `{ "success": true }`. */
export const whatsAppSuccessResponseSchema = z.looseObject({ success: z.boolean().nullish() });

/** Graph API error object (inside `{ "error": … }`), also the shape of `errors[]` items in webhooks. */
export const whatsAppErrorSchema = z.looseObject({
  message: z.string().nullish(),
  type: z.string().nullish(),
  code: z.coerce.number().nullish(),
  error_subcode: z.coerce.number().nullish(),
  title: z.string().nullish(),
  error_user_title: z.string().nullish(),
  error_user_msg: z.string().nullish(),
  error_data: z.union([z.looseObject({ details: z.string().nullish() }), z.string()]).nullish(),
  fbtrace_id: z.string().nullish(),
});
/** One Graph API error. */
export type WhatsAppError = z.infer<typeof whatsAppErrorSchema>;

/** Graph API error envelope `{ "error": { message, type, code, error_subcode, error_data, fbtrace_id } }`. */
export const whatsAppErrorEnvelopeSchema = z.looseObject({ error: whatsAppErrorSchema });

const mediaSchema = z.looseObject({
  id: z.string(),
  mime_type: z.string().nullish(),
  sha256: z.string().nullish(),
  caption: z.string().nullish(),
  filename: z.string().nullish(),
  animated: z.boolean().nullish(),
  voice: z.boolean().nullish(),
});

/**
 * A `system` message: the user changed their number (`user_changed_number`, older `customer_changed_number`) or
 * their business-scoped user id changed without a number we may see (`user_changed_user_id`).
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system/
 */
export const whatsAppSystemSchema = z.looseObject({
  body: z.string().nullish(),
  type: z.string().nullish(),
  /** The new `wa_id` (webhooks v12 and later). */
  wa_id: z.string().nullish(),
  /** The new `wa_id` before webhooks v12. */
  new_wa_id: z.coerce.string().nullish(),
  /** The old `wa_id` (older payloads). */
  customer: z.string().nullish(),
  /** The new business-scoped user id and parent id. */
  user_id: z.string().nullish(),
  parent_user_id: z.string().nullish(),
  previous_user_id: z.string().nullish(),
  previous_parent_user_id: z.string().nullish(),
});

/**
 * One inbound message in a `messages` webhook. Unknown `type`s pass and are reported as unsupported. `from` (the
 * `wa_id`) is missing for a user who hides their number behind a username: `from_user_id` (their business-scoped
 * user id) is then the sender; a `system` message may carry neither.
 */
export const whatsAppInboundMessageSchema = z.looseObject({
  from: z.string().min(1).nullish(),
  from_user_id: z.string().min(1).nullish(),
  from_parent_user_id: z.string().nullish(),
  id: z.string().min(1),
  timestamp: z.coerce.number().min(0).max(1e11), // unix seconds; bounded so `* 1000` stays finite
  type: z.string(),
  text: z.looseObject({ body: z.string() }).nullish(),
  image: mediaSchema.nullish(),
  video: mediaSchema.nullish(),
  audio: mediaSchema.nullish(),
  document: mediaSchema.nullish(),
  sticker: mediaSchema.nullish(),
  location: z
    .looseObject({
      latitude: z.coerce.number(),
      longitude: z.coerce.number(),
      name: z.string().nullish(),
      address: z.string().nullish(),
      url: z.string().nullish(),
    })
    .nullish(),
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().nullish() }).nullish(),
  button: z.looseObject({ payload: z.string().nullish(), text: z.string().nullish() }).nullish(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).nullish(),
      list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().nullish() }).nullish(),
    })
    .nullish(),
  contacts: z.array(z.looseObject({})).nullish(),
  context: z
    .looseObject({
      from: z.string().nullish(),
      id: z.string().nullish(),
      forwarded: z.boolean().nullish(),
      frequently_forwarded: z.boolean().nullish(),
    })
    .nullish(),
  referral: z.looseObject({}).nullish(),
  system: whatsAppSystemSchema.nullish(),
  errors: z.array(whatsAppErrorSchema).nullish(),
});
/** One inbound message. */
export type WhatsAppInboundMessage = z.infer<typeof whatsAppInboundMessageSchema>;

/** Pricing object of a status webhook (per-message pricing `PMP` since 2025-07, legacy `CBP`). */
export const whatsAppPricingSchema = z.looseObject({
  billable: z.boolean().nullish(),
  pricing_model: z.string().nullish(),
  category: z.string().nullish(),
  type: z.string().nullish(),
});

/**
 * One status in a `messages` webhook. `recipient_id` (the `wa_id`) is there only when the user's phone is known;
 * `recipient_user_id` (the business-scoped user id) when Meta has one, always for a message sent to a `recipient`.
 */
export const whatsAppStatusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.coerce.number().min(0).max(1e11),
  recipient_id: z.string().nullish(),
  recipient_user_id: z.string().nullish(),
  conversation: z
    .looseObject({
      id: z.string().nullish(),
      origin: z.looseObject({ type: z.string().nullish() }).nullish(),
      expiration_timestamp: z.coerce.number().nullish(),
    })
    .nullish(),
  pricing: whatsAppPricingSchema.nullish(),
  errors: z.array(whatsAppErrorSchema).nullish(),
  biz_opaque_callback_data: z.string().nullish(),
});
/** One status update. */
export type WhatsAppStatus = z.infer<typeof whatsAppStatusSchema>;

/** The `value` of one `changes[]` item. Inner arrays are parsed item by item later, so one odd item cannot sink a batch. */
export const whatsAppChangeValueSchema = z.looseObject({
  messaging_product: z.string().nullish(),
  metadata: z.looseObject({ display_phone_number: z.string().nullish(), phone_number_id: z.string().nullish() }).nullish(),
  contacts: z
    .array(
      z.looseObject({
        wa_id: z.string().nullish(),
        user_id: z.string().nullish(),
        parent_user_id: z.string().nullish(),
        profile: z.looseObject({ name: z.string().nullish(), username: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
  messages: z.array(z.unknown()).nullish(),
  statuses: z.array(z.unknown()).nullish(),
  errors: z.array(whatsAppErrorSchema).nullish(),
});

/** The webhook envelope `{ object, entry: [{ id, changes: [{ field, value }] }] }`. */
export const whatsAppWebhookSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().nullish(),
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});
/** A parsed webhook envelope. */
export type WhatsAppWebhook = z.infer<typeof whatsAppWebhookSchema>;

/** One template of `GET /{waba-id}/message_templates`. */
export const whatsAppTemplateSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string(),
  parameter_format: z.string().nullish(),
  components: z
    .array(
      z.looseObject({
        type: z.string(),
        format: z.string().nullish(),
        text: z.string().nullish(),
        buttons: z.array(z.looseObject({ type: z.string(), text: z.string().nullish() })).nullish(),
      }),
    )
    .nullish(),
});

/** `GET /{waba-id}/message_templates` page with cursor paging. */
export const whatsAppTemplateListSchema = z.looseObject({
  data: z.array(whatsAppTemplateSchema),
  paging: z
    .looseObject({ cursors: z.looseObject({ after: z.string().nullish() }).nullish(), next: z.string().nullish() })
    .nullish(),
});
/** A page of templates as Meta returns it. */
export type WhatsAppTemplateList = z.infer<typeof whatsAppTemplateListSchema>;

/** `message_template_status_update` webhook value: Meta approved, rejected, paused or disabled a template. */
export const whatsAppTemplateStatusUpdateSchema = z.looseObject({
  event: z.string().min(1),
  message_template_id: z.coerce.string().nullish(),
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
  reason: z.string().nullish(),
});

/**
 * `template_category_update` webhook value: Meta moved a template to another category (`previous_category` →
 * `new_category`), or will in 24 h (`new_category` is then the current one, `correct_category` the coming one, at
 * `category_update_timestamp`).
 * @see https://developers.facebook.com/docs/whatsapp/template_category_update
 */
export const whatsAppTemplateCategoryUpdateSchema = z.looseObject({
  message_template_id: z.coerce.string().nullish(),
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
  new_category: z.string().min(1),
  previous_category: z.string().nullish(),
  correct_category: z.string().nullish(),
  category_update_timestamp: z.number().nullish(),
});
