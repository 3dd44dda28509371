import { type Contact, createManualClock, createOmnidealer, ValidationError } from '@omnidealer/core';
import { createTestServer } from '@omnidealer/core/test';
import { beforeEach, describe, expect, it } from 'vitest';
import { smsRuSendInvalidNumber, smsRuSendOk, smsRuStatusDelivered } from './__fixtures__/sms-ru.js';
import { createSmsChannel } from './sms-channel.js';
import type { SmsGateway } from './sms-gateway.js';
import { createSmsRuGateway } from './sms-ru-gateway.js';

const apiId = 'CHANNEL-TEST-KEY-000111';
const send = 'POST https://sms.ru/sms/send';
const server = createTestServer({ [send]: { json: smsRuSendOk } });
beforeEach(() => server.use(send, { json: smsRuSendOk }));

const ivan: Contact = { id: 'c1', phone: '+79161234567' };
const mailing =
  'Иван Петрович, добрый день! Дилерский центр «Тойота Центр Север» приглашает вас на плановое ТО вашего Camry. ' +
  'Только до 31 марта — скидка 15% на работы и оригинальные запчасти, бесплатная мойка и диагностика ходовой. ' +
  'Запишитесь по телефону +7 495 123-45-67 или ответьте на это сообщение. Ждём вас!';
const text = (value: string) => ({ type: 'text' as const, text: value });

describe('createSmsChannel', () => {
  const sms = createSmsChannel({ gateway: createSmsRuGateway({ apiId }), sender: 'AutoDealer' });

  it("exposes its gateway's credentials as secrets and keeps them out of a gateway's errors", async () => {
    expect(sms.secrets?.()).toEqual([apiId]);
    const leaky: SmsGateway = {
      name: 'leaky',
      accountId: 'leaky',
      secrets: () => ['leaky-gateway-password-42'],
      send: async () => {
        throw new Error('login failed for password leaky-gateway-password-42');
      },
      parseWebhook: async () => ({ events: [] }),
    };
    const channel = createSmsChannel({ gateway: leaky });
    const error = (await channel
      .doSend({ id: 'm1', to: '+79161234567', contact: ivan, content: text('hi') }, {})
      .catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe('login failed for password [redacted]');
    expect(error.stack).not.toContain('leaky-gateway-password-42');
  });

  it('is a phone channel that can start conversations', () => {
    expect(sms).toMatchObject({ id: 'sms', kind: 'sms', accountId: 'AutoDealer' });
    expect(sms.capabilities).toMatchObject({ address: 'phone', canStartConversation: true, templates: false });
  });

  it('estimates cost as segments × 3 ₽ with segments as units', () => {
    const segments = sms.countSegments(text(mailing)).segments;
    expect(segments).toBe(5);
    expect(sms.estimateCost(text(mailing), ivan)).toEqual({
      money: { amountMinor: 1500, currency: 'RUB' },
      units: 5,
      unitName: 'segment',
      detail: '5 UCS-2 segments × 300 RUB/100',
    });
    expect(sms.estimateCost(text('Ваш автомобиль готов'), ivan).money.amountMinor).toBe(300);
  });

  it('prices per country and per segment from the settings', () => {
    const priced = createSmsChannel({
      gateway: createSmsRuGateway({ apiId }),
      pricing: { perSegmentMinor: 250, countries: { KZ: 450 } },
    });
    expect(priced.estimateCost(text('a'.repeat(161)), { id: 'kz', phone: '+77011234567' }).money).toEqual({
      amountMinor: 900,
      currency: 'RUB',
    });
    expect(priced.estimateCost(text('a'.repeat(161)), ivan).money).toEqual({ amountMinor: 500, currency: 'RUB' });
  });

  it('reports the saving when transliteration and smart encoding are on', () => {
    const latin = createSmsChannel({ gateway: createSmsRuGateway({ apiId }), transliterate: true, smartEncoding: true });
    const estimate = latin.estimateCost(text(mailing), ivan);
    expect(estimate).toMatchObject({ units: 2, money: { amountMinor: 600 } });
    expect(estimate.detail).toBe('2 GSM-7 segments × 300 RUB/100 (5 UCS-2 before transliteration, saves 900 RUB/100)');
  });

  it('uses the template fallback text and refuses content without text', () => {
    expect(
      sms.estimateCost({ type: 'template', name: 'service', language: 'ru', fallbackText: 'ТО завтра в 10:00' }, ivan).units,
    ).toBe(1);
    expect(() => sms.validate?.({ type: 'template', name: 'service', language: 'ru' }, ivan)).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    expect(sms.canReach({ contact: ivan, content: { type: 'reaction', messageId: 'm', emoji: '👍' }, now: 0 })).toMatchObject({
      reachable: false,
      reason: 'unsupported_content',
    });
  });

  it('refuses texts over the gateway limit (8 segments at SMS.ru)', () => {
    expect(() => sms.validate?.(text('ж'.repeat(67 * 8)), ivan)).not.toThrow();
    expect(() => sms.validate?.(text('ж'.repeat(67 * 8 + 1)), ivan)).toThrow(/9 UCS-2 segments; this SMS channel allows 8/);
  });

  it('says why a contact cannot be reached, without network', () => {
    const content = text('Привет');
    expect(sms.canReach({ contact: { id: 'x' }, content, now: 0 })).toMatchObject({ reachable: false, reason: 'no_identity' });
    expect(sms.canReach({ contact: { id: 'x', phone: '+74951234567' }, content, now: 0 })).toMatchObject({
      reachable: false,
      reason: 'invalid_address',
    });
    expect(sms.canReach({ contact: { ...ivan, consent: { sms: 'opted_out' } }, content, now: 0 })).toMatchObject({
      reason: 'opted_out',
    });
    expect(sms.canReach({ contact: ivan, content, now: 0 })).toEqual({ reachable: true, address: '+79161234567' });
  });

  it('validates the number as an E.164 mobile number before any network call', async () => {
    for (const to of ['+74951234567', '89161234567', '+7916']) {
      await expect(sms.doSend({ id: 'm1', to, contact: { id: 'x' }, content: text('Привет') }, {})).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    expect(server.calls).toHaveLength(0);
  });

  it('sends the transformed text and reports segments as units', async () => {
    const latin = createSmsChannel({ gateway: createSmsRuGateway({ apiId }), transliterate: 'simple', smartEncoding: true });
    const result = await latin.doSend({ id: 'm1', to: '+79161234567', contact: ivan, content: text('Ждём вас — «Автомир»') }, {});
    expect(result).toEqual({ providerMessageId: '000000-10000000', status: 'sent', canonicalAddress: '+79161234567', units: 1 });
    expect(server.callsTo('/sms/send')[0]?.form?.msg).toBe('Zhdyom vas - "Avtomir"');
  });

  it('polls a delivery status into a StatusEvent at the injected time', async () => {
    const clock = createManualClock(1_773_907_300_000);
    const polled = createSmsChannel({ gateway: createSmsRuGateway({ apiId }), clock });
    server.use('GET https://sms.ru/sms/status', { json: smsRuStatusDelivered });
    expect(await polled.fetchStatus('000000-10000000')).toEqual({
      type: 'status',
      providerMessageId: '000000-10000000',
      status: 'delivered',
      at: 1_773_907_300_000,
      cost: { amountMinor: 604, currency: 'RUB' },
      metadata: { provider: 'smsru', providerStatus: 103 },
    });
  });

  it('checks its settings strictly', () => {
    const gateway = createSmsRuGateway({ apiId });
    expect(() => createSmsChannel({ gateway, pricing: { perSegmentMinor: 2.5 } })).toThrow(/settings.pricing.perSegmentMinor/);
    expect(() => createSmsChannel({ gateway, pricing: { countries: { KZ: -1 } } })).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    expect(() => createSmsChannel({ gateway, pricing: { perSegment: 300 } as never })).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    expect(() => createSmsChannel({ gateway: {} as never })).toThrow(/settings.gateway/);
    expect(() => createSmsChannel({ gateway, senderName: 'AutoDealer' } as never)).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
  });

  it('explains when a gateway cannot poll or quote', async () => {
    const minimal: SmsGateway = {
      name: 'minimal',
      accountId: 'minimal',
      send: async () => ({ providerMessageId: 'x' }),
      parseWebhook: async () => ({ events: [] }),
    };
    const channel = createSmsChannel({ gateway: minimal });
    await expect(channel.fetchStatus('x')).rejects.toThrow(/cannot poll/);
    await expect(channel.fetchCost(ivan, text('a'))).rejects.toThrow(/no cost quote/);
    expect(channel.validate?.(text('a'.repeat(1530)), ivan)).toBeUndefined();
  });
});

describe('the SMS channel in the hub', () => {
  it('sends, stores the exact cost, and applies an SMS.ru callback', async () => {
    const clock = createManualClock(1_773_907_000_000);
    const sms = createSmsChannel({ gateway: createSmsRuGateway({ apiId }), sender: 'AutoDealer', clock });
    const hub = createOmnidealer({ channels: [sms], clock, retry: { retries: 0 } });
    const message = await hub.send({ channel: 'sms', contact: { id: 'c1', phone: '8 916 123-45-67' }, content: text(mailing) });
    expect(message).toMatchObject({
      status: 'sent',
      providerMessageId: '000000-10000000',
      cost: { amountMinor: 1500, currency: 'RUB' },
    });
    expect(server.callsTo('/sms/send')[0]?.form).toMatchObject({ to: '79161234567', msg: mailing, from: 'AutoDealer' });

    const callback = new Request('https://crm.example/webhooks/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'data[0]': 'sms_status\n000000-10000000\n103\n1773907200' }).toString(),
    });
    const response = await hub.handleWebhook('sms', callback);
    expect(await response.text()).toBe('100');
    expect(await hub.store.getMessage(message.id)).toMatchObject({ status: 'delivered' });
    await hub.shutdown();
  });

  it('refuses a landline before the network as an unreachable recipient, so a cascade can move on', async () => {
    const sms = createSmsChannel({ gateway: createSmsRuGateway({ apiId }) });
    const hub = createOmnidealer({ channels: [sms], retry: { retries: 0 } });
    await expect(
      hub.send({ channel: 'sms', contact: { id: 'c2', phone: '+74951234567' }, content: text('Привет') }),
    ).rejects.toMatchObject({
      code: 'unreachable_recipient',
      reason: 'invalid_address',
    });
    expect(server.calls).toHaveLength(0);
    await hub.shutdown();
  });

  it('records a refused number as a failed message with the typed error', async () => {
    server.use(send, { json: smsRuSendInvalidNumber });
    const sms = createSmsChannel({ gateway: createSmsRuGateway({ apiId }) });
    const hub = createOmnidealer({ channels: [sms], retry: { retries: 0 } });
    const message = await hub.send({ channel: 'sms', contact: ivan, content: text('Привет') });
    expect(message.status).toBe('failed');
    expect(message.error).toMatchObject({ code: 'unreachable_recipient', retryable: false });
    await hub.shutdown();
  });
});
