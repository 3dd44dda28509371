import { z } from 'zod';

/** Plain text. `previewUrl` asks WhatsApp to render a link preview. */
export const textContentSchema = z
  .object({ type: z.literal('text'), text: z.string().min(1, 'text must not be empty'), previewUrl: z.boolean().optional() })
  .strict();

/** A template parameter: text, or a media/currency/date value, positional or named. */
export const templateParameterSchema = z.union([
  z.string(),
  z.object({ type: z.literal('text'), text: z.string(), name: z.string().optional() }).strict(),
  z
    .object({
      type: z.literal('currency'),
      fallback: z.string(),
      code: z.string().length(3),
      amount1000: z.number().int(),
      name: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('date_time'), fallback: z.string(), name: z.string().optional() }).strict(),
  z
    .object({
      type: z.enum(['image', 'video', 'document']),
      url: z.url().optional(),
      mediaId: z.string().optional(),
      filename: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('location'),
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .strict(),
]);
export type TemplateParameter = z.infer<typeof templateParameterSchema>;

/**
 * An approved provider template (WhatsApp) or a named template another channel renders (email subject/body).
 * `params` holds body parameters: an array for positional `{{1}}`, or a record for named `{{model}}`.
 */
export const templateContentSchema = z
  .object({
    type: z.literal('template'),
    name: z.string().min(1),
    language: z.string().min(2).default('ru'),
    params: z.union([z.array(templateParameterSchema), z.record(z.string(), templateParameterSchema)]).optional(),
    header: z.array(templateParameterSchema).optional(),
    buttons: z
      .array(
        z
          .object({
            index: z.number().int().min(0).max(9),
            subType: z.enum(['quick_reply', 'url', 'copy_code']),
            payload: z.string(),
          })
          .strict(),
      )
      .optional(),
    /** Text other channels use when they cannot send the template itself (SMS, Avito). */
    fallbackText: z.string().optional(),
  })
  .strict();

export const mediaKindSchema = z.enum(['image', 'video', 'document', 'audio', 'sticker']);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** A picture, video, document or audio by public URL or by the provider's uploaded id. */
export const mediaContentSchema = z
  .object({
    type: z.literal('media'),
    kind: mediaKindSchema,
    url: z.url({ protocol: /^https?$/ }).optional(),
    mediaId: z.string().min(1).optional(),
    caption: z.string().optional(),
    filename: z.string().optional(),
    mimeType: z.string().optional(),
  })
  .strict()
  .refine((media) => Boolean(media.url) !== Boolean(media.mediaId), {
    message: 'exactly one of url or mediaId is required',
    path: ['url'],
  });

const buttonSchema = z.object({ id: z.string().min(1), title: z.string().min(1) }).strict();
const listRowSchema = z.object({ id: z.string().min(1), title: z.string().min(1), description: z.string().optional() }).strict();

/** Reply buttons or a list menu (WhatsApp interactive messages). */
export const interactiveContentSchema = z
  .object({
    type: z.literal('interactive'),
    body: z.string().min(1),
    header: z.string().optional(),
    footer: z.string().optional(),
    action: z.discriminatedUnion('type', [
      z.object({ type: z.literal('buttons'), buttons: z.array(buttonSchema).min(1) }).strict(),
      z
        .object({
          type: z.literal('list'),
          button: z.string().min(1),
          sections: z.array(z.object({ title: z.string().optional(), rows: z.array(listRowSchema).min(1) }).strict()).min(1),
        })
        .strict(),
    ]),
  })
  .strict();

export const locationContentSchema = z
  .object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().optional(),
    address: z.string().optional(),
  })
  .strict();

/** A reaction (emoji) to an earlier message, by our or the provider's message id. */
export const reactionContentSchema = z
  .object({ type: z.literal('reaction'), messageId: z.string().min(1), emoji: z.string() })
  .strict();

/** E-mail shaped content: subject + text + optional HTML. Other channels send `text`. */
export const emailContentSchema = z
  .object({ type: z.literal('email'), subject: z.string().min(1), text: z.string().min(1), html: z.string().optional() })
  .strict();

/** What a message says, as a discriminated union on `type`. */
export const messageContentSchema = z.discriminatedUnion('type', [
  textContentSchema,
  templateContentSchema,
  mediaContentSchema,
  interactiveContentSchema,
  locationContentSchema,
  reactionContentSchema,
  emailContentSchema,
]);

export type MessageContent = z.output<typeof messageContentSchema>;
export type MessageContentInput = z.input<typeof messageContentSchema>;
export type TextContent = z.output<typeof textContentSchema>;
export type TemplateContent = z.output<typeof templateContentSchema>;
export type MediaContent = z.output<typeof mediaContentSchema>;
export type InteractiveContent = z.output<typeof interactiveContentSchema>;
export type LocationContent = z.output<typeof locationContentSchema>;
export type ReactionContent = z.output<typeof reactionContentSchema>;
export type EmailContent = z.output<typeof emailContentSchema>;

/** The plain text a text-only channel (SMS, Avito) would send for this content, or undefined when it has none. */
export function contentToPlainText(content: MessageContent): string | undefined {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'email':
      return content.text;
    case 'template':
      return content.fallbackText;
    case 'interactive':
      return content.body;
    case 'media':
      return content.caption ? `${content.caption}${content.url ? ` ${content.url}` : ''}` : content.url;
    case 'location':
      return [content.name, content.address, `${content.latitude},${content.longitude}`].filter(Boolean).join(', ');
    case 'reaction':
      return undefined;
  }
}
