import type { z } from 'zod';
import type { WhatsAppInboundMessage, WhatsAppStatus, WhatsAppWebhook, whatsAppChangeValueSchema } from './whatsapp-api.js';

/*
 * Hand-written checks for the shapes Meta sends on nearly every delivery (PMP statuses, text messages, the envelope
 * around them): a zod parse of a 50-item batch cost more than the rest of the WhatsApp parsing together. Each check
 * accepts a value only when the matching schema in `whatsapp-api.ts` would accept it too, and then answers what the
 * schema's parse would (the same values, with timestamps coerced to numbers). Anything else — a field of another
 * type, a media or interactive message, an `errors` list, a timestamp as a number-like string with spaces — answers
 * `undefined`, and the caller runs the schema itself, which accepts it or reports its issues as before. The checks
 * never reject on their own.
 *
 * They work on the caller's freshly parsed JSON and reuse it instead of copying it (a coerced timestamp is written
 * back in place, once the whole value passed), so they must only be given values nobody else holds.
 */

type Json = Record<string, unknown>;

/** A plain JSON object (what `z.looseObject` accepts): not null, not an array. */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `z.string().nullish()`. */
function isStringOrNothing(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** `z.boolean().nullish()`. */
function isBooleanOrNothing(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'boolean';
}

/** `z.string().min(1)`. */
function isFilledString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * `z.coerce.number().min(0).max(1e11)` for the two forms Meta uses: a number, or a string of at most 11 ASCII digits
 * (`"1764067200"`). Returns the number, or -1 for anything else (left to the schema).
 */
function timestampOf(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= 1e11 ? value : -1;
  const number = digitsOf(value, 11);
  return Number.isNaN(number) ? -1 : number;
}

/** The number a string of 1…`maxLength` ASCII digits stands for; NaN for anything else. */
function digitsOf(value: unknown, maxLength: number): number {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return Number.NaN;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 48 || code > 57) return Number.NaN;
  }
  return Number(value);
}

/** `whatsAppWebhookSchema`: `{ object, entry: [{ id?, changes: [{ field, value }] }] }`. */
export function readWhatsAppEnvelope(json: unknown): WhatsAppWebhook | undefined {
  if (!isObject(json) || typeof json.object !== 'string' || !Array.isArray(json.entry)) return undefined;
  for (const entry of json.entry as unknown[]) {
    if (!isObject(entry) || !isStringOrNothing(entry.id) || !Array.isArray(entry.changes)) return undefined;
    // `value: z.unknown()` still wants the key present.
    for (const change of entry.changes as unknown[])
      if (!isObject(change) || typeof change.field !== 'string' || !('value' in change)) return undefined;
  }
  return json as WhatsAppWebhook;
}

/** What `whatsAppChangeValueSchema` makes of a `messages` change's `value`. */
export type WhatsAppChangeValue = z.infer<typeof whatsAppChangeValueSchema>;

/** `whatsAppChangeValueSchema`, for a value without `errors` (a change with errors goes to the schema). */
export function readWhatsAppChangeValue(value: unknown): WhatsAppChangeValue | undefined {
  if (!isObject(value) || !isStringOrNothing(value.messaging_product) || value.errors != null) return undefined;
  const metadata = value.metadata;
  if (metadata != null) {
    if (!isObject(metadata) || !isStringOrNothing(metadata.display_phone_number) || !isStringOrNothing(metadata.phone_number_id))
      return undefined;
  }
  const contacts = value.contacts;
  if (contacts != null) {
    if (!Array.isArray(contacts)) return undefined;
    for (const contact of contacts as unknown[]) {
      if (
        !isObject(contact) ||
        !isStringOrNothing(contact.wa_id) ||
        !isStringOrNothing(contact.user_id) ||
        !isStringOrNothing(contact.parent_user_id)
      )
        return undefined;
      const profile = contact.profile;
      if (profile != null && (!isObject(profile) || !isStringOrNothing(profile.name) || !isStringOrNothing(profile.username)))
        return undefined;
    }
  }
  if ((value.messages != null && !Array.isArray(value.messages)) || (value.statuses != null && !Array.isArray(value.statuses)))
    return undefined;
  return value as WhatsAppChangeValue;
}

/** `whatsAppStatusSchema`, for a status without `errors` (failed statuses go to the schema). */
export function readWhatsAppStatus(item: unknown): WhatsAppStatus | undefined {
  if (!isObject(item) || !isFilledString(item.id) || typeof item.status !== 'string') return undefined;
  if (
    !isStringOrNothing(item.recipient_id) ||
    !isStringOrNothing(item.recipient_user_id) ||
    !isStringOrNothing(item.biz_opaque_callback_data) ||
    item.errors != null
  )
    return undefined;
  const pricing = item.pricing;
  if (pricing != null) {
    if (
      !isObject(pricing) ||
      !isBooleanOrNothing(pricing.billable) ||
      !isStringOrNothing(pricing.pricing_model) ||
      !isStringOrNothing(pricing.category) ||
      !isStringOrNothing(pricing.type)
    )
      return undefined;
  }
  const conversation = item.conversation;
  let expiry: number | undefined;
  if (conversation != null) {
    if (!isObject(conversation) || !isStringOrNothing(conversation.id)) return undefined;
    const origin = conversation.origin;
    if (origin != null && (!isObject(origin) || !isStringOrNothing(origin.type))) return undefined;
    const expiration = conversation.expiration_timestamp;
    if (expiration != null) {
      // `z.coerce.number()` without bounds: any finite number, or (legacy CBP) a string of digits.
      expiry = typeof expiration === 'number' ? expiration : digitsOf(expiration, 15);
      if (!Number.isFinite(expiry)) return undefined;
    }
  }
  const timestamp = timestampOf(item.timestamp);
  if (timestamp < 0) return undefined;
  item.timestamp = timestamp;
  if (expiry !== undefined) (conversation as Json).expiration_timestamp = expiry;
  return item as WhatsAppStatus;
}

/** `z.string().min(1).nullish()`. */
function isFilledStringOrNothing(value: unknown): boolean {
  return value === undefined || value === null || isFilledString(value);
}

/**
 * `whatsAppInboundMessageSchema`, for a message without media, location, reaction, button, interactive, contacts,
 * referral, system or errors (a text, possibly a reply or forwarded; any other kind goes to the schema). The sender
 * is `from` (a `wa_id`), `from_user_id` (a username user's business-scoped id) or both.
 */
export function readWhatsAppInboundMessage(item: unknown): WhatsAppInboundMessage | undefined {
  if (
    !isObject(item) ||
    !isFilledStringOrNothing(item.from) ||
    !isFilledStringOrNothing(item.from_user_id) ||
    !isStringOrNothing(item.from_parent_user_id) ||
    !isFilledString(item.id) ||
    typeof item.type !== 'string'
  )
    return undefined;
  const text = item.text;
  if (text != null && (!isObject(text) || typeof text.body !== 'string')) return undefined;
  if (
    item.image != null ||
    item.video != null ||
    item.audio != null ||
    item.document != null ||
    item.sticker != null ||
    item.location != null ||
    item.reaction != null ||
    item.button != null ||
    item.interactive != null ||
    item.contacts != null ||
    item.referral != null ||
    item.system != null ||
    item.errors != null
  )
    return undefined;
  const context = item.context;
  if (context != null) {
    if (
      !isObject(context) ||
      !isStringOrNothing(context.from) ||
      !isStringOrNothing(context.id) ||
      !isBooleanOrNothing(context.forwarded) ||
      !isBooleanOrNothing(context.frequently_forwarded)
    )
      return undefined;
  }
  const timestamp = timestampOf(item.timestamp);
  if (timestamp < 0) return undefined;
  item.timestamp = timestamp;
  return item as WhatsAppInboundMessage;
}
