import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createOmnidealer } from '../hub.js';
import type { Logger } from '../logger.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/store.js';
import { createTestChannel } from '../test-channel.js';

const contact = { id: 'c1', name: 'Иван', phone: '+79161234567' };
const text = { type: 'text' as const, text: 'Ваш автомобиль готов' };

function setup(store: Store = createMemoryStore()) {
  const channel = createTestChannel({ id: 'sms', priceMinor: 300 });
  const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
  const logged: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (_fields, message) => logged.push(message),
  };
  const hub = createOmnidealer({ channels: [channel], store, clock, logger });
  const reported: string[] = [];
  const failed: string[] = [];
  hub.on('error', ({ during }) => reported.push(during));
  hub.on('message.failed', ({ message }) => failed.push(message.id));
  return { hub, channel, store, clock, logged, reported, failed };
}

/** Lets rejected listener promises settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('listeners cannot change what happened', () => {
  it('a message.sent listener that throws leaves the message sent; the next listener still runs; the throw is reported', async () => {
    const { hub, channel, store, logged, reported, failed } = setup();
    const seen: string[] = [];
    hub.on('message.sent', () => {
      throw new Error('CRM timeline is down');
    });
    hub.on('message.sent', ({ message }) => seen.push(message.id));
    const message = await hub.send({ channel: 'sms', contact, content: text });
    expect(message.status).toBe('sent');
    expect((await store.getMessage(message.id))?.status).toBe('sent');
    expect(channel.sent).toHaveLength(1);
    expect(seen).toEqual([message.id]);
    expect(failed).toEqual([]);
    expect(reported).toEqual(['listener of message.sent']);
    expect(logged).toEqual(['listener of message.sent failed']);
  });

  it('a message.sent listener whose promise rejects leaves the message sent and is reported', async () => {
    const { hub, store, reported, failed } = setup();
    hub.on('message.sent', async () => {
      await Promise.resolve();
      throw new Error('webhook to the CRM failed');
    });
    const message = await hub.send({ channel: 'sms', contact, content: text });
    await settle();
    expect((await store.getMessage(message.id))?.status).toBe('sent');
    expect(failed).toEqual([]);
    expect(reported).toEqual(['listener of message.sent']);
  });

  it('a failed conversation write after the provider accepted leaves the message sent, emits message.sent, and reports', async () => {
    const memory = createMemoryStore();
    const store: Store = {
      ...memory,
      getRecord: memory.getRecord.bind(memory),
      updateConversation: async () => {
        throw new Error('disk full');
      },
      saveConversation: async (conversation) => {
        // The send opens the conversation (saved); the write after the provider call fails.
        if ((await memory.getConversation(conversation.id)) === undefined) return memory.saveConversation(conversation);
        throw new Error('disk full');
      },
    };
    const { hub, channel, reported, failed } = setup(store);
    const sent: string[] = [];
    hub.on('message.sent', ({ message }) => sent.push(message.id));
    const message = await hub.send({ channel: 'sms', contact, content: text });
    expect(message.status).toBe('sent');
    expect((await memory.getMessage(message.id))?.status).toBe('sent');
    expect(channel.sent).toHaveLength(1);
    expect(sent).toEqual([message.id]);
    expect(failed).toEqual([]);
    expect(reported).toEqual(["sms: recording a sent message's conversation and response time"]);
  });

  it('a message.received listener that throws: the delivery is answered 200, stored once, and other listeners get it', async () => {
    const { hub, channel, store, reported } = setup();
    const received: string[] = [];
    hub.on('message.received', () => {
      throw new Error('CRM down');
    });
    hub.on('message.received', ({ message }) => received.push(message.providerMessageId ?? ''));
    const response = await hub.handleWebhook(
      'sms',
      channel.inboundWebhook('+79161234567', 'Здравствуйте', { providerMessageId: 'in-1' }),
    );
    expect(response.status).toBe(200);
    expect(received).toEqual(['in-1']);
    expect(reported).toEqual(['listener of message.received']);
    const [conversation] = await store.listConversations();
    expect(await store.listMessages(conversation!.id)).toHaveLength(1);
  });

  it('an error listener that throws is only logged (no loop); off() removes a guarded listener', async () => {
    const { hub, logged } = setup();
    hub.on('error', () => {
      throw new Error('error handler broken');
    });
    const throwing = () => {
      throw new Error('boom');
    };
    hub.on('message.sent', throwing);
    await hub.send({ channel: 'sms', contact, content: text });
    expect(logged).toEqual(['listener of message.sent failed', 'listener of error failed']);
    hub.off('message.sent', throwing);
    await hub.send({ channel: 'sms', contact: { ...contact, id: 'c2', phone: '+79161234568' }, content: text });
    expect(logged).toHaveLength(2);
  });

  it('once() listeners run once, guarded', async () => {
    const { hub, reported } = setup();
    let calls = 0;
    hub.once('message.sent', () => {
      calls += 1;
      throw new Error('once');
    });
    await hub.send({ channel: 'sms', contact, content: text });
    await hub.send({ channel: 'sms', contact: { ...contact, id: 'c2', phone: '+79161234568' }, content: text });
    expect(calls).toBe(1);
    expect(reported).toEqual(['listener of message.sent']);
  });
});
