import { createManualClock, type MessageContent } from '@omnidealer/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { appSecret, signedRequest, signedWebhook, verifyToken } from './__fixtures__/fixtures.js';
import { createTestHub, createTestWhatsAppChannel } from './__fixtures__/test-hub.js';
import categoryFromPywa from './__fixtures__/webhook-template-category-pywa.json';
import categoryUpcoming from './__fixtures__/webhook-template-category-upcoming.json';
import categoryChanged from './__fixtures__/webhook-template-category-update.json';
import templatePaused from './__fixtures__/webhook-template-paused.json';
import { createWhatsAppPriceList } from './whatsapp-pricing.js';
import type { WhatsAppTemplateCategoryUpdate } from './whatsapp-template-update.js';
import { parseWhatsAppWebhook } from './whatsapp-webhook.js';

const pricing = createWhatsAppPriceList({
  currency: 'USD',
  rates: { default: { marketing: 10, utility: 4, authentication: 4 } },
});

describe('template_category_update (payloads from Meta’s webhook reference and pywa’s tests)', () => {
  async function parse(payload: unknown) {
    const updates: WhatsAppTemplateCategoryUpdate[] = [];
    const statuses = vi.fn();
    const result = await parseWhatsAppWebhook(await signedWebhook(payload), {
      appSecret,
      verifyToken,
      pricing,
      onTemplateCategory: (update) => updates.push(update),
      onTemplateStatus: statuses,
    });
    return { result, updates, statuses };
  }

  it('a completed change (Meta’s example): previous and new category', async () => {
    const { result, updates, statuses } = await parse(categoryChanged);
    expect(updates).toEqual([
      {
        name: 'welcome_template',
        language: 'en-US',
        templateId: '278077987957091',
        category: 'marketing',
        previousCategory: 'utility',
      },
    ]);
    expect(statuses).not.toHaveBeenCalled();
    expect(result).toEqual({ events: [], ignored: 1 });
  });

  it('a change announced 24 h ahead (Meta’s example): `new_category` is the current one, the coming one has a time', async () => {
    const { updates } = await parse(categoryUpcoming);
    expect(updates).toEqual([
      {
        name: 'welcome_template',
        language: 'en-US',
        templateId: '278077987957091',
        category: 'utility',
        upcoming: { category: 'marketing', at: 1746169200 * 1000 },
      },
    ]);
  });

  it('only a new category (pywa’s fixture)', async () => {
    const { updates } = await parse(categoryFromPywa);
    expect(updates).toEqual([{ name: 'my_message_template', language: 'he', templateId: '12345678', category: 'marketing' }]);
  });

  it('a status update still goes to onTemplateStatus only', async () => {
    const { updates, statuses } = await parse(templatePaused);
    expect(updates).toEqual([]);
    expect(statuses).toHaveBeenCalledWith({ name: 'black_friday', language: 'ru', status: 'PAUSED' });
  });
});

describe('a recategorised template changes the channel’s estimates', () => {
  const welcome: MessageContent = { type: 'template', name: 'welcome_template', language: 'en-US' };
  const contact = { id: 'c1', phone: '+14155550123' };
  const announcedAt = 1746082800 * 1000;
  const changesAt = 1746169200 * 1000;
  const clock = createManualClock(announcedAt);
  const channel = createTestWhatsAppChannel({
    pricing: { currency: 'USD', rates: { default: { marketing: 10, utility: 4, authentication: 4 } } },
    templates: [{ name: 'welcome_template', language: 'en-US', category: 'utility' }],
  });
  const hub = createTestHub(channel, clock);
  afterAll(async () => {
    await hub.shutdown();
  });

  const price = (now: number) => channel.estimateCost(welcome, contact, { now }).money.amountMinor;

  it('announced: utility until the announced time, marketing from then on; completed: marketing', async () => {
    expect(price(announcedAt)).toBe(4);
    expect((await hub.handleWebhook('whatsapp', await signedRequest(categoryUpcoming))).status).toBe(200);
    expect(price(changesAt - 1)).toBe(4);
    expect(price(changesAt)).toBe(10);
    expect(channel.templates.get('welcome_template', 'en-US')?.category).toBe('utility');

    expect((await hub.handleWebhook('whatsapp', await signedRequest(categoryChanged))).status).toBe(200);
    expect(channel.templates.get('welcome_template', 'en-US')?.category).toBe('marketing');
    expect(price(announcedAt)).toBe(10);
  });

  it('a template the channel does not know is left unknown', async () => {
    const other = createTestWhatsAppChannel();
    const otherHub = createTestHub(other, clock);
    await otherHub.handleWebhook('whatsapp', await signedRequest(categoryChanged));
    expect(other.templates.size).toBe(0);
    await otherHub.shutdown();
  });
});
