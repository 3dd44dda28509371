import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CascadeContent, type CascadePolicy, createCascade, HOUR_MS } from '@omnidealer/cascade';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel, type WhatsAppTemplateDefinition } from '@omnidealer/channel-whatsapp';
import { createManualClock, createOmnidealer, type Message, startWebhookServer } from '@omnidealer/core';
import {
  type SmsOutcome,
  type SmsRuSentMessage,
  startSandbox,
  type WhatsAppOutcome,
  type WhatsAppSentMessage,
} from '@omnidealer/sandbox';
import { createSqliteStore } from '@omnidealer/store-sqlite';
import { type CrmContact, type CrmTable, createCrmTable, type TimelineEntry, toContactInput } from './crm-table.js';

/** The approved WhatsApp template the reminder uses (a utility template: cheap, allowed outside the 24 h window). */
export const bookingReminderTemplate = {
  name: 'booking_reminder',
  language: 'ru',
  category: 'utility' as const,
  bodyParams: ['client_name', 'visit_time'],
  body: '{{1}}, напоминаем: вы записаны в «Автосалон Север» {{2}}. Ответьте, если планы изменились.',
} satisfies WhatsAppTemplateDefinition;

/** WhatsApp first; SMS when WhatsApp fails, or the reminder is not read within 3 hours. */
export const reminderPolicy: CascadePolicy = {
  ordering: 'preference',
  preference: ['whatsapp', 'sms'],
  fallback: {
    whatsapp: { after: 'not_read', withinMs: 3 * HOUR_MS },
    sms: { after: 'not_delivered', withinMs: 3 * HOUR_MS },
  },
};

const visitTime = (iso: string): string =>
  new Intl.DateTimeFormat('ru-RU', {
    timeZone: 'Europe/Moscow',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));

const firstName = (row: CrmContact): string => row.fullName.split(' ')[0] ?? row.fullName;

/** The SMS fallback's text: the template's words, short enough for one Cyrillic part or two. */
export function reminderSmsText(row: CrmContact): string {
  return `${firstName(row)}, напоминаем о визите в «Автосалон Север» ${visitTime(row.visitAt)}. Перенести: +74951204567`;
}

/** The reminder per channel: the WhatsApp template with its two parameters, and the same words as an SMS. */
export function reminderContent(row: CrmContact): CascadeContent {
  return {
    whatsapp: {
      type: 'template',
      name: bookingReminderTemplate.name,
      language: 'ru',
      params: [firstName(row), visitTime(row.visitAt)],
    },
    sms: { type: 'text', text: reminderSmsText(row) },
  };
}

/** Options of {@link runBookingReminders}. */
export interface BookingRemindersOptions {
  /** When the reminders go out. @default 2026-03-02T07:00:00Z (10:00 in Moscow, the day before the visits) */
  startMs?: number;
  /** How long the simulation runs after sending, in simulated ms. @default 8 hours */
  durationMs?: number;
  /** Scripted WhatsApp outcome per phone (E.164); others follow the sandbox's seeded model. */
  whatsappOutcomes?: Record<string, WhatsAppOutcome>;
  /** Scripted SMS outcome per phone (E.164). */
  smsOutcomes?: Record<string, SmsOutcome>;
  /** The CRM table. @default {@link createCrmTable} */
  crm?: CrmTable;
  /** Prints each timeline entry as it happens. */
  log?: (line: string) => void;
}

/** What a run leaves behind: the CRM table with its timelines, and what the sandbox providers received. */
export interface BookingRemindersResult {
  crm: CrmTable;
  whatsapp: readonly WhatsAppSentMessage[];
  sms: readonly SmsRuSentMessage[];
}

/**
 * The whole integration on the sandbox: a SQLite store, the hub with WhatsApp and SMS (SMS.ru), a cascade, the CRM's
 * event listeners, and one booking reminder per CRM row — then simulated hours on a manual clock, so statuses,
 * reads and fallbacks happen in well under a second.
 */
export async function runBookingReminders(options: BookingRemindersOptions = {}): Promise<BookingRemindersResult> {
  const startMs = options.startMs ?? Date.parse('2026-03-02T07:00:00Z');
  const crm = options.crm ?? createCrmTable();
  const clock = createManualClock(startMs);
  const tmp = await mkdtemp(join(tmpdir(), 'omnidealer-crm-'));
  const server = await startWebhookServer();
  const smsToken = 'crm-example-sms-token';
  const sandbox = await startSandbox({
    seed: 7,
    clock,
    timers: 'manual',
    webhookTargets: { whatsapp: `${server.url}/hooks/whatsapp`, smsRu: `${server.url}/hooks/sms?token=${smsToken}` },
    behaviour: {
      whatsapp: {
        templates: [
          { name: bookingReminderTemplate.name, language: 'ru', category: 'utility', body: bookingReminderTemplate.body },
        ],
        templateCategories: { [bookingReminderTemplate.name]: 'utility' },
        outcomes: options.whatsappOutcomes ?? {},
      },
      smsRu: { outcomes: options.smsOutcomes ?? {} },
    },
  });
  const store = createSqliteStore({ path: join(tmp, 'crm.db'), clock });
  const { whatsapp: wa, smsRu } = sandbox.credentials;
  const hub = createOmnidealer({
    channels: [
      createWhatsAppChannel({
        baseURL: sandbox.urls.whatsappMessages,
        phoneNumberId: wa.phoneNumberId,
        accessToken: wa.accessToken,
        appSecret: wa.appSecret,
        verifyToken: wa.verifyToken,
        templates: [bookingReminderTemplate],
        clock,
      }),
      createSmsChannel({
        gateway: createSmsRuGateway({ baseURL: sandbox.urls.smsRu, apiId: smsRu.apiId, webhookToken: smsToken }),
        clock,
      }),
    ],
    store,
    clock,
  });
  server.attach(hub);
  const cascade = createCascade({ hub, policy: reminderPolicy });

  // ── The CRM side: every event becomes a line in the contact's timeline. ──
  const record = (contactId: string, entry: Omit<TimelineEntry, 'at'>) => {
    const row = crm.get(contactId);
    if (!row) return;
    row.timeline.push({ at: clock.now(), ...entry });
    options.log?.(
      `${new Date(clock.now()).toISOString()}  ${row.crmId}  ${entry.event}${entry.channel ? ` (${entry.channel})` : ''}${entry.detail ? `: ${entry.detail}` : ''}`,
    );
  };
  const onMessage = (event: string) => (message: Message) => record(message.contactId, { event, channel: message.channel });
  hub.on('message.sent', ({ message }) => {
    onMessage('reminder.sent')(message);
    const row = crm.get(message.contactId);
    if (row?.reminderStatus === 'pending') row.reminderStatus = 'sent';
  });
  hub.on('message.status', ({ message }) => {
    if (message.status === 'delivered' || message.status === 'read') onMessage(`reminder.${message.status}`)(message);
  });
  hub.on('message.failed', ({ message }) =>
    record(message.contactId, { event: 'reminder.failed', channel: message.channel, detail: message.error?.code ?? 'failed' }),
  );
  const contactOf = new Map<string, string>();
  cascade.on('cascade.step.started', ({ cascadeId, contactId }) => contactOf.set(cascadeId, contactId));
  cascade.on('cascade.fallback', ({ cascadeId, from, to, reason }) => {
    const contactId = contactOf.get(cascadeId);
    if (contactId) record(contactId, { event: 'reminder.fallback', channel: from, detail: `${reason} → ${to ?? 'none'}` });
  });
  cascade.on('cascade.completed', ({ contactId, channelId }) => {
    const row = crm.get(contactId);
    if (row) row.reminderStatus = 'reached';
    record(contactId, { event: 'reminder.reached', channel: channelId });
  });
  cascade.on('cascade.exhausted', ({ contactId, reason }) => {
    const row = crm.get(contactId);
    if (row) row.reminderStatus = 'unreached';
    record(contactId, { event: 'reminder.unreached', detail: reason });
  });

  try {
    for (const row of crm.values()) {
      // One reminder per booking, whatever happens: the idempotency key makes a re-run of this loop harmless.
      await cascade.send(toContactInput(row), reminderContent(row), {
        kind: 'service',
        idempotencyKey: `reminder-${row.crmId}-${row.visitAt}`,
      });
    }
    // Simulated time: every 5 minutes the sandbox posts what came due, the hub handles it, the cascade moves on.
    const endMs = startMs + (options.durationMs ?? 8 * HOUR_MS);
    while (clock.now() < endMs) {
      clock.advance(5 * 60_000);
      await sandbox.flush();
      await cascade.drain();
      await cascade.runDueSteps();
      await cascade.drain();
    }
    return { crm, whatsapp: [...sandbox.whatsapp.messages()], sms: [...sandbox.smsRu.messages()] };
  } finally {
    cascade.close();
    await server.close();
    await sandbox.stop();
    await store.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
