// Cascade economics over 12 monthly campaigns to one seeded synthetic dealer base, and planning throughput.
// Run alone: `pnpm bench cascade --seed 7` or `npx tsx packages/cascade/bench/economics.bench.ts --seed=7`
// (`--contacts=2000` for a smaller base). The generator's assumptions are written in packages/cascade/bench/README.md.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import type {
  Channel,
  Clock,
  Contact,
  ContactInput,
  Message,
  MessageContent,
  MessageContentInput,
  Omnidealer,
  ReachStats,
  Store,
} from '@omnidealer/core';
import type { TestChannel } from '@omnidealer/core/test';

type MailingRecord = Awaited<ReturnType<Omnidealer['mailingHistory']>>[number];

import type { NormalizedContent } from '../src/cascade-content.js';
import type { CascadePolicy } from '../src/cascade-policy.js';

const DAY_MS = 86_400_000;

/**
 * Workspace packages resolve to their TypeScript source under the `omnidealer-source` export condition. `npx tsx`
 * does not set it, so a resolve hook adds it before the modules are loaded (dynamically, after the hook is in place).
 */
async function load() {
  if (!process.execArgv.some((flag) => flag.includes('omnidealer-source'))) {
    register(
      'data:text/javascript,export async function resolve(specifier, context, next) {' +
        ' return next(specifier, { ...context, conditions: [...context.conditions, "omnidealer-source"] }); }',
      import.meta.url,
    );
  }
  const [core, providerUtils, sms, fixtures, cascade, content, planner, testKit] = await Promise.all([
    import('@omnidealer/core'),
    import('@omnidealer/core/provider-utils'),
    import('@omnidealer/channel-sms'),
    import('../src/__fixtures__/mock-channels.js'),
    import('../src/cascade.js'),
    import('../src/cascade-content.js'),
    import('../src/planner.js'),
    import('@omnidealer/core/test'),
  ]);
  return {
    ...core,
    ...providerUtils,
    countSegments: sms.countSegments,
    createTestChannel: testKit.createTestChannel,
    ...fixtures,
    ...cascade,
    ...content,
    ...planner,
  };
}
type Modules = Awaited<ReturnType<typeof load>>;
let modules: Modules;

/** Same shape as the repository's bench kit result. */
export interface CascadeBenchmarkResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  summary: Record<string, number>;
  goals?: Array<{ figure: string; op: '>=' | '<='; target: number }>;
  /** Campaigns 3–12: per group of contacts, what the cascade spent over hindsight (₽) and how much of it invite links cost. */
  lossesVsHindsight?: Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }>;
  notes?: string[];
}

/** Options of {@link runCascadeBenchmark}. The base's behaviour is fixed in {@link assumptions}, not here. */
export interface CascadeBenchmarkOptions {
  /** @default 10 000 */
  contacts?: number;
  /** Seed of the base and of every month's draws. @default 20260302 */
  seed?: number;
  /** Monthly campaigns. @default 12 */
  campaigns?: number;
  /** Plans to time per planner. @default 200 000 */
  planIterations?: number;
}

/**
 * The generator's assumptions, fixed before the reach model was tuned (see bench/README.md): who has which channel and
 * how each person behaves, the same every month; per-message luck is drawn per month.
 */
export const assumptions = {
  /** Share of contacts with an e-mail address. */
  emailShare: 0.1,
  /** Share of those e-mails that bounce (every time: a dead mailbox). */
  emailBounce: 0.1,
  /** Share of phone numbers that are dead for SMS (every SMS fails). */
  smsDead: 0.02,
  /** Chance a live number's SMS is delivered, per message. */
  smsDelivered: 0.99,
  /** Share of phones on WhatsApp. */
  onWhatsApp: 0.85,
  /** Chance a WhatsApp template is delivered (phone online within the day), per message. */
  whatsappDelivered: 0.97,
  /** Share of WhatsApp users who read the dealer's messages; the rest never read messenger mailings. */
  whatsappReaders: 0.7,
  /** Chance a reader reads a delivered message within 24 h. */
  readerReads: 0.9,
  /** Chance a non-reader reads one. */
  nonReaderReads: 0.03,
  /** Share of contacts with MAX installed (who would link to the dealer's bot if invited). */
  maxUsers: 0.55,
  /** Share of the base linked to the dealer's MAX bot before the first campaign (wrote to it earlier). */
  maxLinkedAtStart: 0.03,
  /** Chance an unlinked MAX user links on their own in a month (a QR code in the showroom). */
  maxSelfLinkPerMonth: 0.01,
  /** Chance an unlinked MAX user links after an invite link in a delivered SMS. */
  maxInviteTaken: 0.08,
  /** Prices in kopecks: SMS per segment (billed once accepted), WhatsApp marketing template (billed once delivered). */
  smsSegmentMinor: 300,
  whatsappMinor: 1200,
} as const;

interface Person {
  contact: Contact;
  content: NormalizedContent;
  email: boolean;
  emailBounces: boolean;
  smsLive: boolean;
  onWhatsApp: boolean;
  reader: boolean;
  maxUser: boolean;
  smsMinor: number;
}

/** One month's luck per person: the same for every scenario. */
interface Month {
  whatsappDelivered: Uint8Array;
  whatsappRead: Uint8Array;
  smsDelivered: Uint8Array;
  selfLink: Uint8Array;
  inviteTaken: Uint8Array;
}

/** mulberry32: a tiny seeded PRNG so every run sees the same base. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const words = [
  'Иван',
  'Петрович',
  'приглашаем',
  'на',
  'плановое',
  'ТО',
  'вашего',
  'автомобиля',
  'скидка',
  'на',
  'работы',
  'и',
  'запчасти',
  'до',
  'конца',
  'месяца',
  'запишитесь',
  'по',
  'телефону',
  'ждём',
  'вас',
  'в',
  'сервисе',
  'дилерского',
  'центра',
];

/** A Cyrillic text of 4–5 SMS segments (202–335 UTF-16 units). */
function mailingText(next: () => number): string {
  const length = 202 + Math.floor(next() * 134);
  let text = '';
  while (text.length < length) text += `${words[Math.floor(next() * words.length)]} `;
  return text.slice(0, length).trimEnd().padEnd(length, '!');
}

function buildBase(contacts: number, seed: number): Person[] {
  const next = random(seed);
  const base: Person[] = [];
  for (let index = 0; index < contacts; index++) {
    const email = next() < assumptions.emailShare;
    const input: ContactInput = {
      id: `c${index}`,
      phone: `+7916${String(1_000_000 + index).slice(-7)}`,
      ...(email ? { email: `client${index}@example.ru` } : {}),
      consent: { email: 'granted', whatsapp: 'granted', sms: 'granted', max: 'granted' },
    };
    const text = mailingText(next);
    const content: Record<string, MessageContentInput> = {
      whatsapp: { type: 'template', name: 'service_offer', language: 'ru', params: ['Иван'], fallbackText: text },
      sms: { type: 'text', text },
      max: { type: 'text', text },
      email: { type: 'email', subject: 'Плановое ТО со скидкой', text },
    };
    const onWhatsApp = next() < assumptions.onWhatsApp;
    base.push({
      contact: modules.parseInput(modules.contactSchema, input, 'contact'),
      content: modules.normalizeContent(content),
      email,
      emailBounces: email && next() < assumptions.emailBounce,
      smsLive: next() >= assumptions.smsDead,
      onWhatsApp,
      reader: onWhatsApp && next() < assumptions.whatsappReaders,
      maxUser: next() < assumptions.maxUsers,
      smsMinor: modules.countSegments(text).segments * assumptions.smsSegmentMinor,
    });
  }
  return base;
}

function drawMonth(base: Person[], seed: number, month: number): Month {
  const next = random(seed + 1_000_003 * (month + 1));
  const size = base.length;
  const draws: Month = {
    whatsappDelivered: new Uint8Array(size),
    whatsappRead: new Uint8Array(size),
    smsDelivered: new Uint8Array(size),
    selfLink: new Uint8Array(size),
    inviteTaken: new Uint8Array(size),
  };
  base.forEach((person, index) => {
    const delivered = person.onWhatsApp && next() < assumptions.whatsappDelivered;
    const reads = next() < (person.reader ? assumptions.readerReads : assumptions.nonReaderReads);
    draws.whatsappDelivered[index] = delivered ? 1 : 0;
    draws.whatsappRead[index] = delivered && reads ? 1 : 0;
    draws.smsDelivered[index] = person.smsLive && next() < assumptions.smsDelivered ? 1 : 0;
    draws.selfLink[index] = person.maxUser && next() < assumptions.maxSelfLinkPerMonth ? 1 : 0;
    draws.inviteTaken[index] = person.maxUser && next() < assumptions.maxInviteTaken ? 1 : 0;
  });
  return draws;
}

function initialLinks(base: Person[], seed: number): Uint8Array {
  const next = random(seed ^ 0x5bd1e995);
  const linked = new Uint8Array(base.length);
  // Everyone linked at the start has MAX; the share is of the whole base.
  const share = assumptions.maxLinkedAtStart / assumptions.maxUsers;
  base.forEach((person, index) => {
    linked[index] = person.maxUser && next() < share ? 1 : 0;
  });
  return linked;
}

const DEEP_LINK_BASE = 'https://max.ru/omnidealer_bot';

/**
 * A lean stand-in for the hub with the contract the cascade relies on (store, clock, channels, events, send, reach
 * statistics and totals, frequency claims, invite links). It counts reach as core's `reach-stats.ts` does (sent when
 * accepted, delivered, read, failed, and the per-channel totals). The real hub wraps every send in a Bottleneck
 * limiter that costs milliseconds of wall time per message, which would make 12 campaigns take many minutes.
 */
function createSimulatedHub(channels: Channel[], store: Store, clock: Clock) {
  const listeners = new Map<string, Set<(event: { message: Message }) => void>>();
  const byChannel = new Map(channels.map((channel) => [channel.id, channel]));
  const emit = (name: string, message: Message) => {
    for (const listener of listeners.get(name) ?? []) listener({ message });
  };
  let invites = 0;
  const count = (stats: ReachStats, outcome: 'sent' | 'delivered' | 'read' | 'failed', alsoDelivered: boolean) => {
    if (outcome === 'sent') stats.sent = (stats.sent ?? 0) + 1;
    else if (outcome === 'delivered') stats.delivered++;
    else if (outcome === 'read') {
      stats.read = (stats.read ?? 0) + 1;
      if (alsoDelivered) stats.delivered++;
    } else stats.failed++;
    stats.lastAt = clock.now();
  };
  const recordReach = async (
    contactId: string,
    channelId: string,
    outcome: 'sent' | 'delivered' | 'read' | 'failed',
    failure?: string,
    alsoDelivered = false,
  ) => {
    await store.updateRecord<ReachStats>('reach', `${contactId}:${channelId}`, (current) => {
      const stats = current ?? { delivered: 0, failed: 0 };
      count(stats, outcome, alsoDelivered);
      if (outcome === 'failed' && failure) {
        stats.lastFailure = failure;
        stats.lastFailureAt = clock.now();
      }
      return stats;
    });
    await store.updateRecord<ReachStats>('reach-total', channelId, (current) => {
      const totals = current ?? { delivered: 0, failed: 0 };
      count(totals, outcome, alsoDelivered);
      return totals;
    });
  };
  const hub = {
    store,
    clock,
    channels: byChannel,
    get invites() {
      return invites;
    },
    on(name: string, listener: (event: { message: Message }) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return hub;
    },
    off(name: string, listener?: (event: { message: Message }) => void) {
      if (listener) listeners.get(name)?.delete(listener);
      else listeners.delete(name);
      return hub;
    },
    async reachStats(contactId: string, channelId: string): Promise<ReachStats> {
      return (await store.getRecord<ReachStats>('reach', `${contactId}:${channelId}`)) ?? { delivered: 0, failed: 0 };
    },
    async reachTotals(channelId: string): Promise<ReachStats> {
      return (await store.getRecord<ReachStats>('reach-total', channelId)) ?? { delivered: 0, failed: 0 };
    },
    async mailingHistory(contactId: string): Promise<MailingRecord[]> {
      return (await store.getRecord<MailingRecord[]>('cascade.history', contactId)) ?? [];
    },
    async claimFrequency(
      contactId: string,
      claim: { kind: string; campaign?: string; claimId: string; cap?: { max: number; windowMs: number } },
    ): Promise<string | undefined> {
      const now = clock.now();
      const cap = claim.cap ?? (claim.kind === 'marketing' ? { max: 1, windowMs: 30 * DAY_MS } : undefined);
      let refusal: string | undefined;
      await store.updateRecord<MailingRecord[]>('cascade.history', contactId, (history) => {
        refusal = undefined;
        const kept = history ?? [];
        if (kept.some((record) => record.claimId === claim.claimId)) return history;
        if (claim.campaign !== undefined && kept.some((record) => record.campaign === claim.campaign))
          refusal = `already received campaign ${claim.campaign}`;
        else if (cap && kept.filter((record) => record.kind === claim.kind && now - record.at < cap.windowMs).length >= cap.max)
          refusal = 'frequency cap';
        if (refusal) return history;
        return [
          ...kept,
          { at: now, kind: claim.kind, ...(claim.campaign ? { campaign: claim.campaign } : {}), claimId: claim.claimId },
        ];
      });
      return refusal;
    },
    async releaseFrequency(contactId: string, claimId: string): Promise<void> {
      await store.updateRecord<MailingRecord[]>('cascade.history', contactId, (history) => {
        const rest = history?.filter((record) => record.claimId !== claimId);
        return rest?.length ? rest : undefined;
      });
    },
    async upsertContact(contact: Contact) {
      await store.saveContact(contact);
      return contact;
    },
    async inviteLink(contactId: string, channelId: string) {
      invites++;
      const payload = `${contactId}-${channelId}-${invites}`;
      return { url: `${DEEP_LINK_BASE}?start=${payload}`, payload, expiresAt: clock.now() + 30 * DAY_MS };
    },
    async send(input: {
      channel: string;
      contact: Contact;
      content: MessageContent;
      idempotencyKey?: string;
      metadata?: Record<string, unknown>;
    }) {
      const channel = byChannel.get(input.channel) as Channel;
      const now = clock.now();
      const conversation = await store.findConversation(input.contact.id, channel.id);
      const reach = channel.canReach({ contact: input.contact, content: input.content, now, conversation });
      if (!reach.reachable)
        throw new modules.UnreachableRecipientError({ channel: channel.kind, reason: 'not_on_channel', message: reach.detail });
      const id = `msg_${channel.id}_${input.idempotencyKey ?? now}`;
      if (input.idempotencyKey) {
        const existing = await store.claimIdempotencyKey(input.idempotencyKey, id);
        if (existing) return (await store.getMessage(existing)) as Message;
      }
      const message: Message = {
        id,
        conversationId: `conv_${input.contact.id}_${channel.id}`,
        contactId: input.contact.id,
        direction: 'outbound',
        channel: channel.id,
        content: input.content,
        status: 'queued',
        cost: channel.estimateCost(input.content, input.contact, { now }).money,
        ...(input.metadata ? { metadata: input.metadata } : {}),
        createdAt: now,
        updatedAt: now,
        statusTimes: { queued: now },
      };
      await store.saveMessage(message);
      try {
        const result = await channel.doSend({ id, to: reach.address, contact: input.contact, content: input.content }, {});
        const sent: Message = {
          ...message,
          status: result.status,
          providerMessageId: result.providerMessageId,
          statusTimes: { ...message.statusTimes, sent: now },
        };
        await store.saveMessage(sent);
        await recordReach(input.contact.id, channel.id, 'sent');
        return sent;
      } catch (error) {
        const failed: Message = {
          ...message,
          status: 'failed',
          error: { code: 'unreachable_recipient', message: String(error) },
        };
        await store.saveMessage(failed);
        await recordReach(input.contact.id, channel.id, 'failed', (error as { reason?: string }).reason);
        emit('message.failed', failed);
        return failed;
      }
    },
    /** What `hub.handleWebhook` does with one status event. */
    async applyStatus(channelId: string, providerMessageId: string, status: 'delivered' | 'read' | 'failed') {
      const message = await store.findMessageByProviderId(channelId, providerMessageId);
      if (!message || !modules.canTransition(message.status, status)) return;
      const previous = message.status;
      const updated: Message = {
        ...message,
        status,
        updatedAt: clock.now(),
        statusTimes: { ...message.statusTimes, [status]: clock.now() },
      };
      await store.saveMessage(updated);
      if (status === 'delivered') await recordReach(message.contactId, channelId, 'delivered');
      else if (status === 'read') await recordReach(message.contactId, channelId, 'read', undefined, previous !== 'delivered');
      emit('message.status', updated);
      if (status === 'failed') {
        // An undelivered SMS says nothing permanent (the real hub records no reason either); e-mail bounces are.
        await recordReach(message.contactId, channelId, 'failed', channelId === 'email' ? 'bounced' : undefined);
        emit('message.failed', updated);
      }
    },
  };
  return hub;
}

/** One campaign's figures for one scenario. */
interface Outcome {
  spendMinor: number;
  /** Per contact: what this scenario spent on them (the cascade and hindsight). */
  spendPer?: Float64Array;
  /** Per contact: the extra SMS segments invite links cost (the cascade). */
  invitesExtraPer?: Float64Array;
  reached: number;
  sent: Record<string, number>;
  invites?: number;
  links?: number;
}

/** The bench's channels: the cascade package's mocks, WhatsApp billed once delivered, and a MAX bot with deep links. */
function createChannels() {
  const mocks = modules.createMockChannels();
  const whatsapp = { ...mocks.whatsapp, capabilities: { ...mocks.whatsapp.capabilities, billedOn: 'delivered' as const } };
  const max = modules.createTestChannel({
    id: 'max',
    kind: 'max',
    priceMinor: 0,
    deepLinkBase: DEEP_LINK_BASE,
    capabilities: { address: 'chat', contentTypes: ['text'], templates: false, canStartConversation: false },
  });
  return { ...mocks, whatsapp, max, all: [mocks.email, max, whatsapp, mocks.sms] as Channel[] };
}

const contactOf = (person: Person, linked: boolean): Contact =>
  linked ? { ...person.contact, identities: { maxChatIds: [`max-${person.contact.id}`] } } : person.contact;

/**
 * The cascade over 12 monthly campaigns on one store: what it learns from one campaign it uses in the next. Statuses
 * come from the month's draws; reach is counted from the same draws (a WhatsApp message must be read).
 */
async function runCascade(
  base: Person[],
  months: Month[],
  links: Uint8Array,
  policy: CascadePolicy,
  onCampaign?: (campaign: number, cascade: ReturnType<Modules['createCascade']>) => Promise<void>,
): Promise<{ outcomes: Outcome[]; linksPerCampaign: Uint8Array[] }> {
  const clock = modules.createManualClock(Date.parse('2026-03-02T07:00:00Z')); // Monday 10:00 in Moscow
  const channels = createChannels();
  const store = modules.createMemoryStore();
  const hub = createSimulatedHub(channels.all, store, clock);
  const cascade = modules.createCascade({
    hub: hub as unknown as Omnidealer,
    clock,
    channels: ['email', 'max', 'whatsapp', 'sms'],
    policy,
  });
  const indexOf = new Map(base.map((person, index) => [person.contact.id, index]));
  for (const person of base) {
    if (!person.onWhatsApp) channels.whatsapp.reject(person.contact.phone as string, 'not_on_channel');
    if (person.emailBounces) channels.email.reject(person.contact.email as string, 'bounced');
  }
  const linked = Uint8Array.from(links);
  const outcomes: Outcome[] = [];
  const linksPerCampaign: Uint8Array[] = [];
  const tested: TestChannel[] = [channels.email, channels.max, channels.whatsapp as TestChannel, channels.sms];
  for (let campaign = 0; campaign < months.length; campaign++) {
    const month = months[campaign] as Month;
    const start = Date.parse('2026-03-02T07:00:00Z') + campaign * 30 * DAY_MS;
    clock.set(start);
    linksPerCampaign.push(Uint8Array.from(linked));
    const from = new Map(tested.map((channel) => [channel, channel.sent.length]));
    const seen = new Map(from);
    const statusesOf = (channel: TestChannel, index: number): Array<'delivered' | 'read' | 'failed'> => {
      if (channel === channels.email) return ['delivered'];
      if (channel === channels.max) return [];
      if (channel.id === 'whatsapp')
        return month.whatsappRead[index] ? ['delivered', 'read'] : month.whatsappDelivered[index] ? ['delivered'] : [];
      return month.smsDelivered[index] ? ['delivered'] : ['failed'];
    };
    const deliverStatuses = async () => {
      let posted = true;
      while (posted) {
        posted = false;
        for (const channel of tested) {
          const fresh = channel.sent.slice(seen.get(channel) ?? 0);
          seen.set(channel, channel.sent.length);
          for (const message of fresh) {
            for (const status of statusesOf(channel, indexOf.get(message.contact.id) as number)) {
              await hub.applyStatus(channel.id, message.providerMessageId, status);
              posted = true;
            }
          }
        }
        await cascade.drain();
      }
    };
    const mailingId = `month-${campaign + 1}`;
    await cascade.campaign({
      mailingId,
      contacts: base.map((person, index) => contactOf(person, linked[index] === 1)),
      content: (contact) => (base[indexOf.get(contact.id) as number] as Person).content,
      concurrency: 64,
    });
    await deliverStatuses();
    for (let day = 0; day < 4; day++) {
      clock.advance(DAY_MS);
      await cascade.runDueSteps();
      await deliverStatuses();
    }
    const report = await cascade.report({ campaign: mailingId });
    // Reached: some message met its channel's condition according to the month's draws.
    const reached = new Uint8Array(base.length);
    const spendPer = new Float64Array(base.length);
    const invitesExtraPer = new Float64Array(base.length);
    const sent: Record<string, number> = {};
    let invites = 0;
    let links = 0;
    for (const channel of tested) {
      const messages = channel.sent.slice(from.get(channel) ?? 0);
      sent[channel.id] = messages.length;
      for (const message of messages) {
        const index = indexOf.get(message.contact.id) as number;
        const ok =
          channel.id === 'email' || channel.id === 'max'
            ? true
            : channel.id === 'whatsapp'
              ? month.whatsappRead[index] === 1
              : month.smsDelivered[index] === 1;
        if (ok) reached[index] = 1;
        const text = message.content.type === 'text' ? message.content.text : '';
        if (channel.id === 'sms') {
          const billed = modules.countSegments(text).segments * assumptions.smsSegmentMinor;
          spendPer[index] = (spendPer[index] as number) + billed;
          invitesExtraPer[index] = (invitesExtraPer[index] as number) + billed - (base[index] as Person).smsMinor;
        } else if (channel.id === 'whatsapp' && month.whatsappDelivered[index])
          spendPer[index] = (spendPer[index] as number) + assumptions.whatsappMinor;
        if (channel.id === 'sms' && text.includes(DEEP_LINK_BASE)) {
          invites++;
          if (month.smsDelivered[index] && !linked[index] && month.inviteTaken[index]) {
            linked[index] = 1;
            links++;
          }
        }
      }
    }
    for (let index = 0; index < base.length; index++) if (month.selfLink[index]) linked[index] = 1;
    outcomes.push({
      spendMinor: report.totalSpendMinor,
      spendPer,
      invitesExtraPer,
      reached: reached.reduce((sum, value) => sum + value, 0),
      sent,
      invites,
      links,
    });
    await onCampaign?.(campaign, cascade);
  }
  cascade.close();
  return { outcomes, linksPerCampaign };
}

/** SMS only: every contact gets the SMS; SMS is billed once accepted. */
function smsOnly(base: Person[], month: Month): Outcome {
  let spendMinor = 0;
  let reached = 0;
  base.forEach((person, index) => {
    spendMinor += person.smsMinor;
    reached += month.smsDelivered[index] as number;
  });
  return { spendMinor, reached, sent: { sms: base.length } };
}

/** The fixed order people configure by hand: MAX when linked, else WhatsApp, then SMS when WhatsApp is not read in 24 h. */
function fixedOrder(base: Person[], month: Month, linked: Uint8Array): Outcome {
  let spendMinor = 0;
  let reached = 0;
  const sent: Record<string, number> = { max: 0, whatsapp: 0, sms: 0 };
  base.forEach((person, index) => {
    if (linked[index]) {
      sent.max = (sent.max ?? 0) + 1;
      reached++;
      return;
    }
    if (person.onWhatsApp) {
      sent.whatsapp = (sent.whatsapp ?? 0) + 1;
      if (month.whatsappDelivered[index]) spendMinor += assumptions.whatsappMinor;
      if (month.whatsappRead[index]) {
        reached++;
        return;
      }
    }
    sent.sms = (sent.sms ?? 0) + 1;
    spendMinor += person.smsMinor;
    if (month.smsDelivered[index]) reached++;
  });
  return { spendMinor, reached, sent };
}

/** The cheapest channel whose condition this month's draws meet (e-mail not bounced, MAX linked, WhatsApp read, SMS delivered). */
function hindsight(base: Person[], month: Month, linked: Uint8Array): Outcome {
  let spendMinor = 0;
  let reached = 0;
  const sent: Record<string, number> = { email: 0, max: 0, whatsapp: 0, sms: 0 };
  const spendPer = new Float64Array(base.length);
  base.forEach((person, index) => {
    let best: [string, number] | undefined;
    const offer = (channel: string, minor: number) => {
      if (!best || minor < best[1]) best = [channel, minor];
    };
    if (person.email && !person.emailBounces) offer('email', 0);
    if (linked[index]) offer('max', 0);
    if (month.whatsappRead[index]) offer('whatsapp', assumptions.whatsappMinor);
    if (month.smsDelivered[index]) offer('sms', person.smsMinor);
    if (!best) return;
    reached++;
    spendMinor += best[1];
    spendPer[index] = best[1];
    sent[best[0]] = (sent[best[0]] ?? 0) + 1;
  });
  return { spendMinor, reached, sent, spendPer };
}

/** Who a contact is, for the breakdown of the cascade's excess over hindsight. */
function groupOf(person: Person, linked: boolean): string {
  if (person.email && !person.emailBounces) return 'e-mail';
  if (linked) return 'MAX linked';
  if (!person.smsLive) return 'dead SMS number';
  const segments = `${person.smsMinor / assumptions.smsSegmentMinor}-segment SMS`;
  return `${segments}, ${person.reader ? 'WhatsApp reader' : person.onWhatsApp ? 'WhatsApp non-reader' : 'no WhatsApp'}`;
}

/**
 * Where the cascade spends more than hindsight, per group of contacts, in ₽ over the given campaigns: what it paid
 * for them minus what hindsight paid, with the part that is invite links' extra SMS segments shown apart.
 */
function lossBreakdown(
  base: Person[],
  entries: Array<{ cascade: Outcome; best: Outcome; linked: Uint8Array; invitesExtraPer: Float64Array }>,
): Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }> {
  const groups: Record<string, { contacts: number; excessRub: number; inviteSegmentsRub: number }> = {};
  for (const entry of entries) {
    base.forEach((person, index) => {
      const group = groupOf(person, entry.linked[index] === 1);
      const row = (groups[group] ??= { contacts: 0, excessRub: 0, inviteSegmentsRub: 0 });
      row.contacts++;
      row.excessRub += ((entry.cascade.spendPer?.[index] ?? 0) - (entry.best.spendPer?.[index] ?? 0)) / 100;
      row.inviteSegmentsRub += (entry.invitesExtraPer[index] ?? 0) / 100;
    });
  }
  for (const row of Object.values(groups)) {
    row.contacts = Math.round(row.contacts / Math.max(1, entries.length));
    row.excessRub = Math.round(row.excessRub);
    row.inviteSegmentsRub = Math.round(row.inviteSegmentsRub);
  }
  return groups;
}

/** A fixed-order planner (what people configure by hand): the same checks, no pricing, no ordering. */
function fixedOrderPlan(contact: Contact, content: NormalizedContent, channels: readonly Channel[], now: number) {
  const steps: Array<{ channelId: string; costMinor: number }> = [];
  for (const channel of channels) {
    const rendered = modules.renderForChannel(channel, content);
    if (!rendered) continue;
    const reach = channel.canReach({ contact, content: rendered, now });
    if (!reach.reachable) continue;
    steps.push({ channelId: channel.id, costMinor: channel.estimateCost(rendered, contact, { now }).money.amountMinor });
  }
  return steps;
}

/**
 * Plans per second of one round, by the wall clock and by the process's CPU time. On a shared machine the wall clock
 * counts the time other jobs hold the core; the CPU time does not (and counts the GC's helper threads against the
 * planner, so it is the conservative figure on an idle machine).
 */
function plansPerSecond(
  base: Person[],
  iterations: number,
  run: (person: Person, index: number) => unknown,
): { wall: number; cpu: number } {
  for (let index = 0; index < Math.min(iterations, 5_000); index++) run(base[index % base.length] as Person, index % base.length); // warm up
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < iterations; index++) run(base[index % base.length] as Person, index % base.length);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: iterations / wallSeconds, cpu: iterations / ((cpu.user + cpu.system) / 1_000_000) };
}

type Planner = 'cascade' | 'fixed';

/** Plans per second of one planner in this process: warm-up, then `rounds` rounds, each figure's median. */
async function measurePlanner(
  planner: Planner,
  contacts: number,
  seed: number,
  iterations: number,
): Promise<{ wall: number; cpu: number }> {
  modules ??= await load();
  const base = buildBase(contacts, seed);
  const { all: channels } = createChannels();
  const ordered = channels.filter((channel) => channel.id !== 'email');
  const now = Date.parse('2026-03-02T07:00:00Z');
  const facts = base.map((_, index) => ({
    whatsapp: { delivered: index % 3, failed: 0, sent: 2, read: index % 2, lastAt: now - 30 * DAY_MS },
    sms: { delivered: 2, failed: 0, sent: 2, lastAt: now - 30 * DAY_MS },
  }));
  const totals = {
    whatsapp: { delivered: 8000, failed: 0, sent: 9000, read: 5000 },
    sms: { delivered: 9500, failed: 300, sent: 9800 },
  };
  // The reader classes the cascade fits from the base (as after a few campaigns): the planner weighs them per contact.
  const classes = {
    whatsapp: { share: 0.7, high: 0.87, low: 0.03, contacts },
    sms: { share: 0.98, high: 0.99, low: 0.001, contacts },
  };
  const run =
    planner === 'cascade'
      ? (person: Person, index: number) =>
          modules.plan(person.contact, person.content, {
            channels,
            now,
            policy: benchPolicy,
            kind: 'marketing',
            reach: facts[index] as (typeof facts)[number],
            reachTotals: totals,
            reachClasses: classes,
          })
      : (person: Person) => fixedOrderPlan(person.contact, person.content, ordered, now);
  plansPerSecond(base, Math.min(iterations, 20_000), run); // warm-up: the JIT settles
  (globalThis as { gc?: () => void }).gc?.();
  const rounds = Array.from({ length: 5 }, () => plansPerSecond(base, iterations / 5, run));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return { wall: median(rounds.map((round) => round.wall)), cpu: median(rounds.map((round) => round.cpu)) };
}

/** Runs {@link measurePlanner} in a child process (this file with `--planner=…`), or here when that is not possible. */
async function planInChild(
  planner: Planner,
  settings: Required<CascadeBenchmarkOptions>,
): Promise<{ wall: number; cpu: number }> {
  const { execFile } = await import('node:child_process');
  const file = fileURLToPath(import.meta.url);
  const args = [
    ...process.execArgv,
    file,
    `--planner=${planner}`,
    `--contacts=${settings.contacts}`,
    `--seed=${settings.seed}`,
    `--iterations=${settings.planIterations}`,
  ];
  try {
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    const line = output.trim().split('\n').pop() ?? '';
    return JSON.parse(line) as { wall: number; cpu: number };
  } catch {
    return measurePlanner(planner, settings.contacts, settings.seed, settings.planIterations);
  }
}

/** Both planners, three fresh processes each, alternated; the median of each figure. */
async function planningSpeed(settings: Required<CascadeBenchmarkOptions>) {
  const runs: Record<Planner, Array<{ wall: number; cpu: number }>> = { cascade: [], fixed: [] };
  for (let round = 0; round < 3; round++)
    for (const planner of ['cascade', 'fixed'] as const) runs[planner].push(await planInChild(planner, settings));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const pick = (planner: Planner) => ({
    wall: median(runs[planner].map((run) => run.wall)),
    cpu: median(runs[planner].map((run) => run.cpu)),
  });
  return { cascade: pick('cascade'), fixed: pick('fixed') };
}

/** The policy of the learning cascade in the benchmark (what a dealer would set). */
export const benchPolicy: CascadePolicy = {
  preference: ['email', 'max', 'whatsapp', 'sms'],
  acquisition: { channel: 'max', prefix: 'Мы в MAX: ' },
};

/**
 * Plans per second of the cascade planner (with per-contact reach history) against a fixed-order planner, and the
 * economics of 12 monthly campaigns to one seeded base: (a) SMS only, (b) fixed MAX/WhatsApp → SMS, (c) the
 * learning cascade, (d) the hindsight optimum of each campaign.
 */
export async function runCascadeBenchmark(options: CascadeBenchmarkOptions = {}): Promise<CascadeBenchmarkResult> {
  const settings: Required<CascadeBenchmarkOptions> = {
    contacts: 10_000,
    seed: 20260302,
    campaigns: 12,
    planIterations: 200_000,
    ...options,
  };
  modules ??= await load();
  const memoryBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const base = buildBase(settings.contacts, settings.seed);
  const months = Array.from({ length: settings.campaigns }, (_, month) => drawMonth(base, settings.seed, month));
  const links = initialLinks(base, settings.seed);

  // Planning speed, each planner in a fresh process of its own (a heap and JIT profile that neither the 12 campaigns
  // nor the other planner have touched), alternated over rounds so machine noise hits both alike; medians.
  const speed = await planningSpeed(settings);
  const cascadePlans = speed.cascade.cpu;
  const fixedPlans = speed.fixed.cpu;
  const cascadePlansWall = speed.cascade.wall;
  const fixedPlansWall = speed.fixed.wall;
  const learned = await runCascade(base, months, links, benchPolicy);
  const fixedLinks = Uint8Array.from(links);
  const rows: CascadeBenchmarkResult['rows'] = [];
  const per: Array<{ sms: Outcome; fixed: Outcome; cascade: Outcome; best: Outcome }> = [];
  const rub = (minor: number) => Math.round(minor) / 100;
  const perReached = (outcome: Outcome) => outcome.spendMinor / Math.max(1, outcome.reached);
  for (let campaign = 0; campaign < settings.campaigns; campaign++) {
    const month = months[campaign] as Month;
    const sms = smsOnly(base, month);
    const fixed = fixedOrder(base, month, fixedLinks);
    base.forEach((_, index) => {
      if (month.selfLink[index]) fixedLinks[index] = 1;
    });
    const cascade = learned.outcomes[campaign] as Outcome;
    const best = hindsight(base, month, learned.linksPerCampaign[campaign] as Uint8Array);
    per.push({ sms, fixed, cascade, best });
    rows.push({
      campaign: campaign + 1,
      'SMS only ₽': rub(sms.spendMinor),
      'fixed ₽': rub(fixed.spendMinor),
      'cascade ₽': rub(cascade.spendMinor),
      'hindsight ₽': rub(best.spendMinor),
      'reached SMS/fixed/cascade/hindsight': `${sms.reached}/${fixed.reached}/${cascade.reached}/${best.reached}`,
      'cascade sent e/M/W/S': `${cascade.sent.email ?? 0}/${cascade.sent.max ?? 0}/${cascade.sent.whatsapp ?? 0}/${cascade.sent.sms ?? 0}`,
      '₽/reached cascade ÷ hindsight': Math.round((perReached(cascade) / perReached(best)) * 1000) / 1000,
      'cascade vs SMS only %': Math.round((1 - cascade.spendMinor / sms.spendMinor) * 1000) / 10,
      'invites/links': `${cascade.invites ?? 0}/${cascade.links ?? 0}`,
    });
  }

  rows.push(
    {
      campaign: 'plans per CPU second: cascade planner (4 channels, reach model with classes, reasons)',
      value: Math.round(cascadePlans),
    },
    { campaign: 'plans per CPU second: fixed-order planner (3 channels, no pricing order)', value: Math.round(fixedPlans) },
    { campaign: 'plans per wall second: cascade planner', value: Math.round(cascadePlansWall) },
    { campaign: 'plans per wall second: fixed-order planner', value: Math.round(fixedPlansWall) },
  );

  const sum = (pick: (entry: (typeof per)[number]) => number) => per.reduce((total, entry) => total + pick(entry), 0);
  const later = per.slice(2);
  const losses = lossBreakdown(
    base,
    later.map((entry, offset) => ({
      cascade: entry.cascade,
      best: entry.best,
      linked: learned.linksPerCampaign[offset + 2] as Uint8Array,
      invitesExtraPer: entry.cascade.invitesExtraPer ?? new Float64Array(base.length),
    })),
  );
  const ratios = later.map((entry) => perReached(entry.cascade) / perReached(entry.best));
  // The same ratio with the invite links' extra SMS segments left out: hindsight gets the links the cascade's invites
  // made without paying for them, so this shows how close the routing alone comes.
  const inviteMinor = (outcome: Outcome) => (outcome.invitesExtraPer ?? new Float64Array()).reduce((a, b) => a + b, 0);
  const routingRatios = later.map(
    (entry) =>
      (entry.cascade.spendMinor - inviteMinor(entry.cascade)) / Math.max(1, entry.cascade.reached) / perReached(entry.best),
  );
  const hindsightSavings = 1 - sum((e) => e.best.spendMinor) / sum((e) => e.sms.spendMinor);
  const learnedSavings = 1 - sum((e) => e.cascade.spendMinor) / sum((e) => e.sms.spendMinor);
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  const summary: Record<string, number> = {
    seed: settings.seed,
    contacts: base.length,
    campaigns: settings.campaigns,
    learnedCostPerReachedVsHindsight: round(ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length), 3),
    learnedWorstCostPerReachedVsHindsight: round(Math.max(...ratios), 3),
    learnedCostPerReachedVsHindsightWithoutInviteSegments: round(
      routingRatios.reduce((a, b) => a + b, 0) / Math.max(1, routingRatios.length),
      3,
    ),
    inviteSegmentsRub: Math.round(sum((e) => inviteMinor(e.cascade)) / 100),
    learnedSavingsVsSmsOnlyPercent: round(learnedSavings * 100, 1),
    learnedSavingsVsFixedOrderPercent: round((1 - sum((e) => e.cascade.spendMinor) / sum((e) => e.fixed.spendMinor)) * 100, 1),
    learnedReachMinusSmsOnlyMin: Math.min(...later.map((entry) => entry.cascade.reached - entry.sms.reached)),
    firstCostPerReachedVsHindsight: round(
      perReached((per[0] as (typeof per)[number]).cascade) / perReached((per[0] as (typeof per)[number]).best),
      3,
    ),
    hindsightSavingsVsSmsOnlyPercent: round(hindsightSavings * 100, 1),
    // How much of what hindsight saves the cascade saves: the savings goal measured against its own ceiling.
    learnedSavingsShareOfHindsight: round(learnedSavings / hindsightSavings, 3),
    fixedOrderSavingsVsSmsOnlyPercent: round((1 - sum((e) => e.fixed.spendMinor) / sum((e) => e.sms.spendMinor)) * 100, 1),
    invites: sum((e) => e.cascade.invites ?? 0),
    linksFromInvites: sum((e) => e.cascade.links ?? 0),
    // Plans per CPU second of the process (median of the rounds); the wall-clock figures depend on the machine's load.
    cascadePlansPerSecond: Math.round(cascadePlans),
    fixedOrderPlansPerSecond: Math.round(fixedPlans),
    cascadePlansPerWallSecond: Math.round(cascadePlansWall),
    fixedOrderPlansPerWallSecond: Math.round(fixedPlansWall),
    cascadeVsFixedOrderPlanningSpeed: round(cascadePlans / fixedPlans, 2),
    seconds: round((performance.now() - started) / 1000, 1),
    // Wall time on a shared machine can be several times the CPU time; this is the process's own CPU time.
    cpuSeconds: round((process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1_000_000, 1),
    rssGrowthMiB: Math.round((process.memoryUsage().rss - memoryBefore) / 2 ** 20),
  };
  return {
    name: 'cascade economics',
    rows,
    summary,
    lossesVsHindsight: losses,
    goals: [
      { figure: 'learnedCostPerReachedVsHindsight', op: '<=', target: 1.05 },
      { figure: 'learnedReachMinusSmsOnlyMin', op: '>=', target: 0 },
      { figure: 'learnedSavingsVsSmsOnlyPercent', op: '>=', target: 25 },
      { figure: 'cascadePlansPerSecond', op: '>=', target: 500_000 },
    ],
    notes: [
      `${base.length} contacts, seed ${settings.seed}, ${settings.campaigns} campaigns 30 days apart; assumptions: ${JSON.stringify(assumptions)}.`,
      'Reached = a message met its channel’s condition by the month’s draws: e-mail not bounced, MAX to a linked user, ' +
        'WhatsApp read within 24 h, SMS delivered. Hindsight: the cheapest such channel per contact and campaign.',
      'learnedCostPerReachedVsHindsight: mean over campaigns 3–12 of (cascade ₽ per reached ÷ hindsight ₽ per reached); ' +
        'learnedSavingsVsSmsOnlyPercent: all campaigns. SMS only, fixed order and hindsight are computed from the same ' +
        'draws with the same billing (SMS once accepted, WhatsApp once delivered); the cascade runs for real.',
      `The savings goal (≥ 25 % vs SMS only) against its ceiling: the hindsight optimum itself saves ${summary.hindsightSavingsVsSmsOnlyPercent} % ` +
        `under these fixed assumptions; the cascade saves ${summary.learnedSavingsVsSmsOnlyPercent} %, ` +
        `${Math.round((summary.learnedSavingsShareOfHindsight as number) * 100)} % of what hindsight saves. Invite links' extra SMS ` +
        `segments cost ${summary.inviteSegmentsRub} ₽; without them the cost per reached is ` +
        `${summary.learnedCostPerReachedVsHindsightWithoutInviteSegments}× hindsight (lossesVsHindsight: where the rest goes).`,
    ],
  };
}

function argument(name: string): number | undefined {
  const raw = process.argv.find((value) => value.startsWith(`--${name}=`));
  return raw ? Number(raw.split('=')[1]) : undefined;
}

/** `--seed N` or `--seed=N` on the command line (also through `pnpm bench cascade --seed N`). */
export function seedArgument(argv: readonly string[] = process.argv): number | undefined {
  const at = argv.indexOf('--seed');
  const raw = at >= 0 ? argv[at + 1] : argv.find((value) => value.startsWith('--seed='))?.split('=')[1];
  const seed = raw === undefined ? undefined : Number(raw);
  return seed !== undefined && Number.isInteger(seed) ? seed : undefined;
}

const plannerArgument = process.argv.find((value) => value.startsWith('--planner='))?.split('=')[1];
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && plannerArgument) {
  // A child of planningSpeed: one planner's figures as one JSON line.
  const measured = await measurePlanner(
    plannerArgument as Planner,
    argument('contacts') ?? 10_000,
    seedArgument() ?? 20260302,
    argument('iterations') ?? 200_000,
  );
  console.log(JSON.stringify(measured));
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const contacts = argument('contacts');
  const seed = seedArgument();
  const result = await runCascadeBenchmark({ ...(contacts ? { contacts } : {}), ...(seed !== undefined ? { seed } : {}) });
  console.log(`\n## ${result.name}`);
  console.table(result.rows);
  console.table(result.summary);
  console.table(result.lossesVsHindsight);
  for (const goal of result.goals ?? []) {
    const value = result.summary[goal.figure];
    const met = value !== undefined && (goal.op === '>=' ? value >= goal.target : value <= goal.target);
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${goal.figure} = ${value} (goal ${goal.op} ${goal.target})`);
  }
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
}
