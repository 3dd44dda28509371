import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { ValidationError } from '../errors/validation-error.js';
import { createOmnidealer } from '../hub.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createTestChannel } from '../test-channel.js';

const dayMs = 86_400_000;

function setup() {
  const clock = createManualClock(Date.parse('2026-03-02T09:00:00Z'));
  // A reply-only messenger like MAX: chats are addressed by chat id, the user id comes as `senderId`.
  const max = createTestChannel({
    id: 'max',
    capabilities: { address: 'chat', canStartConversation: false },
    deepLinkBase: 'https://max.ru/autodealer_bot',
  });
  const sms = createTestChannel({ id: 'sms' });
  const store = createMemoryStore();
  const hub = createOmnidealer({ channels: [max, sms], store, clock });
  const linked: string[] = [];
  hub.on('contact.linked', ({ contact, channel }) => linked.push(`${contact.id} ${channel}`));
  const start = (payload: string | undefined, userId = '4711', chatId = '-7001') =>
    hub.handleWebhook(
      'max',
      max.inboundWebhook(chatId, '/start', {
        kind: 'start',
        senderId: userId,
        conversationExternalId: chatId,
        at: clock.now(),
        ...(payload ? { payload } : {}),
      }),
    );
  return { hub, max, sms, store, clock, linked, start };
}

describe('hub.inviteLink: linking a customer to a reply-only messenger', () => {
  it('links the MAX account to the contact on Start: identity, consent from the deep link, an event, a reachable chat', async () => {
    const { hub, max, store, linked, start } = setup();
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567', name: 'Иван' });
    const invite = await hub.inviteLink('crm-42', 'max');
    expect(invite.url).toBe(`https://max.ru/autodealer_bot?start=${invite.payload}`);
    // Opaque: 128 random bits, no phone number or CRM id in clear.
    expect(invite.payload).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(invite.url).not.toContain('79161234567');
    expect(invite.url).not.toContain('crm-42');
    expect((await start(invite.payload)).status).toBe(200);
    expect(linked).toEqual(['crm-42 max']);
    const contact = await hub.getContact('crm-42');
    expect(contact?.identities).toMatchObject({ maxChatIds: ['-7001'], maxUser: 'max-user:4711' });
    expect(contact?.consent).toEqual({ max: 'granted' });
    expect((await hub.consentHistory('crm-42')).map((change) => change.source)).toEqual(['deep_link']);
    expect((await store.listConversations({ contactId: 'crm-42' })).map((conversation) => conversation.channel)).toEqual(['max']);
    const reply = await hub.send({ channel: 'max', contact: { id: 'crm-42' }, content: { type: 'text', text: 'Спасибо!' } });
    expect(reply.status).toBe('sent');
    expect(max.sent[0]?.to).toBe('-7001');
  });

  it('a reused, unknown or expired payload links nothing: the user still gets a conversation, as an unknown contact', async () => {
    const { hub, store, clock, linked, start } = setup();
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    const used = await hub.inviteLink('crm-42', 'max');
    await start(used.payload, '1');
    await start(used.payload, '2', '-7002');
    await start('not-a-token-we-issued', '3', '-7003');
    const expiring = await hub.inviteLink('crm-42', 'max', { ttlMs: dayMs });
    clock.advance(dayMs + 1);
    await start(expiring.payload, '4', '-7004');
    expect(linked).toEqual(['crm-42 max']);
    const others = (await store.listConversations()).filter((conversation) => conversation.contactId !== 'crm-42');
    expect(others).toHaveLength(3);
    const reasons = [];
    for (const conversation of others) {
      const [message] = await store.listMessages(conversation.id);
      reasons.push(message?.metadata?.invite);
    }
    expect(reasons.sort()).toEqual(['expired', 'unknown', 'used']);
  });

  it('a customer who wrote before pressing Start stays one person: the hub-made contact joins the invited one', async () => {
    const { hub, max, store, start, clock } = setup();
    await hub.handleWebhook(
      'max',
      max.inboundWebhook('-7001', 'Здравствуйте', { senderId: '4711', conversationExternalId: '-7001', at: clock.now() }),
    );
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    await start((await hub.inviteLink('crm-42', 'max')).payload);
    expect(new Set((await store.listConversations()).map((conversation) => conversation.contactId))).toEqual(new Set(['crm-42']));
    expect(await store.listMessages((await store.listConversations())[0]!.id)).toHaveLength(2);
  });

  it('a stopped bot opts the contact out of that channel', async () => {
    const { hub, max, start, clock } = setup();
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    await start((await hub.inviteLink('crm-42', 'max')).payload);
    await hub.handleWebhook(
      'max',
      max.inboundWebhook('-7001', '', { kind: 'stop', senderId: '4711', conversationExternalId: '-7001', at: clock.now() }),
    );
    expect((await hub.getContact('crm-42'))?.consent).toEqual({ max: 'opted_out' });
    expect((await hub.consentHistory('crm-42')).map((change) => `${change.state}:${change.source}`)).toEqual([
      'granted:deep_link',
      'opted_out:bot_stopped',
    ]);
  });

  it('refuses an unknown contact, a channel without deep links and a bad ttl before storing anything', async () => {
    const { hub, store } = setup();
    await hub.upsertContact({ id: 'crm-42', phone: '+79161234567' });
    await expect(hub.inviteLink('nobody', 'max')).rejects.toBeInstanceOf(ValidationError);
    await expect(hub.inviteLink('crm-42', 'sms')).rejects.toThrow(/no deep links/);
    await expect(hub.inviteLink('crm-42', 'max', { ttlMs: 0 })).rejects.toThrow(/ttlMs/);
    expect(await store.listRecords('invite')).toEqual([]);
  });
});
