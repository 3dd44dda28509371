// A CRM process for the cascade crash test: `cascade-campaign.ts <path> <config JSON>`. It runs one cascade campaign
// (e-mail → WhatsApp → SMS, each step falling back when not delivered within an hour) through a hub on a SQLite
// store, against the parent's sandbox. Its clock runs 3 600× faster than real time from a start fixed by the parent,
// so deadlines expire within a second and a restarted process sees the time its predecessor left off at.
// On start it resumes the outbox and the cascade's stored deadlines, then walks the campaign from the top: the
// campaign's idempotency keys turn contacts already started into no-ops. It reports `finished` once no cascade runs.
import { createCascade } from '@omnidealer/cascade';
import { createEmailChannel } from '@omnidealer/channel-email';
import { createSmsChannel, createSmsRuGateway } from '@omnidealer/channel-sms';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { type Clock, type ContactInput, createOmnidealer } from '@omnidealer/core';
import { createSqliteStore } from '../sqlite-store.js';

/** What the parent passes: where the sandbox is, its credentials, the campaign size and the clock's origin. */
export interface CascadeCampaignConfig {
  contacts: number;
  whatsapp: { baseURL: string; phoneNumberId: string; accessToken: string };
  smsRu: { baseUrl: string; apiId: string };
  smtp: { host: string; port: number; user: string; pass: string };
  clockOrigin: number;
  realOrigin: number;
}

/** Contact `index` of the campaign: a third with e-mail only, a third with a phone only, a third with both. */
export function campaignContact(index: number): ContactInput {
  const id = `c-${index}`;
  const phone = `+7916${String(index).padStart(7, '0')}`;
  const email = `client${index}@mail.example`;
  if (index % 3 === 0) return { id, email };
  if (index % 3 === 1) return { id, phone };
  return { id, phone, email };
}

const speed = 3600;
const HOUR_MS = 3_600_000;

const [path, json] = process.argv.slice(2);
if (path && json && process.send) {
  const config = JSON.parse(json) as CascadeCampaignConfig;
  const report = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
  const clock: Clock = { now: () => config.clockOrigin + (Date.now() - config.realOrigin) * speed };

  const whatsapp = createWhatsAppChannel({
    ...config.whatsapp,
    rateLimit: { perSecond: 1000, perRecipientIntervalMs: 0 },
    timeoutMs: 10_000,
  });
  const sms = createSmsChannel({
    gateway: createSmsRuGateway({ baseURL: config.smsRu.baseUrl, apiId: config.smsRu.apiId, timeoutMs: 10_000 }),
    rateLimit: { perSecond: 1000 },
  });
  const email = createEmailChannel({
    transport: {
      host: config.smtp.host,
      port: config.smtp.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: config.smtp.user, pass: config.smtp.pass },
      pool: true,
      maxConnections: 4,
    },
    from: 'Автосалон Север <sales@sever-auto.example>',
    rateLimit: { perSecond: 1000 },
  });
  // NORMAL is enough against a killed process (the log is in the OS cache); FULL only adds power-cut safety.
  const store = createSqliteStore({ path, synchronous: 'normal' });
  const hub = createOmnidealer({ channels: [email, whatsapp, sms], store, clock });
  const cascade = createCascade({
    hub,
    clock,
    pollIntervalMs: 100,
    concurrency: 16,
    policy: {
      ordering: 'preference',
      preference: ['email', 'whatsapp', 'sms'],
      fallback: {
        email: { after: 'not_delivered', withinMs: HOUR_MS },
        whatsapp: { after: 'not_delivered', withinMs: HOUR_MS },
        sms: { after: 'not_delivered', withinMs: HOUR_MS },
      },
      quietHours: false,
      budget: {},
    },
  });

  await hub.resumeOutbox({ olderThanMs: 0 });
  cascade.start();
  const result = await cascade.campaign({
    mailingId: 'spring-service',
    contacts: Array.from({ length: config.contacts }, (_, index) => campaignContact(index)),
    content: {
      email: { type: 'email', subject: 'Запись на ТО', text: 'Пора на ТО: запишитесь по ссылке.' },
      whatsapp: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
      sms: { type: 'text', text: 'Пора на ТО. Запись по ссылке.' },
    },
    kind: 'service',
    concurrency: 16,
  });
  await report({ campaign: result.processed, errors: result.errors });
  for (;;) {
    const states = await Promise.all(result.cascadeIds.map((id) => cascade.get(id)));
    const running = states.filter((state) => state?.status === 'running').length;
    if (running === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await cascade.drain();
  await report({ finished: true });
  cascade.close();
  await hub.shutdown();
  await store.close();
  process.disconnect();
}
