import { createManualClock, type MessageContent, messageContentSchema } from '@omnidealer/core';
import { parseInput } from '@omnidealer/core/provider-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { accessToken, apiVersion, phoneNumberId, signedRequest, statusEnvelope } from './__fixtures__/fixtures.js';
import sendSuccess from './__fixtures__/send-success.json';
import { createTestHub, createTestWhatsAppChannel, createWhatsAppTestServer } from './__fixtures__/test-hub.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';
import {
  createWhatsAppPriceList,
  estimateWhatsAppCost,
  WHATSAPP_DEFAULT_PRICING,
  WHATSAPP_RATE_CARDS,
  WHATSAPP_WINDOW_CHARGED_FROM,
  type WhatsAppPricing,
  type WhatsAppPricingSettings,
  type WhatsAppRateCard,
  whatsAppWindowFreeCategories,
} from './whatsapp-pricing.js';

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
  const conversationAt = (now: number) => ({
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
  });
  const russia = { id: 'c1', phone: '+79161234567' };

  it('uses the registry category, the phone country and the window (Meta rules before 1 Oct 2026)', () => {
    const now = Date.parse('2026-09-30T12:00:00Z');
    const open = conversationAt(now);
    expect(channel.estimateCost(code, { id: 'c1', phone: '+77012345678' }, { now }).money.amountMinor).toBe(150);
    expect(channel.estimateCost(reminder, russia, { now }).money.amountMinor).toBe(400);
    expect(channel.estimateCost(reminder, russia, { now, conversation: open }).money.amountMinor).toBe(0);
    expect(channel.estimateCost(text, russia, { now, conversation: open }).money.amountMinor).toBe(0);
    expect(channel.estimateCost(promo, { id: 'c1', identities: { whatsapp: '77012345678' } }, { now }).money.amountMinor).toBe(
      800,
    );
  });

  it('from 1 Oct 2026 utility templates inside the window are charged, and service messages at the table price', () => {
    const now = Date.parse('2026-10-01T00:00:00Z');
    const open = conversationAt(now);
    expect(channel.estimateCost(reminder, russia, { now, conversation: open }).money.amountMinor).toBe(400);
    // The plain table has no `service` price: 0.
    expect(channel.estimateCost(text, russia, { now, conversation: open }).money.amountMinor).toBe(0);
  });
});

describe('dated rate cards and market overrides', () => {
  const card2025: WhatsAppRateCard = {
    validFrom: '2025-07-01',
    source: 'test card 2025',
    currency: 'USD',
    rates: { default: { marketing: 10, utility: 4, authentication: 4 } },
  };
  const card2026: WhatsAppRateCard = {
    validFrom: '2026-10-01',
    source: 'test card 2026',
    currency: 'USD',
    rates: { default: { marketing: 12, utility: 5, authentication: 5, service: 5 } },
  };

  it('picks the card in force on the UTC day, whatever their order; before the first, the first', () => {
    const prices = createWhatsAppPriceList({ cards: [card2026, card2025] });
    expect(prices.cardAt(Date.parse('2026-09-30T23:59:59Z')).source).toBe('test card 2025');
    expect(prices.cardAt(Date.parse('2026-10-01T00:00:00Z')).source).toBe('test card 2026');
    expect(prices.cardAt(Date.parse('2024-01-01T00:00:00Z')).source).toBe('test card 2025');
    expect(createWhatsAppPriceList(undefined).cardAt(Date.parse('2026-12-01')).validFrom).toBe(WHATSAPP_WINDOW_CHARGED_FROM);
  });

  it('the built-in cards follow Meta: service and in-window utility free until 30 Sep 2026, charged from 1 Oct 2026', () => {
    expect(WHATSAPP_RATE_CARDS.map((card) => card.validFrom)).toEqual(['2025-07-01', '2026-10-01']);
    expect(whatsAppWindowFreeCategories(Date.parse('2026-09-30T23:59:59Z'))).toEqual(['service', 'utility']);
    expect(whatsAppWindowFreeCategories(Date.parse('2026-10-01T00:00:00Z'))).toEqual([]);
    const channel = createWhatsAppChannel({ phoneNumberId, accessToken, apiVersion });
    const before = Date.parse('2026-09-30T12:00:00Z');
    const after = Date.parse('2026-10-02T12:00:00Z');
    const open = (now: number) => ({
      id: 'v',
      contactId: 'c1',
      channel: 'whatsapp',
      status: 'open' as const,
      handler: 'bot' as const,
      assignments: [],
      unreadCount: 0,
      createdAt: now,
      updatedAt: now,
      lastInboundAt: now - 60_000,
    });
    const contact = { id: 'c1', phone: '+79161234567' };
    expect(channel.estimateCost(text, contact, { now: before, conversation: open(before) }).money).toEqual({
      amountMinor: 0,
      currency: 'RUB',
    });
    expect(channel.estimateCost(text, contact, { now: after, conversation: open(after) }).money).toEqual({
      amountMinor: 500,
      currency: 'RUB',
    });
  });

  it('a card can say what stays free inside the window', () => {
    const card: WhatsAppRateCard = { ...card2026, freeInsideWindow: ['service'] };
    const at = Date.parse('2026-11-01T00:00:00Z');
    expect(estimateWhatsAppCost({ content: text, country: 'US', windowOpen: true, pricing: card, at }).money.amountMinor).toBe(0);
    expect(
      estimateWhatsAppCost({ content: reminder, country: 'US', templateCategory: 'utility', windowOpen: true, pricing: card, at })
        .money.amountMinor,
    ).toBe(5);
  });

  it('market overrides by calling code (longest prefix) and by country replace the card prices they name', () => {
    const channel = createWhatsAppChannel({
      phoneNumberId,
      accessToken,
      apiVersion,
      pricing: {
        cards: [card2025, card2026],
        markets: { '+7': { marketing: 9 }, '+77': { marketing: 7 }, BR: { marketing: 3, utility: 1 } },
      },
      templates: [{ name: 'service_due', language: 'ru', category: 'utility' }],
    });
    const now = Date.parse('2026-11-01T00:00:00Z');
    const price = (content: MessageContent, phone: string) => channel.estimateCost(content, { id: 'c1', phone }, { now }).money;
    expect(price(promo, '+79161234567')).toEqual({ amountMinor: 9, currency: 'USD' });
    expect(price(promo, '+77012345678')).toEqual({ amountMinor: 7, currency: 'USD' });
    expect(price(promo, '+5511987654321')).toEqual({ amountMinor: 3, currency: 'USD' });
    // Categories the override does not name keep the card's price.
    expect(price(reminder, '+79161234567')).toEqual({ amountMinor: 5, currency: 'USD' });
    expect(price(promo, '+4915123456789')).toEqual({ amountMinor: 12, currency: 'USD' });
  });

  it('refuses a malformed card, naming the field', () => {
    expect(() => createWhatsAppChannel({ pricing: { cards: [{ ...card2025, validFrom: '1 July 2025' }] } })).toThrow(/pricing/);
  });
});

describe('the billed cost through the hub', () => {
  const api = createWhatsAppTestServer();
  const clock = createManualClock(Date.parse('2026-11-25T09:00:00Z'));
  const hub = createTestHub(
    createTestWhatsAppChannel({ templates: [{ name: 'black_friday', language: 'ru', category: 'marketing' }] }),
    clock,
  );
  afterAll(async () => {
    await hub.shutdown();
  });
  const promoTemplate = { type: 'template' as const, name: 'black_friday', language: 'ru' };
  const contact = { id: 'c1', phone: '+79161234567' };
  const wamid = sendSuccess.messages[0]?.id as string;
  const pricingObject = { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' };
  const status = (value: string, extra: Record<string, unknown> = {}) =>
    statusEnvelope([
      { id: wamid, status: value, timestamp: String(Math.floor(clock.now() / 1000)), recipient_id: '79161234567', ...extra },
    ]);
  const post = async (payload: unknown) => (await hub.handleWebhook('whatsapp', await signedRequest(payload))).status;
  const custom = (pricing: WhatsAppPricingSettings) =>
    createTestHub(
      createTestWhatsAppChannel({ pricing, templates: [{ name: 'black_friday', language: 'ru', category: 'marketing' }] }),
      clock,
    );

  it('sent keeps the estimate; delivered sets what Meta bills, priced by the market override', async () => {
    const overridden = custom({ markets: { '+7': { marketing: 900 } } });
    const sent = await overridden.send({ channel: 'whatsapp', contact, content: promoTemplate });
    expect(sent.cost).toEqual({ amountMinor: 900, currency: 'RUB' });
    expect(api.callsTo('/messages')).toHaveLength(1);
    const postTo = async (payload: unknown) => (await overridden.handleWebhook('whatsapp', await signedRequest(payload))).status;
    expect(await postTo(status('sent', { pricing: pricingObject }))).toBe(200);
    expect((await overridden.store.getMessage(sent.id))?.cost).toEqual({ amountMinor: 900, currency: 'RUB' });
    expect(await postTo(status('delivered', { pricing: pricingObject }))).toBe(200);
    expect(await overridden.store.getMessage(sent.id)).toMatchObject({
      status: 'delivered',
      cost: { amountMinor: 900, currency: 'RUB' },
    });
    await overridden.shutdown();
  });

  it('a message that is sent and later fails costs nothing', async () => {
    const sent = await hub.send({ channel: 'whatsapp', contact, content: promoTemplate });
    expect(sent.cost).toEqual({ amountMinor: 1200, currency: 'RUB' });
    expect(await post(status('sent', { pricing: pricingObject }))).toBe(200);
    const failed = status('failed', {
      errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }],
    });
    expect(await post(failed)).toBe(200);
    expect(await hub.store.getMessage(sent.id)).toMatchObject({ status: 'failed', cost: { amountMinor: 0, currency: 'RUB' } });
  });
});
