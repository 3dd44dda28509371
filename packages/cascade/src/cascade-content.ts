import {
  type Channel,
  type MessageContent,
  type MessageContentInput,
  messageContentSchema,
  ValidationError,
} from '@omnidealer/core';
import { contentToPlainText, parseInput } from '@omnidealer/core/provider-utils';

/**
 * What a cascade sends. Either one content each channel renders (a string is a text message; a template's
 * `fallbackText` becomes the SMS; a text becomes an e-mail with a subject), or one content per channel id or kind:
 * `{ whatsapp: template, sms: { type: 'text', … }, email: { type: 'email', … } }`. A channel without content
 * in a per-channel map is left out of the plan (`no_content`).
 * @example
 * const content: CascadeContent = {
 *   whatsapp: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
 *   sms: { type: 'text', text: 'Иван, пора на ТО. Запись: +7 495 000-00-00' },
 * };
 */
export type CascadeContent = string | MessageContentInput | { [channelIdOrKind: string]: MessageContentInput };

/** {@link CascadeContent} after validation: what the planner works with. */
export type NormalizedContent =
  | { kind: 'single'; content: MessageContent; subject?: string | undefined }
  | { kind: 'per_channel'; contents: Record<string, MessageContent>; subject?: string | undefined };

const isSingle = (value: object): value is MessageContentInput =>
  'type' in value && typeof (value as { type: unknown }).type === 'string';

/**
 * Validates cascade content (zod, strict) and tags its shape.
 * @param subject e-mail subject used when a text is rendered as an e-mail.
 * @throws ValidationError naming the field (`content.sms.text`).
 */
export function normalizeContent(content: CascadeContent | NormalizedContent, subject?: string): NormalizedContent {
  if (typeof content === 'object' && content !== null && normalized.has(content as NormalizedContent))
    return content as NormalizedContent;
  const result = validate(content, subject);
  normalized.add(result);
  return result;
}

/** Contents this module validated: only these skip validation, so a hand-made `{ kind: 'single' }` cannot. */
const normalized = new WeakSet<NormalizedContent>();

function validate(content: CascadeContent | NormalizedContent, subject: string | undefined): NormalizedContent {
  if (typeof content === 'string') {
    return { kind: 'single', content: parseInput(messageContentSchema, { type: 'text', text: content }, 'content'), subject };
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new ValidationError({
      field: 'content',
      message: 'content must be a text, a message content or a map of channel → content',
    });
  }
  const kind = (content as { kind?: unknown }).kind;
  if (kind === 'single' && 'content' in content) {
    const single = content as { content: unknown; subject?: string | undefined };
    return {
      kind: 'single',
      content: parseInput(messageContentSchema, single.content, 'content.content'),
      subject: single.subject ?? subject,
    };
  }
  if (kind === 'per_channel' && 'contents' in content) {
    const perChannel = content as { contents: unknown; subject?: string | undefined };
    return validatePerChannel(perChannel.contents, 'content.contents', perChannel.subject ?? subject);
  }
  if (isSingle(content)) return { kind: 'single', content: parseInput(messageContentSchema, content, 'content'), subject };
  return validatePerChannel(content, 'content', subject);
}

function validatePerChannel(value: unknown, field: string, subject: string | undefined): NormalizedContent {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) {
    throw new ValidationError({ field, message: `${field} must map channel ids or kinds to message contents` });
  }
  const contents: Record<string, MessageContent> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    contents[key] = parseInput(messageContentSchema, inner, `${field}.${key}`);
  }
  return { kind: 'per_channel', contents, subject };
}

const rendered = new WeakMap<NormalizedContent, Map<string, MessageContent | null>>();

/** The per-channel renderings of one content (`null`: nothing for that channel); the planner looks it up once per plan. */
export function renderCacheOf(content: NormalizedContent): Map<string, MessageContent | null> {
  let cache = rendered.get(content);
  if (!cache) rendered.set(content, (cache = new Map()));
  return cache;
}

/**
 * The content one channel sends for a cascade content, or `undefined` when the channel has nothing to send.
 * Results are cached per (content, channel), since rendering does not depend on the contact; `cache` is that
 * content's cache when the caller already holds it (`renderCacheOf`).
 */
export function renderForChannel(
  channel: Channel,
  content: NormalizedContent,
  cache: Map<string, MessageContent | null> = renderCacheOf(content),
): MessageContent | undefined {
  const cached = cache.get(channel.id);
  if (cached !== undefined) return cached ?? undefined;
  const source = content.kind === 'single' ? content.content : (content.contents[channel.id] ?? content.contents[channel.kind]);
  const result = source ? adapt(channel, source, content.subject) : undefined;
  cache.set(channel.id, result ?? null);
  return result;
}

function adapt(channel: Channel, content: MessageContent, subject: string | undefined): MessageContent | undefined {
  const types = channel.capabilities.contentTypes;
  if (types.includes(content.type)) return content;
  const text = contentToPlainText(content);
  if (!text) return undefined;
  if (types.includes('text')) return { type: 'text', text };
  if (types.includes('email')) return { type: 'email', subject: subject ?? subjectFrom(text), text };
  return undefined;
}

/** The first line or sentence of a text, at most 78 characters: a usable e-mail subject. */
function subjectFrom(text: string): string {
  const first = (text.split(/\n|(?<=[.!?])\s/)[0] ?? text).trim();
  const chars = [...first];
  return chars.length <= 78 ? first : `${chars.slice(0, 77).join('')}…`;
}
