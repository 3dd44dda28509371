// A CRM process for the hub crash test: `hub-campaign.ts <path> <count>` sends one WhatsApp message per contact
// through the hub on a SQLite store. Its channel reports every provider request to the parent (the sandbox) and waits
// for the answer, like an HTTP call. On start it resumes the outbox, then walks the campaign from the top: the
// idempotency keys turn contacts already handled into no-ops. The provider's message id is `providerIdOf(our id)`,
// so the parent can post the provider's statuses for every message it received.
import { type Channel, createOmnidealer, OmnidealerError } from '@omnidealer/core';
import { createTestChannel } from '@omnidealer/core/test';
import { createSqliteStore } from '../sqlite-store.js';
import { providerIdOf } from './provider-id.js';

const [path, count] = process.argv.slice(2);
if (!path || !process.send) throw new Error('usage: hub-campaign.ts <path> <count> (forked with IPC)');
const report = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

// The parent acknowledges each request it received (`{ ack: id }`), or kills this process instead: a kill then always
// lands while a provider call is in flight. (`process.send`'s callback only says the report was written, not read.)
const acks = new Map<string, () => void>();
process.on('message', (message: { ack?: string }) => {
  if (message.ack) acks.get(message.ack)?.();
});
const acknowledged = (id: string) => new Promise<void>((resolve) => acks.set(id, resolve));

const sandbox = createTestChannel({ id: 'whatsapp', kind: 'whatsapp' });
const channel: Channel = {
  ...sandbox,
  async doSend(outbound, context) {
    const ack = acknowledged(outbound.id);
    await report({ received: outbound.id, contactId: outbound.contact.id });
    await ack;
    acks.delete(outbound.id);
    await sandbox.doSend(outbound, context);
    return { providerMessageId: providerIdOf(outbound.id), status: 'sent' };
  },
};
// NORMAL is enough against a killed process (the log is in the OS cache); FULL only adds power-cut safety.
const store = createSqliteStore({ path, synchronous: 'normal' });
const hub = createOmnidealer({ channels: [channel], store });

await hub.resumeOutbox({ olderThanMs: 0 });
for (let index = 0; index < Number(count); index++) {
  const contactId = `c-${index}`;
  try {
    const message = await hub.send({
      channel: 'whatsapp',
      contact: { id: contactId, phone: `+7916${String(index).padStart(7, '0')}` },
      content: { type: 'text', text: 'Новая Lada Vesta уже в салоне — приглашаем на тест-драйв' },
      idempotencyKey: `campaign-1:${contactId}`,
    });
    await report({ handled: contactId, status: message.status });
  } catch (error) {
    await report({ failed: contactId, code: OmnidealerError.isInstance(error) ? error.code : String(error) });
  }
}
await report({ finished: true });
await hub.shutdown();
await store.close();
process.removeAllListeners('message');
process.disconnect();
