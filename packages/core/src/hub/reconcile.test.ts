import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '../channel.js';
import { createManualClock } from '../clock.js';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { createOmnidealer } from '../hub.js';
import type { Message } from '../model/message.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

const contact = { id: 'c1', name: 'Иван', phone: '+79161234567' };
const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };
const text = { type: 'text' as const, text: 'Ваш автомобиль готов, ждём вас в салоне' };
const lost = () =>
  new ChannelApiError({
    channel: 'whatsapp',
    code: 'response_lost',
    retryable: false,
    message: 'connection reset after the request was sent',
  });

/** A hub whose provider accepts the first send but whose answer is lost: the message is recorded sent, unconfirmed. */
async function unconfirmedSend() {
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const store = createMemoryStore();
  const channel = createTestChannel({ id: 'whatsapp', kind: 'whatsapp', failures: [lost()] });
  const hub = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
  const events: string[] = [];
  hub.on('message.reconciled', ({ message, providerMessageId }) => events.push(`reconciled ${message.id} ${providerMessageId}`));
  hub.on('message.status', ({ message, previous }) => events.push(`status ${previous}→${message.status}`));
  hub.on('message.status.unmatched', ({ providerMessageId, status }) => events.push(`unmatched ${providerMessageId} ${status}`));
  const sent = await hub.send({ channel: 'whatsapp', contact, content: text });
  expect(sent).toMatchObject({ status: 'sent', metadata: { unconfirmed: true } });
  expect(sent.providerMessageId).toBeUndefined();
  return { clock, store, channel, hub, events, sent };
}

describe('reconciling unconfirmed sends by our message id', () => {
  it('fills in the provider id from a status that names our id, clears unconfirmed, applies the status and later ones', async () => {
    const { clock, store, channel, hub, events, sent } = await unconfirmedSend();
    const at = clock.now();
    // WhatsApp's first status is `sent`: no status change, but the message is reconciled.
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.A1', 'sent', at, { messageId: sent.id }));
    let stored = await store.getMessage(sent.id);
    expect(stored).toMatchObject({ status: 'sent', providerMessageId: 'wamid.A1', metadata: { reconciled: true } });
    expect(stored?.metadata).not.toHaveProperty('unconfirmed');
    expect(await store.findMessageByProviderId('whatsapp', 'wamid.A1')).toMatchObject({ id: sent.id });
    // Later statuses match by the provider id alone.
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.A1', 'delivered', at + 1000));
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.A1', 'read', at + 2000, { messageId: sent.id }));
    stored = await store.getMessage(sent.id);
    expect(stored).toMatchObject({ status: 'read', statusTimes: { delivered: at + 1000, read: at + 2000 } });
    expect(events).toEqual([`reconciled ${sent.id} wamid.A1`, 'status sent→delivered', 'status delivered→read']);
  });

  it('reconciles on a status that changes the status (delivered first) and emits reconciled before message.status', async () => {
    const { clock, store, channel, hub, events, sent } = await unconfirmedSend();
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.B2', 'delivered', clock.now(), { messageId: sent.id }));
    expect(await store.getMessage(sent.id)).toMatchObject({
      status: 'delivered',
      providerMessageId: 'wamid.B2',
      metadata: { reconciled: true },
    });
    expect(events).toEqual([`reconciled ${sent.id} wamid.B2`, 'status sent→delivered']);
  });

  it('applies statuses parked for the provider id once a later status reconciles the message', async () => {
    const { clock, store, channel, hub, events, sent } = await unconfirmedSend();
    // A status without our id cannot match: it is parked.
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.C3', 'delivered', clock.now()));
    expect(events).toEqual(['unmatched wamid.C3 delivered']);
    await hub.handleWebhook('whatsapp', channel.statusWebhook('wamid.C3', 'sent', clock.now() - 500, { messageId: sent.id }));
    expect(await store.getMessage(sent.id)).toMatchObject({ status: 'delivered', providerMessageId: 'wamid.C3' });
    expect(events.slice(1)).toEqual([`reconciled ${sent.id} wamid.C3`, 'status sent→delivered']);
  });

  it('never takes over a message that has another provider id, a message of another channel, or one still queued', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = createMemoryStore();
    const whatsapp = createTestChannel({ id: 'whatsapp', kind: 'whatsapp' });
    const sms = createTestChannel({ id: 'sms', failures: [lost()] });
    const hub = createOmnidealer({ channels: [whatsapp, sms], store, clock, retry: fastRetry });
    const unmatched: string[] = [];
    hub.on('message.status.unmatched', ({ providerMessageId }) => unmatched.push(providerMessageId));
    const confirmed = await hub.send({ channel: 'whatsapp', contact, content: text });
    const unconfirmedSms = await hub.send({ channel: 'sms', contact, content: text });
    // Another provider id than the one stored: left unmatched, the stored id kept.
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.statusWebhook('wamid.other', 'delivered', clock.now(), { messageId: confirmed.id }),
    );
    expect(await store.getMessage(confirmed.id)).toMatchObject({
      status: 'sent',
      providerMessageId: confirmed.providerMessageId,
    });
    // Our id of a message on another channel: left unmatched.
    await hub.handleWebhook(
      'whatsapp',
      whatsapp.statusWebhook('wamid.sms', 'delivered', clock.now(), { messageId: unconfirmedSms.id }),
    );
    expect((await store.getMessage(unconfirmedSms.id))?.providerMessageId).toBeUndefined();
    // An id we never issued.
    await hub.handleWebhook('whatsapp', whatsapp.statusWebhook('wamid.x', 'delivered', clock.now(), { messageId: 'msg_nope' }));
    expect(unmatched).toEqual(['wamid.other', 'wamid.sms', 'wamid.x']);

    // A message still queued (its provider call in flight) is not reconciled: the status waits for its sender.
    let answer: (value: { providerMessageId: string; status: 'sent' }) => void = () => {};
    whatsapp.doSend = () => new Promise((resolve) => (answer = resolve));
    const sending = hub.send({ channel: 'whatsapp', contact, content: text });
    await vi.waitFor(async () => expect((await store.listQueuedMessages()).length).toBe(1));
    const [queued] = (await store.listQueuedMessages()) as [Message];
    await hub.handleWebhook('whatsapp', whatsapp.statusWebhook('wamid.Q', 'delivered', clock.now(), { messageId: queued.id }));
    expect(await store.getMessage(queued.id)).toMatchObject({ status: 'queued' });
    answer({ providerMessageId: 'wamid.Q', status: 'sent' });
    expect(await sending).toMatchObject({ status: 'delivered', providerMessageId: 'wamid.Q' });
    expect((await sending).metadata).toBeUndefined();
  });

  it('applies, once the outbox resume records it unconfirmed, a status that named a message a crash left queued', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const store = { ...createMemoryStore(), durable: true };
    const hanging = createTestChannel({ id: 'whatsapp', kind: 'whatsapp' });
    let called = false;
    hanging.doSend = () => {
      called = true;
      return new Promise(() => undefined);
    };
    const crashed = createOmnidealer({ channels: [hanging], store, clock, retry: fastRetry });
    void crashed.send({ channel: 'whatsapp', contact, content: text });
    await vi.waitFor(() => expect(called).toBe(true));
    const [queued] = (await store.listQueuedMessages()) as [Message];

    // The restarted process gets the provider's statuses before its outbox resume has run.
    const channel = createTestChannel({ id: 'whatsapp', kind: 'whatsapp' });
    const restarted = createOmnidealer({ channels: [channel], store, clock, retry: fastRetry });
    const reconciled: string[] = [];
    restarted.on('message.reconciled', ({ message }) => reconciled.push(message.id));
    await restarted.handleWebhook('whatsapp', channel.statusWebhook('wamid.R', 'sent', clock.now(), { messageId: queued.id }));
    await restarted.handleWebhook(
      'whatsapp',
      channel.statusWebhook('wamid.R', 'delivered', clock.now() + 1, { messageId: queued.id }),
    );
    expect(await store.getMessage(queued.id)).toMatchObject({ status: 'queued' });

    const [resumed] = await restarted.resumeOutbox({ olderThanMs: 0 });
    expect(resumed).toMatchObject({
      id: queued.id,
      status: 'delivered',
      providerMessageId: 'wamid.R',
      metadata: { interrupted: true, reconciled: true },
    });
    expect(resumed?.metadata).not.toHaveProperty('unconfirmed');
    expect(reconciled).toEqual([queued.id]);
    expect(channel.sent).toEqual([]);
  });

  it('matches a status by an alternate provider id the send reported (Amazon SES id next to the Message-ID)', async () => {
    const store = createMemoryStore();
    const channel: Channel = {
      ...createTestChannel({ id: 'email', capabilities: { address: 'email' } }),
      async doSend() {
        return { providerMessageId: 'msg_1@dealer.ru', status: 'sent', alternateProviderMessageIds: ['0100-ses-000000'] };
      },
    };
    const test = channel as ReturnType<typeof createTestChannel>;
    const hub = createOmnidealer({ channels: [channel], store, retry: fastRetry });
    const sent = await hub.send({ channel: 'email', contact: { id: 'c2', email: 'olga@example.ru' }, content: text });
    await hub.handleWebhook('email', test.statusWebhook('0100-ses-000000', 'delivered', Date.now()));
    expect(await store.getMessage(sent.id)).toMatchObject({ status: 'delivered', providerMessageId: 'msg_1@dealer.ru' });
  });
});
