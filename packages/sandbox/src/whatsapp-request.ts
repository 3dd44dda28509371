import { z } from 'zod';

const mediaObject = z
  .object({ id: z.string().min(1).optional(), link: z.url().optional(), caption: z.string().max(1024).optional() })
  .loose()
  .refine((media) => media.id !== undefined || media.link !== undefined, 'either id or link is required');

const interactiveObject = z
  .object({
    type: z.enum(['button', 'list', 'cta_url', 'product', 'product_list', 'flow', 'location_request_message']),
    header: z.object({ type: z.string() }).loose().optional(),
    body: z
      .object({ text: z.string().min(1).max(1024) })
      .loose()
      .optional(),
    footer: z
      .object({ text: z.string().max(60) })
      .loose()
      .optional(),
    action: z
      .object({
        buttons: z
          .array(
            z
              .object({
                type: z.literal('reply'),
                reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }).loose(),
              })
              .loose(),
          )
          .min(1)
          .max(3)
          .optional(),
        button: z.string().min(1).max(20).optional(),
        sections: z.array(z.object({}).loose()).max(10).optional(),
      })
      .loose(),
  })
  .loose();

/**
 * The shape of a Cloud API `POST /{phone-number-id}/messages` body as Meta validates it (the parts that make Meta
 * answer `(#100) Invalid parameter`). Lenient on extra fields, like the real API.
 */
export const whatsAppSendRequestSchema = z
  .object({
    messaging_product: z.literal('whatsapp'),
    recipient_type: z.literal('individual').optional(),
    to: z
      .string()
      .regex(/^\+?\d{7,15}$/, 'must be a phone number in international format')
      .optional(),
    /** A business-scoped user id (`US.1349…`, parent ids `US.ENT.1181…`): a username user without a phone. */
    recipient: z
      .string()
      .regex(/^[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/, 'must be a business-scoped user id')
      .optional(),
    type: z
      .enum([
        'text',
        'template',
        'image',
        'video',
        'audio',
        'document',
        'sticker',
        'interactive',
        'location',
        'contacts',
        'reaction',
      ])
      .default('text'),
    context: z
      .object({ message_id: z.string().min(1) })
      .loose()
      .optional(),
    biz_opaque_callback_data: z.string().max(512).optional(),
    text: z
      .object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() })
      .loose()
      .optional(),
    template: z
      .object({
        name: z.string().min(1).max(512),
        language: z.object({ code: z.string().min(2) }).loose(),
        components: z.array(z.object({ type: z.string() }).loose()).optional(),
      })
      .loose()
      .optional(),
    image: mediaObject.optional(),
    video: mediaObject.optional(),
    audio: mediaObject.optional(),
    document: mediaObject.optional(),
    sticker: mediaObject.optional(),
    interactive: interactiveObject.optional(),
    location: z.object({ latitude: z.number(), longitude: z.number() }).loose().optional(),
    contacts: z.array(z.object({}).loose()).min(1).optional(),
    reaction: z
      .object({ message_id: z.string().min(1), emoji: z.string() })
      .loose()
      .optional(),
  })
  .loose()
  .superRefine((body, context) => {
    // Meta: `to` (a phone number) or `recipient` (a business-scoped user id); `to` wins when both are set.
    if (body.to === undefined && body.recipient === undefined) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'is required (or recipient)' });
    }
    if (body[body.type] === undefined) {
      context.addIssue({ code: 'custom', path: [body.type], message: `is required for type '${body.type}'` });
    }
  });

/** A validated send request. */
export type WhatsAppSendRequest = z.output<typeof whatsAppSendRequestSchema>;

/** `{"messaging_product":"whatsapp","status":"read","message_id":"wamid…"}` */
export const whatsAppMarkReadRequestSchema = z
  .object({
    messaging_product: z.literal('whatsapp'),
    status: z.literal('read'),
    message_id: z.string().startsWith('wamid.'),
    typing_indicator: z.object({ type: z.literal('text') }).optional(),
  })
  .loose();

/** Meta's wording for a failed parameter check: `Param text['body'] is required`-style details. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'Invalid parameter';
  const [head, ...rest] = issue.path.map(String);
  const path = head === undefined ? 'body' : `${head}${rest.map((part) => `['${part}']`).join('')}`;
  return `Param ${path} ${issue.message}`;
}
