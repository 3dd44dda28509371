import { ValidationError } from '@omnidealer/core';
import type { TemplateContent, TemplateParameter } from '@omnidealer/core/provider-utils';

/**
 * One e-mail template: subject, plain text and optional HTML with `{param}` (or `{{param}}`) placeholders.
 * Positional parameters are `{1}`, `{2}`…; named ones `{model}`. Values are HTML-escaped in `html`.
 * @example
 * const reminder: EmailTemplate = {
 *   subject: 'Запись на ТО {date}',
 *   text: 'Здравствуйте, {name}! Ждём вас {date}.',
 *   html: '<p>Здравствуйте, <b>{name}</b>! Ждём вас {date}.</p>',
 * };
 */
export interface EmailTemplate {
  subject: string;
  text: string;
  html?: string | undefined;
}

/**
 * Templates by name. A key `name.language` (`booking_reminder.en`) wins over plain `name` for content in that
 * language, so one map can hold translations.
 */
export type EmailTemplates = Record<string, EmailTemplate>;

/** Subject, text and HTML after the placeholders were filled in. */
export interface RenderedEmailTemplate {
  subject: string;
  text: string;
  html?: string | undefined;
}

const placeholderPattern = /\{\{\s*([\p{L}\p{N}_.-]+)\s*\}\}|\{([\p{L}\p{N}_.-]+)\}/gu;

function parameterText(parameter: TemplateParameter, field: string): string {
  if (typeof parameter === 'string') return parameter;
  switch (parameter.type) {
    case 'text':
      return parameter.text;
    case 'currency':
    case 'date_time':
      return parameter.fallback;
    case 'location':
      return parameter.name ?? parameter.address ?? `${parameter.latitude},${parameter.longitude}`;
    default:
      throw new ValidationError({
        channel: 'email',
        field,
        message: `${field}: ${parameter.type} parameters cannot be placed in an e-mail template; send media content instead`,
      });
  }
}

/** Collects the template's parameters into `{ key → parameter }`: positional ones as `1`, `2`…, named ones by name. */
function parameterMap(content: TemplateContent): Map<string, { value: TemplateParameter; field: string }> {
  const map = new Map<string, { value: TemplateParameter; field: string }>();
  const params = content.params;
  if (Array.isArray(params)) {
    params.forEach((value, index) => {
      const field = `content.params.${index}`;
      map.set(String(index + 1), { value, field });
      if (typeof value !== 'string' && 'name' in value && value.name) map.set(value.name, { value, field });
    });
  } else if (params) {
    for (const [key, value] of Object.entries(params)) map.set(key, { value, field: `content.params.${key}` });
  }
  return map;
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

/** Finds the template for a content: `name.language` first, then `name`. */
export function findEmailTemplate(templates: EmailTemplates | undefined, content: TemplateContent): EmailTemplate | undefined {
  if (!templates) return undefined;
  const own = (key: string) => (Object.hasOwn(templates, key) ? templates[key] : undefined);
  return own(`${content.name}.${content.language}`) ?? own(content.name);
}

/**
 * Renders a template content with the channel's templates: every `{param}` replaced by the named or positional
 * parameter. Nothing is sent when a template or parameter is missing.
 * @throws ValidationError `content.name` for an unknown template, `content.params.<key>` for a missing parameter.
 * @example
 * renderEmailTemplate(templates, { type: 'template', name: 'booking_reminder', language: 'ru', params: { name: 'Иван' } });
 */
export function renderEmailTemplate(templates: EmailTemplates | undefined, content: TemplateContent): RenderedEmailTemplate {
  const template = findEmailTemplate(templates, content);
  if (!template) {
    const known = Object.keys(templates ?? {});
    throw new ValidationError({
      channel: 'email',
      field: 'content.name',
      message: `unknown e-mail template "${content.name}"${known.length ? `; known: ${known.join(', ')}` : '; the channel has no templates'}`,
    });
  }
  const parameters = parameterMap(content);
  const fill = (text: string, asHtml: boolean) =>
    text.replace(placeholderPattern, (_all, double: string | undefined, single: string | undefined) => {
      const key = (double ?? single) as string;
      const parameter = parameters.get(key);
      if (!parameter) {
        throw new ValidationError({
          channel: 'email',
          field: `content.params.${key}`,
          message: `template "${content.name}" needs parameter "${key}"`,
        });
      }
      const value = parameterText(parameter.value, parameter.field);
      return asHtml ? escapeHtml(value) : value;
    });
  const rendered: RenderedEmailTemplate = { subject: fill(template.subject, false), text: fill(template.text, false) };
  if (template.html !== undefined) rendered.html = fill(template.html, true);
  return rendered;
}
