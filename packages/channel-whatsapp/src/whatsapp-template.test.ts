import { type MessageContentInput, messageContentSchema, ValidationError } from '@omnidealer/core';
import { parseInput, type TemplateContent } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import { accessToken, apiVersion, graphErrors, phoneNumberId, wabaId } from './__fixtures__/fixtures.js';
import templateList from './__fixtures__/template-list.json';
import templateListPage2 from './__fixtures__/template-list-page-2.json';
import { createWhatsAppChannel } from './whatsapp-channel.js';
import {
  createWhatsAppTemplateRegistry,
  templatesFromWhatsAppList,
  validateWhatsAppTemplate,
  type WhatsAppTemplateDefinition,
} from './whatsapp-template.js';

const templatesUrl = `https://graph.facebook.com/${apiVersion}/${wabaId}/message_templates`;
const api = createTestServer({
  [`GET ${templatesUrl}`]: (call) =>
    Response.json(call.url.searchParams.get('after') === 'QVFIUjNmN2ZAVeGh4' ? templateListPage2 : templateList),
});

const definitions: WhatsAppTemplateDefinition[] = [
  {
    name: 'booking_reminder',
    language: 'ru',
    category: 'utility',
    parameterFormat: 'named',
    bodyParams: ['client', 'model'],
    headerParams: 1,
  },
  { name: 'service_due', language: 'ru', category: 'utility', bodyParams: ['client_name', 'date'] },
  { name: 'black_friday', language: 'ru', category: 'marketing', status: 'PAUSED', bodyParams: ['1'] },
  {
    name: 'short_body',
    language: 'ru',
    category: 'marketing',
    parameterFormat: 'positional',
    bodyParams: ['1'],
    body: `${'x'.repeat(1000)} {{1}}`,
  },
];
const registry = createWhatsAppTemplateRegistry(definitions);

function template(input: Omit<Extract<MessageContentInput, { type: 'template' }>, 'type'>): TemplateContent {
  return parseInput(messageContentSchema, { type: 'template', ...input }, 'content') as TemplateContent;
}

function fieldOf(run: () => void): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toSatisfy(ValidationError.isInstance);
    return (error as ValidationError).field;
  }
  return undefined;
}

const header = [{ type: 'image' as const, url: 'https://cdn.dealer.ru/f7.jpg' }];

describe('offline template validation', () => {
  it('accepts named parameters as a record or as named objects, and positional ones by count', () => {
    expect(() =>
      validateWhatsAppTemplate(
        template({ name: 'booking_reminder', language: 'ru', header, params: { client: 'Иван', model: 'F7' } }),
        registry,
      ),
    ).not.toThrow();
    expect(() =>
      validateWhatsAppTemplate(
        template({
          name: 'booking_reminder',
          language: 'ru',
          header,
          params: [
            { type: 'text', name: 'model', text: 'F7' },
            { type: 'text', name: 'client', text: 'Иван' },
          ],
        }),
        registry,
      ),
    ).not.toThrow();
  });

  it('an undeclared format follows the message: positional strings by count, or names', () => {
    expect(() =>
      validateWhatsAppTemplate(template({ name: 'service_due', language: 'ru', params: ['Иван', '1 декабря'] }), registry),
    ).not.toThrow();
    expect(() =>
      validateWhatsAppTemplate(
        template({ name: 'service_due', language: 'ru', params: { client_name: 'Иван', date: '1 декабря' } }),
        registry,
      ),
    ).not.toThrow();
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(template({ name: 'service_due', language: 'ru', params: { client_name: 'Иван' } }), registry),
      ),
    ).toBe('content.params.date');
  });

  it('names the missing named parameter', () => {
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(
          template({ name: 'booking_reminder', language: 'ru', header, params: { client: 'Иван' } }),
          registry,
        ),
      ),
    ).toBe('content.params.model');
  });

  it('names an unknown named parameter', () => {
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(
          template({ name: 'booking_reminder', language: 'ru', header, params: { client: 'Иван', model: 'F7', price: '1' } }),
          registry,
        ),
      ),
    ).toBe('content.params.price');
  });

  it('a named template given positional strings asks for names', () => {
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(
          template({ name: 'booking_reminder', language: 'ru', header, params: ['Иван', 'F7'] }),
          registry,
        ),
      ),
    ).toBe('content.params.0');
  });

  it('positional: missing names the position, extra is refused', () => {
    expect(fieldOf(() => validateWhatsAppTemplate(template({ name: 'short_body', language: 'ru', params: [] }), registry))).toBe(
      'content.params.0',
    );
    expect(
      fieldOf(() => validateWhatsAppTemplate(template({ name: 'short_body', language: 'ru', params: ['a', 'b'] }), registry)),
    ).toBe('content.params.1');
  });

  it('unknown template, unknown translation and a non-APPROVED template are refused on content.name', () => {
    let message = '';
    try {
      validateWhatsAppTemplate(template({ name: 'nope', language: 'ru' }), registry);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown template "nope"/);
    expect(
      fieldOf(() => validateWhatsAppTemplate(template({ name: 'service_due', language: 'en', params: ['a', 'b'] }), registry)),
    ).toBe('content.name');
    expect(
      fieldOf(() => validateWhatsAppTemplate(template({ name: 'black_friday', language: 'ru', params: ['a'] }), registry)),
    ).toBe('content.name');
  });

  it('header parameter count is checked', () => {
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(
          template({ name: 'booking_reminder', language: 'ru', params: { client: 'a', model: 'b' } }),
          registry,
        ),
      ),
    ).toBe('content.header');
  });

  it('the rendered body must fit 1024 characters when the body text is known', () => {
    expect(() =>
      validateWhatsAppTemplate(template({ name: 'short_body', language: 'ru', params: ['y'.repeat(20)] }), registry),
    ).not.toThrow();
    expect(
      fieldOf(() =>
        validateWhatsAppTemplate(template({ name: 'short_body', language: 'ru', params: ['y'.repeat(30)] }), registry),
      ),
    ).toBe('content.params');
  });

  it('without a registry only parameter texts are checked', () => {
    const empty = createWhatsAppTemplateRegistry();
    expect(() => validateWhatsAppTemplate(template({ name: 'anything', language: 'ru', params: ['ok'] }), empty)).not.toThrow();
    expect(fieldOf(() => validateWhatsAppTemplate(template({ name: 'anything', language: 'ru', params: ['a\tb'] }), empty))).toBe(
      'content.params.0',
    );
    expect(
      fieldOf(() => validateWhatsAppTemplate(template({ name: 'anything', language: 'ru', params: { model: '   ' } }), empty)),
    ).toBe('content.params.model');
    expect(
      fieldOf(() => validateWhatsAppTemplate(template({ name: 'anything', language: 'ru', header: ['h'.repeat(61)] }), empty)),
    ).toBe('content.header.0');
  });

  it('a malformed declared definition is a ValidationError naming the field', () => {
    expect(fieldOf(() => createWhatsAppTemplateRegistry([{ name: 'x', language: 'ru', category: 'promo' as 'marketing' }]))).toBe(
      'templates.0.category',
    );
  });
});

describe('the channel validates templates before any network call', () => {
  const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion, templates: definitions });
  it('validate() throws for a missing parameter', () => {
    expect(
      fieldOf(() => channel.validate?.(template({ name: 'service_due', language: 'ru', params: ['Иван'] }), { id: 'c1' })),
    ).toBe('content.params.1');
  });
});

describe('templates from the WABA', () => {
  it('converts Meta template objects into definitions', () => {
    expect(templatesFromWhatsAppList(templateList)).toEqual([
      {
        name: 'booking_reminder',
        language: 'ru',
        category: 'utility',
        status: 'APPROVED',
        parameterFormat: 'named',
        bodyParams: ['client', 'model'],
        headerParams: 1,
        body: 'Здравствуйте, {{client}}! Напоминаем о записи на тест-драйв {{model}} завтра.',
      },
      {
        name: 'black_friday',
        language: 'ru',
        category: 'marketing',
        status: 'PAUSED',
        parameterFormat: 'positional',
        bodyParams: ['1', '2'],
        headerParams: 1,
        body: '{{1}}, только до {{2}}: Haval со скидкой.',
      },
    ]);
  });

  it('loadTemplates follows cursor paging, fills the registry and asks for the fields it needs', async () => {
    const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion });
    const loaded = await channel.loadTemplates({ wabaId, pageSize: 2 });
    expect(loaded.map((definition) => definition.name)).toEqual(['booking_reminder', 'black_friday', 'login_code']);
    const calls = api.callsTo('/message_templates');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.url.searchParams.get('fields')).toBe('name,status,category,language,components,parameter_format');
    expect(calls[0]?.url.searchParams.get('limit')).toBe('2');
    expect(calls[1]?.url.searchParams.get('after')).toBe('QVFIUjNmN2ZAVeGh4');
    expect(calls[0]?.headers.get('authorization')).toBe(`Bearer ${accessToken}`);
    expect(channel.templates.get('login_code', 'ru')?.category).toBe('authentication');
    expect(
      fieldOf(() => channel.validate?.(template({ name: 'black_friday', language: 'ru', params: ['a', 'b'] }), { id: 'c1' })),
    ).toBe('content.name');
  });

  it('an expired token while loading is an AuthError', async () => {
    api.use(`GET ${templatesUrl}`, { status: 401, json: graphErrors['190'] });
    const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion });
    await expect(channel.loadTemplates({ wabaId })).rejects.toMatchObject({ code: 'auth', providerCode: 190 });
  });
});
