// A child process for the consent and frequency-cap races: a whole hub on a shared SQLite file.
// `mail <path> <worker>`: after the parent says go, sends one marketing SMS to each of 100 contacts (a upwards, b
// downwards); reports the contacts it sent to and those the frequency cap refused.
// `stop <path> <worker>`: after go, delivers «СТОП» from each of 100 contacts (a keyword opt-out).
// `resend <path> <worker>`: after go, sends each of 100 contacts a service SMS with a consent map granting SMS (what a
// CRM that keeps its own consent column does), reporting the sends the stored opt-out refused.
import { createOmnidealer, createTestChannel, FrequencyCapError } from '@omnidealer/core';
import { createSqliteStore } from '../sqlite-store.js';

const [mode, path, worker] = process.argv.slice(2);
if (!path || !worker || !process.send) throw new Error('usage: consent-worker.ts mail|stop|resend <path> <worker> (forked)');
const send = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
const store = createSqliteStore({ path, busyTimeoutMs: 30_000 });
const sms = createTestChannel({ id: 'sms', priceMinor: 300 });
const hub = createOmnidealer({ channels: [sms], store });
const phoneOf = (index: number) => `+7916${String(index).padStart(7, '0')}`;

const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
await send({ ready: true });
await go;
const sent: string[] = [];
const refused: string[] = [];
for (let step = 0; step < 100; step++) {
  const index = worker === 'a' ? step : 99 - step;
  const contact = { id: `contact-${index}` };
  if (mode === 'mail') {
    try {
      await hub.send({ channel: 'sms', contact, content: { type: 'text', text: 'Весенняя распродажа' }, kind: 'marketing' });
      sent.push(contact.id);
    } catch (error) {
      if (!FrequencyCapError.isInstance(error)) throw error;
      refused.push(contact.id);
    }
  } else if (mode === 'stop') {
    await hub.handleWebhook('sms', sms.inboundWebhook(phoneOf(index), 'СТОП', { at: Date.now() }));
  } else {
    try {
      await hub.send({
        channel: 'sms',
        contact: { ...contact, consent: { sms: 'granted' } },
        content: { type: 'text', text: 'Ваш автомобиль готов' },
      });
      sent.push(contact.id);
    } catch {
      refused.push(contact.id);
    }
  }
  if (step % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
}
await send({ finished: true, sent, refused });
await hub.shutdown();
await store.close();
process.disconnect();
