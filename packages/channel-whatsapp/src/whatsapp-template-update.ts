import { whatsAppTemplateCategoryUpdateSchema, whatsAppTemplateStatusUpdateSchema } from './whatsapp-api.js';
import type { WhatsAppTemplateCategory } from './whatsapp-template.js';

/** A template review/quality change Meta reported by webhook (`message_template_status_update`). */
export interface WhatsAppTemplateStatusUpdate {
  name: string;
  language: string;
  /** Meta's event: `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `PENDING_DELETION`, `FLAGGED`, `REINSTATED`… */
  status: string;
  reason?: string | undefined;
}

/**
 * A template category change Meta reported by webhook (`template_category_update`). The category decides the price
 * of every later message with the template.
 */
export interface WhatsAppTemplateCategoryUpdate {
  name: string;
  language: string;
  /** Meta's template id. */
  templateId?: string | undefined;
  /** The category in force now (after a completed change, the new one). */
  category: WhatsAppTemplateCategory;
  /** The category before a completed change. */
  previousCategory?: WhatsAppTemplateCategory | undefined;
  /** An announced change: the category the template moves to, and when (ms). */
  upcoming?: { category: WhatsAppTemplateCategory; at: number } | undefined;
}

const categories = new Set<string>(['marketing', 'utility', 'authentication']);

/** Meta's upper-case category as ours; `undefined` for one we do not price (a legacy category). */
function categoryOf(value: string | null | undefined): WhatsAppTemplateCategory | undefined {
  const lower = value?.toLowerCase();
  return lower && categories.has(lower) ? (lower as WhatsAppTemplateCategory) : undefined;
}

/** Reads a `message_template_status_update` change value; `undefined` when it is not one. */
export function readWhatsAppTemplateStatusUpdate(value: unknown): WhatsAppTemplateStatusUpdate | undefined {
  const update = whatsAppTemplateStatusUpdateSchema.safeParse(value);
  if (!update.success) return undefined;
  return {
    name: update.data.message_template_name,
    language: update.data.message_template_language,
    status: update.data.event.toUpperCase(),
    ...(update.data.reason ? { reason: update.data.reason } : {}),
  };
}

/**
 * Reads a `template_category_update` change value: a completed change (`previous_category` → `new_category`) or one
 * announced 24 h ahead (`new_category` is then the current category, `correct_category` the coming one at
 * `category_update_timestamp`). `undefined` when it is not one or names a category we do not price.
 * @see https://developers.facebook.com/docs/whatsapp/template_category_update
 */
export function readWhatsAppTemplateCategoryUpdate(value: unknown): WhatsAppTemplateCategoryUpdate | undefined {
  const update = whatsAppTemplateCategoryUpdateSchema.safeParse(value);
  if (!update.success) return undefined;
  const category = categoryOf(update.data.new_category);
  if (!category) return undefined;
  const previousCategory = categoryOf(update.data.previous_category);
  const coming = categoryOf(update.data.correct_category);
  const at = update.data.category_update_timestamp;
  return {
    name: update.data.message_template_name,
    language: update.data.message_template_language,
    ...(update.data.message_template_id ? { templateId: update.data.message_template_id } : {}),
    category,
    ...(previousCategory ? { previousCategory } : {}),
    ...(coming && typeof at === 'number' ? { upcoming: { category: coming, at: at * 1000 } } : {}),
  };
}
