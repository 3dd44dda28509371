import { ValidationError } from '@omnidealer/core';
import { parseInput, type TemplateContent, type TemplateParameter } from '@omnidealer/core/provider-utils';
import { z } from 'zod';
import type { WhatsAppTemplateList } from './whatsapp-api.js';

/** Meta's template categories, lower-cased. They decide the price of a template message. */
export type WhatsAppTemplateCategory = 'marketing' | 'utility' | 'authentication';

/** Meta's template review states. Only `APPROVED` templates can be sent. */
export type WhatsAppTemplateStatus =
  | 'APPROVED'
  | 'PENDING'
  | 'REJECTED'
  | 'PAUSED'
  | 'DISABLED'
  | 'IN_APPEAL'
  | 'PENDING_DELETION'
  | 'LIMIT_EXCEEDED'
  | (string & {});

/** A known template, declared in code or loaded from the WABA: what offline validation and pricing need. */
export interface WhatsAppTemplateDefinition {
  name: string;
  /** Meta language code (`ru`, `en_US`). */
  language: string;
  category: WhatsAppTemplateCategory;
  /** Review state; only `APPROVED` templates can be sent. @default 'APPROVED' */
  status?: WhatsAppTemplateStatus | undefined;
  /** `positional` for `{{1}}`, `named` for `{{model}}`. Unset: whichever the message uses. */
  parameterFormat?: 'positional' | 'named' | undefined;
  /** Body parameters in order: names (`model`) for named templates, labels for positional ones (`client` for `{{1}}`). */
  bodyParams?: string[] | undefined;
  /** Number of header parameters (0 or 1: one text variable or one media/location). */
  headerParams?: number | undefined;
  /** The approved body text, when known: used to check the rendered length (≤ 1024). */
  body?: string | undefined;
}

/** Strict schema of a {@link WhatsAppTemplateDefinition}: errors name the field. */
export const whatsAppTemplateDefinitionSchema: z.ZodType<WhatsAppTemplateDefinition> = z
  .object({
    name: z.string().min(1),
    language: z.string().min(2),
    category: z.enum(['marketing', 'utility', 'authentication']),
    status: z.string().min(1).optional(),
    parameterFormat: z.enum(['positional', 'named']).optional(),
    bodyParams: z.array(z.string().min(1)).optional(),
    headerParams: z.number().int().min(0).max(1).optional(),
    body: z.string().optional(),
  })
  .strict();

/** The templates a channel knows, by name and language. */
export interface WhatsAppTemplateRegistry {
  /** The definition of `name` in `language`, if known. */
  get(name: string, language: string): WhatsAppTemplateDefinition | undefined;
  /** Every known template. */
  list(): WhatsAppTemplateDefinition[];
  /** Replaces the known templates (after loading them from the WABA). */
  replace(definitions: WhatsAppTemplateDefinition[]): void;
  /**
   * Records a status Meta reported by webhook. `FLAGGED` (quality warning) keeps a template sendable and
   * `REINSTATED` makes it `APPROVED` again; unknown templates are ignored.
   */
  setStatus(name: string, language: string, status: string): void;
  /**
   * Records a category Meta reported by webhook (`template_category_update`): the category in force now, and an
   * announced change from `upcoming.at` on. Unknown templates are ignored.
   */
  setCategory(
    name: string,
    language: string,
    category: WhatsAppTemplateCategory,
    upcoming?: { category: WhatsAppTemplateCategory; at: number },
  ): void;
  /** The category of `name` in `language` at `at` (ms): an announced change counts once its time has come. */
  categoryAt(name: string, language: string, at: number): WhatsAppTemplateCategory | undefined;
  /** Number of known templates; 0 means "nothing declared": template names are then not checked. */
  readonly size: number;
}

const key = (name: string, language: string) => `${name}\u0000${language}`;

/**
 * Creates a template registry from declared definitions (validated strictly).
 * @throws ValidationError naming the field of a malformed definition.
 * @example
 * const templates = createWhatsAppTemplateRegistry([
 *   { name: 'booking_reminder', language: 'ru', category: 'utility', bodyParams: ['client', 'model'] },
 * ]);
 */
export function createWhatsAppTemplateRegistry(definitions: WhatsAppTemplateDefinition[] = []): WhatsAppTemplateRegistry {
  const byKey = new Map<string, WhatsAppTemplateDefinition>();
  /** Category changes Meta announced 24 h ahead, by template. */
  const upcomingByKey = new Map<string, { category: WhatsAppTemplateCategory; at: number }>();
  const replace = (list: WhatsAppTemplateDefinition[]) => {
    const parsed = parseInput(z.array(whatsAppTemplateDefinitionSchema), list, 'templates', 'whatsapp');
    byKey.clear();
    upcomingByKey.clear();
    for (const definition of parsed) byKey.set(key(definition.name, definition.language), definition);
  };
  replace(definitions);
  return {
    get: (name, language) => byKey.get(key(name, language)),
    list: () => [...byKey.values()],
    replace,
    setStatus(name, language, status) {
      const known = byKey.get(key(name, language));
      if (!known || status === 'FLAGGED') return;
      byKey.set(key(name, language), { ...known, status: status === 'REINSTATED' ? 'APPROVED' : status });
    },
    setCategory(name, language, category, upcoming) {
      const id = key(name, language);
      const known = byKey.get(id);
      if (!known) return;
      if (known.category !== category) byKey.set(id, { ...known, category });
      if (upcoming) upcomingByKey.set(id, upcoming);
      else upcomingByKey.delete(id);
    },
    categoryAt(name, language, at) {
      const id = key(name, language);
      const upcoming = upcomingByKey.get(id);
      return upcoming && at >= upcoming.at ? upcoming.category : byKey.get(id)?.category;
    },
    get size() {
      return byKey.size;
    },
  };
}

/** Longest text parameter in a template body (the whole body is limited to 1024 characters). */
const maxBodyParamLength = 1024;
/** Longest text parameter in a header (header text ≤ 60). */
const maxHeaderParamLength = 60;

function invalid(field: string, message: string): ValidationError {
  return new ValidationError({ channel: 'whatsapp', field, message: `${field}: ${message}` });
}

function checkTextParameter(parameter: TemplateParameter, field: string, maxLength: number): void {
  const text = typeof parameter === 'string' ? parameter : parameter.type === 'text' ? parameter.text : undefined;
  if (text === undefined) return;
  if (text.trim() === '') throw invalid(field, 'template parameter must not be empty');
  if (text.length > maxLength && [...text].length > maxLength)
    throw invalid(field, `template parameter is ${[...text].length} characters; max ${maxLength}`);
  if (/[\n\t]| {5,}/.test(text))
    throw invalid(field, 'template parameter must not contain new lines, tabs or more than 4 consecutive spaces');
}

/** The declared format, or, when undeclared, the one the content uses (any named parameter → named). */
function isNamedFormat(definition: WhatsAppTemplateDefinition, provided: Array<{ name: string | undefined }>): boolean {
  if (definition.parameterFormat) return definition.parameterFormat === 'named';
  return provided.some(({ name }) => name !== undefined);
}

/** Body parameters of the content as `[name or position, parameter]` pairs. */
function bodyParameters(content: TemplateContent): Array<{ name: string | undefined; parameter: TemplateParameter }> {
  const params = content.params;
  if (!params) return [];
  if (Array.isArray(params))
    return params.map((parameter) => ({
      name: typeof parameter === 'object' && 'name' in parameter ? parameter.name : undefined,
      parameter,
    }));
  return Object.entries(params).map(([name, parameter]) => ({ name, parameter }));
}

/**
 * Validates a template message offline: known name and language, status `APPROVED`, body parameters present
 * (none missing, none extra, by position or by name), header parameter count, text parameter lengths and
 * characters, and the rendered body length when the body text is known. Without a registry entry only the
 * parameter texts are checked.
 * @throws ValidationError naming the parameter (`content.params.model`, `content.params.1`) or the template.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
 */
export function validateWhatsAppTemplate(content: TemplateContent, registry: WhatsAppTemplateRegistry): void {
  const provided = bodyParameters(content);
  provided.forEach(({ name, parameter }, index) => {
    checkTextParameter(parameter, `content.params.${name ?? index}`, maxBodyParamLength);
  });
  (content.header ?? []).forEach((parameter, index) => {
    checkTextParameter(parameter, `content.header.${index}`, maxHeaderParamLength);
  });
  if (registry.size === 0) return;
  const definition = registry.get(content.name, content.language);
  if (!definition) {
    const languages = registry
      .list()
      .filter((known) => known.name === content.name)
      .map((known) => known.language);
    throw invalid(
      'content.name',
      languages.length
        ? `template "${content.name}" has no "${content.language}" translation (known: ${languages.join(', ')})`
        : `unknown template "${content.name}"`,
    );
  }
  const status = definition.status ?? 'APPROVED';
  if (status !== 'APPROVED')
    throw invalid('content.name', `template "${content.name}" is ${status}; only APPROVED templates can be sent`);

  const expected = definition.bodyParams ?? [];
  if (isNamedFormat(definition, provided)) {
    const names = new Set<string>();
    for (const [index, { name }] of provided.entries()) {
      if (name === undefined)
        throw invalid(`content.params.${index}`, `template "${content.name}" uses named parameters; give this one a name`);
      if (!expected.includes(name))
        throw invalid(`content.params.${name}`, `unknown parameter "${name}" for template "${content.name}"`);
      names.add(name);
    }
    const missing = expected.find((name) => !names.has(name));
    if (missing) throw invalid(`content.params.${missing}`, `missing parameter "${missing}" for template "${content.name}"`);
  } else {
    if (provided.length < expected.length) {
      const position = provided.length;
      throw invalid(
        `content.params.${position}`,
        `missing parameter {{${position + 1}}} (${expected[position]}) for template "${content.name}"`,
      );
    }
    if (provided.length > expected.length)
      throw invalid(
        `content.params.${expected.length}`,
        `template "${content.name}" takes ${expected.length} body parameters, got ${provided.length}`,
      );
  }
  const headerCount = content.header?.length ?? 0;
  if (definition.headerParams !== undefined && headerCount !== definition.headerParams)
    throw invalid(
      'content.header',
      `template "${content.name}" takes ${definition.headerParams} header parameters, got ${headerCount}`,
    );
  if (definition.body) {
    const values = new Map<string, string>();
    provided.forEach(({ name, parameter }, index) => {
      const text =
        typeof parameter === 'string'
          ? parameter
          : 'fallback' in parameter
            ? parameter.fallback
            : 'text' in parameter
              ? parameter.text
              : '';
      values.set(name ?? String(index + 1), text);
    });
    const rendered = definition.body.replace(/\{\{\s*([\w]+)\s*\}\}/g, (all, name: string) => values.get(name) ?? all);
    if (rendered.length > 1024 && [...rendered].length > 1024)
      throw invalid('content.params', `rendered template body is ${[...rendered].length} characters; max 1024`);
  }
}

/** A template parameter in WhatsApp's wire format. */
export type WhatsAppTemplateParameter = Record<string, unknown> & { type: string };

/** A template component in WhatsApp's wire format (`header`, `body`, `button`). */
export interface WhatsAppTemplateComponent {
  type: 'header' | 'body' | 'button';
  sub_type?: string;
  index?: string;
  parameters: WhatsAppTemplateParameter[];
}

/** The `template` object of a template message. */
export interface WhatsAppTemplatePayload {
  name: string;
  language: { code: string };
  components?: WhatsAppTemplateComponent[];
}

function toWireParameter(parameter: TemplateParameter, name?: string): WhatsAppTemplateParameter {
  const named = name === undefined ? {} : { parameter_name: name };
  if (typeof parameter === 'string') return { type: 'text', ...named, text: parameter };
  switch (parameter.type) {
    case 'text':
      return { type: 'text', ...(parameter.name ? { parameter_name: parameter.name } : named), text: parameter.text };
    case 'currency':
      return {
        type: 'currency',
        ...(parameter.name ? { parameter_name: parameter.name } : named),
        currency: { fallback_value: parameter.fallback, code: parameter.code, amount_1000: parameter.amount1000 },
      };
    case 'date_time':
      return {
        type: 'date_time',
        ...(parameter.name ? { parameter_name: parameter.name } : named),
        date_time: { fallback_value: parameter.fallback },
      };
    case 'location':
      return {
        type: 'location',
        location: {
          latitude: parameter.latitude,
          longitude: parameter.longitude,
          ...(parameter.name ? { name: parameter.name } : {}),
          ...(parameter.address ? { address: parameter.address } : {}),
        },
      };
    default: {
      const media = {
        ...(parameter.mediaId ? { id: parameter.mediaId } : { link: parameter.url }),
        ...(parameter.type === 'document' && parameter.filename ? { filename: parameter.filename } : {}),
      };
      return { type: parameter.type, [parameter.type]: media };
    }
  }
}

/**
 * Converts template content into the `template` object of a send request: header, body (positional or named
 * with `parameter_name`) and button components (`quick_reply` payload, `url` suffix, `copy_code` coupon).
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
 */
export function toWhatsAppTemplate(content: TemplateContent): WhatsAppTemplatePayload {
  const components: WhatsAppTemplateComponent[] = [];
  if (content.header?.length)
    components.push({ type: 'header', parameters: content.header.map((parameter) => toWireParameter(parameter)) });
  const params = content.params;
  if (params && (Array.isArray(params) ? params.length : Object.keys(params).length)) {
    const parameters = Array.isArray(params)
      ? params.map((parameter) => toWireParameter(parameter))
      : Object.entries(params).map(([name, parameter]) => toWireParameter(parameter, name));
    components.push({ type: 'body', parameters });
  }
  for (const button of content.buttons ?? []) {
    const parameter: WhatsAppTemplateParameter =
      button.subType === 'quick_reply'
        ? { type: 'payload', payload: button.payload }
        : button.subType === 'url'
          ? { type: 'text', text: button.payload }
          : { type: 'coupon_code', coupon_code: button.payload };
    components.push({ type: 'button', sub_type: button.subType, index: String(button.index), parameters: [parameter] });
  }
  return { name: content.name, language: { code: content.language }, ...(components.length ? { components } : {}) };
}

const placeholderPattern = /\{\{\s*([\w]+)\s*\}\}/g;

/**
 * Converts a page of `GET /{waba-id}/message_templates` into definitions: category, status, parameter format,
 * body parameter names in order of first appearance, header parameter count and body text.
 * @see https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates/
 */
export function templatesFromWhatsAppList(list: WhatsAppTemplateList): WhatsAppTemplateDefinition[] {
  const categories = new Set(['marketing', 'utility', 'authentication']);
  const definitions: WhatsAppTemplateDefinition[] = [];
  for (const template of list.data) {
    const category = template.category.toLowerCase();
    if (!categories.has(category)) continue;
    const body = template.components?.find((component) => component.type.toUpperCase() === 'BODY');
    const header = template.components?.find((component) => component.type.toUpperCase() === 'HEADER');
    const bodyText = body?.text ?? undefined;
    const names = [...new Set([...(bodyText ?? '').matchAll(placeholderPattern)].map((match) => match[1] as string))];
    const headerFormat = header?.format?.toUpperCase();
    const headerParams = !header
      ? 0
      : headerFormat === 'TEXT' || headerFormat === undefined
        ? /\{\{\s*\w+\s*\}\}/.test(header.text ?? '')
          ? 1
          : 0
        : 1;
    const named = template.parameter_format?.toUpperCase() === 'NAMED';
    if (!named) names.sort((a, b) => Number(a) - Number(b));
    definitions.push({
      name: template.name,
      language: template.language,
      category: category as WhatsAppTemplateCategory,
      status: template.status.toUpperCase(),
      parameterFormat: named ? 'named' : 'positional',
      bodyParams: names,
      headerParams,
      ...(bodyText ? { body: bodyText } : {}),
    });
  }
  return definitions;
}
