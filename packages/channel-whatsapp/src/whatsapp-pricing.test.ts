import { type MessageContent, messageContentSchema } from '@omnidealer/core';
import { parseInput } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import { accessToken, apiVersion, phoneNumberId } from './__fixtures__/fixtures.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';
import { estimateWhatsAppCost, WHATSAPP_DEFAULT_PRICING, type WhatsAppPricing } from './whatsapp-pricing.js';

const content = (input: unknown) => parseInput(messageContentSchema, input, 'content') as MessageContent;
const text = content({ type: 'text', text: 'Здравствуйте' });
const promo = content({ type: 'template', name: 'black_friday', language: 'ru' });
const reminder = content({ type: 'template', name: 'service_due', language: 'ru' });
const code = content({ type: 'template', name: 'login_code', language: 'ru' });
const pricing: WhatsAppPricing = {
  currency: 'RUB',
  rates: {
    RU: { marketing: 1200, utility: 400, authentication: 350 },
    KZ: { marketing: 800, utility: 200, authentication: 150 },
    default: { marketing: 1500, utility: 600, authentication: 500 },
  },
};

describe('estimateWhatsAppCost', () => {
  it('charges 12 ₽ for a marketing template to Russia with the example table', () => {
    expect(
      estimateWhatsAppCost({
        content: promo,
        country: 'RU',
        templateCategory: 'marketing',
        windowOpen: false,
        pricing: WHATSAPP_DEFAULT_PRICING,
      }),
    ).toMatchObject({
      money: { amountMinor: 1200, currency: 'RUB' },
      units: 1,
      unitName: 'message',
    });
  });

  it('prices by category and country, with the default row for other countries', () => {
    const cost = (category: 'marketing' | 'utility' | 'authentication', country: string | undefined, windowOpen = false) =>
      estimateWhatsAppCost({ content: promo, country, templateCategory: category, windowOpen, pricing }).money.amountMinor;
    expect(cost('marketing', 'KZ')).toBe(800);
    expect(cost('utility', 'KZ')).toBe(200);
    expect(cost('authentication', 'RU')).toBe(350);
    expect(cost('marketing', 'DE')).toBe(1500);
    expect(cost('marketing', undefined)).toBe(1500);
    expect(cost('authentication', 'RU', true)).toBe(350);
    expect(cost('marketing', 'RU', true)).toBe(1200);
  });

  it('service messages inside the window and utility templates inside an open window are free', () => {
    expect(estimateWhatsAppCost({ content: text, country: 'RU', windowOpen: true, pricing }).money.amountMinor).toBe(0);
    expect(
      estimateWhatsAppCost({ content: reminder, country: 'RU', templateCategory: 'utility', windowOpen: true, pricing }).money
        .amountMinor,
    ).toBe(0);
    expect(
      estimateWhatsAppCost({ content: reminder, country: 'RU', templateCategory: 'utility', windowOpen: false, pricing }).money
        .amountMinor,
    ).toBe(400);
  });

  it('an unknown template is priced as marketing and says so', () => {
    const estimate = estimateWhatsAppCost({ content: promo, country: 'RU', windowOpen: false, pricing });
    expect(estimate.money.amountMinor).toBe(1200);
    expect(estimate.detail).toMatch(/priced as marketing/);
  });
});

describe('channel.estimateCost', () => {
  const channel = createWhatsAppChannel({
    phoneNumberId,
    accessToken,
    apiVersion,
    pricing,
    templates: [
      { name: 'service_due', language: 'ru', category: 'utility' },
      { name: 'login_code', language: 'ru', category: 'authentication' },
    ],
  });
  const now = Date.parse('2026-11-25T12:00:00Z');
  const open = {
    id: 'conv1',
    contactId: 'c1',
    channel: 'whatsapp',
    status: 'open' as const,
    handler: 'bot' as const,
    assignments: [],
    unreadCount: 0,
    createdAt: now,
    updatedAt: now,
    lastInboundAt: now - 3_600_000,
  };

  it('uses the registry category, the phone country and the window', () => {
    expect(channel.estimateCost(code, { id: 'c1', phone: '+77012345678' }, { now }).money.amountMinor).toBe(150);
    expect(channel.estimateCost(reminder, { id: 'c1', phone: '+79161234567' }, { now }).money.amountMinor).toBe(400);
    expect(
      channel.estimateCost(reminder, { id: 'c1', phone: '+79161234567' }, { now, conversation: open }).money.amountMinor,
    ).toBe(0);
    expect(channel.estimateCost(text, { id: 'c1', phone: '+79161234567' }, { now, conversation: open }).money.amountMinor).toBe(
      0,
    );
    expect(channel.estimateCost(promo, { id: 'c1', identities: { whatsapp: '77012345678' } }, { now }).money.amountMinor).toBe(
      800,
    );
  });
});
