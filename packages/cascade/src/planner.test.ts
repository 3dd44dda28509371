import type { Contact, Conversation, ReachStats } from '@omnidealer/core';
import { createTestChannel } from '@omnidealer/core/test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longText, perChannel, shortText } from './__fixtures__/content.js';
import { createMockChannels } from './__fixtures__/mock-channels.js';
import type { CascadeContent } from './cascade-content.js';
import { type CascadePolicy, DAY_MS, HOUR_MS } from './cascade-policy.js';
import { type DeliveryRecord, type ExclusionReason, type PlanOptions, plan } from './planner.js';

const { all: channels } = createMockChannels();
/** 2026-03-02 10:00 in Moscow (07:00 UTC): daytime for quiet hours. */
const now = Date.parse('2026-03-02T07:00:00Z');
const granted = { email: 'granted', whatsapp: 'granted', sms: 'granted', avito: 'granted' } as const;
const full: Contact = { id: 'c1', phone: '+79161234567', email: 'ivan@example.ru', consent: { ...granted } };
const phoneOnly: Contact = { id: 'c2', phone: '+79161234567', consent: { ...granted } };
const openWindow: Conversation = {
  id: 'conv1',
  contactId: 'c2',
  channel: 'whatsapp',
  status: 'open',
  handler: 'bot',
  assignments: [],
  unreadCount: 0,
  lastInboundAt: now - HOUR_MS,
  createdAt: now - HOUR_MS,
  updatedAt: now - HOUR_MS,
};

interface Row {
  name: string;
  contact: Contact;
  content?: CascadeContent;
  options?: Partial<PlanOptions>;
  policy?: CascadePolicy;
  steps: string[];
  excluded: Array<[string, ExclusionReason]>;
  costs?: number[];
}

const rows: Row[] = [
  {
    name: 'email first (free), then WhatsApp template (1200) before a 5-segment SMS (1500); Avito has no chat',
    contact: full,
    steps: ['email', 'whatsapp', 'sms'],
    excluded: [['avito', 'no_chat']],
    costs: [0, 1200, 1500],
  },
  {
    name: 'a 1-segment SMS (300) is cheaper than a WhatsApp template (1200)',
    contact: phoneOnly,
    content: perChannel(shortText),
    steps: ['sms', 'whatsapp'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
    costs: [300, 1200],
  },
  {
    name: 'one text, no template: WhatsApp window closed, e-mail renders the text',
    contact: full,
    content: longText,
    steps: ['email', 'sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['whatsapp', 'window_closed'],
    ],
  },
  {
    name: 'open WhatsApp window: free-form text is free; ties broken by preference',
    contact: { ...full, id: 'c2' },
    content: longText,
    options: { conversations: { whatsapp: openWindow } },
    policy: { preference: ['whatsapp', 'email'] },
    steps: ['whatsapp', 'email', 'sms'],
    excluded: [['avito', 'no_chat']],
    costs: [0, 0, 1500],
  },
  {
    name: 'Avito chat exists: free reply channel, first in declared order',
    contact: { ...phoneOnly, identities: { avitoChatIds: ['u2i-abc'] } },
    steps: ['avito', 'whatsapp', 'sms'],
    excluded: [['email', 'no_identity']],
  },
  {
    name: 'no address at all',
    contact: { id: 'c3', consent: { ...granted } },
    steps: [],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
      ['whatsapp', 'no_identity'],
      ['sms', 'no_identity'],
    ],
  },
  {
    name: 'opted out of SMS',
    contact: { ...phoneOnly, consent: { ...granted, sms: 'opted_out' } },
    steps: ['whatsapp'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
      ['sms', 'opted_out'],
    ],
  },
  {
    name: 'marketing needs granted consent; unknown consent excludes',
    contact: { ...phoneOnly, consent: { sms: 'granted', whatsapp: 'unknown' } },
    options: { kind: 'marketing' },
    steps: ['sms'],
    excluded: [
      ['avito', 'no_consent'],
      ['email', 'no_consent'],
      ['whatsapp', 'no_consent'],
    ],
  },
  {
    name: 'transactional messages only need the absence of an opt-out',
    contact: { id: 'c4', phone: '+79161234567' },
    steps: ['whatsapp', 'sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
  },
  {
    name: 'previously not on WhatsApp and a bounced e-mail (hub reach stats)',
    contact: full,
    options: {
      reach: {
        whatsapp: { delivered: 0, failed: 1, lastFailure: 'not_on_channel', lastFailureAt: now - 10 * DAY_MS },
        email: { delivered: 2, failed: 1, lastFailure: 'bounced', lastFailureAt: now - DAY_MS },
      },
    },
    steps: ['sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'bounced'],
      ['whatsapp', 'not_on_channel'],
    ],
  },
  {
    name: 'a permanent failure is forgotten after permanentFailureMemoryMs',
    contact: phoneOnly,
    options: {
      reach: { whatsapp: { delivered: 0, failed: 1, lastFailure: 'not_on_channel', lastFailureAt: now - 200 * DAY_MS } },
    },
    steps: ['sms', 'whatsapp'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
  },
  {
    name: 'known poor WhatsApp reach makes the SMS cheaper to reach',
    contact: phoneOnly,
    options: { reach: { whatsapp: { delivered: 2, failed: 3, lastFailure: 'provider_error', lastFailureAt: now } } },
    steps: ['sms', 'whatsapp'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
  },
  {
    name: 'a channel the contact’s own history says never reaches them is left out',
    contact: phoneOnly,
    options: { reach: { whatsapp: { delivered: 0, failed: 5, lastFailure: 'provider_error', lastFailureAt: now } } },
    steps: ['sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
      ['whatsapp', 'unlikely_to_reach'],
    ],
  },
  {
    name: 'weightByReach off: the price alone orders',
    contact: phoneOnly,
    options: { reach: { whatsapp: { delivered: 2, failed: 3, lastFailure: 'provider_error', lastFailureAt: now } } },
    policy: { weightByReach: false },
    steps: ['whatsapp', 'sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
  },
  {
    name: 'quiet hours (exclude mode): 23:00 in Moscow leaves out everything but e-mail',
    contact: full,
    options: { now: Date.parse('2026-03-02T20:00:00Z') },
    policy: { quietHours: { from: '21:00', to: '09:00', mode: 'exclude' } },
    steps: ['email'],
    excluded: [
      ['avito', 'no_chat'],
      ['whatsapp', 'quiet_hours'],
      ['sms', 'quiet_hours'],
    ],
  },
  {
    name: 'quiet hours follow the contact time zone: 17:00 in Vladivostok is fine',
    contact: { ...phoneOnly, timeZone: 'Asia/Vladivostok' },
    options: { now: Date.parse('2026-03-02T07:00:00Z') },
    policy: { quietHours: { from: '21:00', to: '09:00', mode: 'exclude' } },
    steps: ['whatsapp', 'sms'],
    excluded: [
      ['avito', 'no_chat'],
      ['email', 'no_identity'],
    ],
  },
  {
    name: 'frequency cap: a marketing cascade 10 days ago blocks every channel',
    contact: full,
    options: { kind: 'marketing', history: [{ at: now - 10 * DAY_MS, kind: 'marketing' }] },
    steps: [],
    excluded: [
      ['avito', 'frequency_cap'],
      ['email', 'frequency_cap'],
      ['whatsapp', 'frequency_cap'],
      ['sms', 'frequency_cap'],
    ],
  },
  {
    name: 'frequency cap: 31 days ago is outside the window',
    contact: full,
    options: { kind: 'marketing', history: [{ at: now - 31 * DAY_MS, kind: 'marketing' }] },
    steps: ['email', 'whatsapp', 'sms'],
    excluded: [['avito', 'no_chat']],
  },
  {
    name: 'the same campaign never twice, whatever the kind',
    contact: phoneOnly,
    options: { campaign: 'm1', history: [{ at: now - 100 * DAY_MS, kind: 'service', campaign: 'm1' }] },
    steps: [],
    excluded: [
      ['avito', 'frequency_cap'],
      ['email', 'frequency_cap'],
      ['whatsapp', 'frequency_cap'],
      ['sms', 'frequency_cap'],
    ],
  },
  {
    name: 'budget: only what fits in what is left',
    contact: full,
    options: { budgetMinor: 1300 },
    steps: ['email', 'whatsapp'],
    excluded: [
      ['avito', 'no_chat'],
      ['sms', 'over_budget'],
    ],
  },
  {
    name: 'maxSteps and already attempted channels',
    contact: { ...full, identities: { avitoChatIds: ['u2i-1'] } },
    options: { attempted: ['email'] },
    policy: { maxSteps: 2 },
    steps: ['avito', 'whatsapp'],
    excluded: [
      ['email', 'attempted'],
      ['sms', 'max_steps'],
    ],
  },
  {
    name: 'per-channel content without an e-mail entry',
    contact: full,
    content: { sms: { type: 'text', text: shortText } },
    steps: ['sms'],
    excluded: [
      ['avito', 'no_content'],
      ['email', 'no_content'],
      ['whatsapp', 'no_content'],
    ],
  },
  {
    name: 'fixed order (ordering: preference) ignores prices',
    contact: full,
    policy: { ordering: 'preference', preference: ['whatsapp', 'sms', 'email'] },
    steps: ['whatsapp', 'sms', 'email'],
    excluded: [['avito', 'no_chat']],
  },
];

describe('plan', () => {
  it.each(rows)('$name', (row) => {
    const result = plan(row.contact, row.content ?? perChannel(), {
      channels,
      now,
      ...row.options,
      ...(row.policy ? { policy: row.policy } : {}),
    });
    expect(result.steps.map((step) => step.channelId)).toEqual(row.steps);
    expect(result.excluded.map((entry) => [entry.channelId, entry.reason])).toEqual(row.excluded);
    if (row.costs) expect(result.steps.map((step) => step.estimatedCost.money.amountMinor)).toEqual(row.costs);
    for (const entry of result.excluded) expect(entry.detail.length).toBeGreaterThan(0);
  });

  it('prices the SMS by the segments of this very text and attaches each channel fallback condition', () => {
    const result = plan(phoneOnly, perChannel(), { channels, now });
    const sms = result.steps.find((step) => step.channelId === 'sms');
    expect(sms?.estimatedCost.units).toBe(5);
    expect(sms?.fallback).toEqual({ after: 'not_delivered', withinMs: DAY_MS });
    expect(result.steps[0]?.fallback).toEqual({ after: 'not_read', withinMs: DAY_MS });
    expect(result.steps[0]?.expectedCost).toBeCloseTo(1200 / 0.9);
  });

  it('puts a free MAX dialog before SMS and falls back from MAX only on a failure (MAX reports no delivery)', () => {
    const max = createTestChannel({
      id: 'max',
      kind: 'max',
      priceMinor: 0,
      capabilities: { address: 'chat', canStartConversation: false, contentTypes: ['text', 'template'], templates: false },
    });
    const sms = channels.find((channel) => channel.kind === 'sms');
    const linked: Contact = { ...phoneOnly, identities: { maxChatIds: ['310550771'] }, consent: { ...granted, max: 'granted' } };
    const result = plan(linked, { type: 'text', text: 'Весенняя распродажа: скидка 10%' }, { channels: [max, sms!], now });
    expect(result.steps.map((step) => step.channelId)).toEqual(['max', 'sms']);
    expect(result.steps[0]?.fallback).toEqual({ after: 'failed', withinMs: DAY_MS });
    const cold = plan(phoneOnly, { type: 'text', text: 'Скидка 10%' }, { channels: [max, sms!], now });
    expect(cold.steps.map((step) => step.channelId)).toEqual(['sms']);
    expect(cold.excluded).toEqual([expect.objectContaining({ channelId: 'max', reason: 'no_chat' })]);
  });

  it('defers a step due at night until 09:00 in the contact time zone (defer mode)', () => {
    const late = Date.parse('2026-03-02T20:00:00Z'); // 23:00 Moscow
    const result = plan(full, perChannel(), { channels, now: late });
    const byId = Object.fromEntries(result.steps.map((step) => [step.channelId, step.notBefore]));
    expect(byId.email).toBeUndefined();
    expect(byId.whatsapp).toBe(Date.parse('2026-03-03T06:00:00Z'));
    const vladivostok = plan({ ...phoneOnly, timeZone: 'Asia/Vladivostok' }, perChannel(), {
      channels,
      now: Date.parse('2026-03-02T12:30:00Z'), // 22:30 in Vladivostok
    });
    expect(vladivostok.steps[0]?.notBefore).toBe(Date.parse('2026-03-02T23:00:00Z'));
  });

  it('gives up on a channel that failed every time (a dead SMS number), retrying after the memory, doubled per failure', () => {
    const sms = channels.filter((channel) => channel.kind === 'sms');
    const dead = (failed: number, at: number) => ({ sms: { sent: failed, delivered: 0, failed, lastAt: at } });
    const once = plan(phoneOnly, longText, { channels: sms, now, reach: dead(1, now - 30 * DAY_MS) });
    expect(once.steps.map((step) => step.channelId)).toEqual(['sms']);
    const twice = plan(phoneOnly, longText, { channels: sms, now, reach: dead(2, now - 30 * DAY_MS) });
    expect(twice.steps).toEqual([]);
    expect(twice.excluded).toEqual([
      { channelId: 'sms', reason: 'unlikely_to_reach', detail: 'sms failed all 2 times for this contact' },
    ]);
    // 180 days after the last failure it is tried again; after a third failure it waits 360 days.
    expect(plan(phoneOnly, longText, { channels: sms, now, reach: dead(2, now - 181 * DAY_MS) }).steps).toHaveLength(1);
    expect(plan(phoneOnly, longText, { channels: sms, now, reach: dead(3, now - 181 * DAY_MS) }).steps).toHaveLength(0);
    // One success and the channel is the reach model's to judge, not given up; `failuresToGiveUp: 0` leaves it to the
    // reach model too (which here still finds 0 of 2 below `skipBelowReach`).
    const revived = { sms: { sent: 3, delivered: 1, failed: 2, lastAt: now - DAY_MS } };
    expect(plan(phoneOnly, longText, { channels: sms, now, reach: revived }).excluded).toEqual([]);
    const never = plan(phoneOnly, longText, { channels: sms, now, reach: dead(2, now), policy: { failuresToGiveUp: 0 } });
    expect(never.excluded[0]?.detail).toBe('sms met its condition 0 of 2 times for this contact');
  });

  it('assumes a delivery likelier than a read before any history: an SMS before a WhatsApp template of the same price', () => {
    const text = 'приглашаем на плановое ТО вашего автомобиля, ждём вас '.repeat(4).slice(0, 210); // 4 segments, 12 ₽
    const result = plan(
      phoneOnly,
      { whatsapp: { type: 'template', name: 'offer', language: 'ru' }, sms: { type: 'text', text } },
      {
        channels,
        now,
        policy: { preference: ['whatsapp', 'sms'] },
      },
    );
    expect(result.steps.map((step) => [step.channelId, step.estimatedCost.money.amountMinor])).toEqual([
      ['sms', 1200],
      ['whatsapp', 1200],
    ]);
    expect(result.steps[0]?.reachProbability).toBe(0.95);
    expect(result.steps[1]?.reachProbability).toBe(0.9);
  });

  it('rejects a malformed policy naming the field', () => {
    expect(() =>
      plan(full, longText, { channels, now, policy: { fallback: { whatsapp: { after: 'never', withinMs: 1 } } } as never }),
    ).toThrow(/policy\.fallback\.whatsapp\.after/);
  });

  it('property: a plan never includes an excluded channel, accounts for every channel, and is sorted by expected cost', () => {
    const consent = fc.constantFrom('granted', 'unknown', 'opted_out', undefined);
    const stats = fc.option(
      fc.record({
        delivered: fc.nat(20),
        failed: fc.nat(20),
        lastFailure: fc.constantFrom('not_on_channel', 'bounced', 'provider_error', undefined),
        lastFailureAt: fc.integer({ min: now - 400 * DAY_MS, max: now }),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        fc.record({
          email: fc.boolean(),
          phone: fc.boolean(),
          chat: fc.boolean(),
          consent: fc.record({ email: consent, whatsapp: consent, sms: consent, avito: consent }),
          timeZone: fc.constantFrom('Europe/Moscow', 'Asia/Vladivostok', 'Europe/Kaliningrad'),
          reach: fc.record({ email: stats, whatsapp: stats, sms: stats, avito: stats }),
          textLength: fc.integer({ min: 1, max: 600 }),
          single: fc.boolean(),
          kind: fc.constantFrom('marketing', 'service'),
          hoursAgo: fc.option(fc.integer({ min: 0, max: 60 * 24 }), { nil: undefined }),
          offsetMs: fc.integer({ min: 0, max: DAY_MS }),
          weightByReach: fc.boolean(),
          budgetMinor: fc.option(fc.nat(3000), { nil: undefined }),
        }),
        (input) => {
          const contactConsent: Record<string, 'granted' | 'unknown' | 'opted_out'> = {};
          for (const [key, value] of Object.entries(input.consent)) if (value) contactConsent[key] = value;
          const contact: Contact = {
            id: 'p1',
            ...(input.phone ? { phone: '+79161234567' } : {}),
            ...(input.email ? { email: 'p@example.ru' } : {}),
            ...(input.chat ? { identities: { avitoChatIds: ['u2i-9'] } } : {}),
            consent: contactConsent,
            timeZone: input.timeZone,
          };
          const reach: Record<string, ReachStats> = {};
          for (const [key, value] of Object.entries(input.reach)) {
            if (!value) continue;
            reach[key] = {
              delivered: value.delivered,
              failed: value.failed,
              ...(value.lastFailure ? { lastFailure: value.lastFailure, lastFailureAt: value.lastFailureAt } : {}),
            };
          }
          const text = 'Ж'.repeat(input.textLength);
          const at = now + input.offsetMs;
          const history: DeliveryRecord[] =
            input.hoursAgo === undefined ? [] : [{ at: at - input.hoursAgo * HOUR_MS, kind: 'marketing' }];
          const result = plan(contact, input.single ? text : perChannel(text), {
            channels,
            now: at,
            kind: input.kind,
            reach,
            history,
            budgetMinor: input.budgetMinor,
            policy: input.weightByReach ? undefined : { weightByReach: false },
          });
          const planned = result.steps.map((step) => step.channelId);
          const excluded = result.excluded.map((entry) => entry.channelId);
          expect(planned.filter((id) => excluded.includes(id))).toEqual([]);
          expect([...planned, ...excluded].sort()).toEqual(channels.map((channel) => channel.id).sort());
          for (let index = 1; index < result.steps.length; index++) {
            expect(result.steps[index - 1]!.expectedCost).toBeLessThanOrEqual(result.steps[index]!.expectedCost);
          }
          if (input.budgetMinor !== undefined)
            for (const step of result.steps) expect(step.estimatedCost.money.amountMinor).toBeLessThanOrEqual(input.budgetMinor);
        },
      ),
      { numRuns: 500 },
    );
  });
});
