import { describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../clock.js';
import { storeNamespaces } from '../hub/store-namespaces.js';
import { createOmnidealer } from '../hub.js';
import type { Conversation } from '../model/conversation.js';
import type { Message } from '../model/message.js';
import type { Store } from '../store/store.js';
import { crashedOutbox, slowChannel } from './crashed-outbox.js';

const conversation = (id: string, overrides: Partial<Conversation> = {}): Conversation => ({
  id,
  contactId: 'contact-1',
  channel: 'whatsapp',
  status: 'open',
  handler: 'bot',
  assignments: [],
  unreadCount: 0,
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

const message = (id: string, overrides: Partial<Message> = {}): Message => ({
  id,
  conversationId: 'conv-1',
  contactId: 'contact-1',
  direction: 'outbound',
  channel: 'whatsapp',
  content: { type: 'text', text: 'Здравствуйте!' },
  status: 'queued',
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

/** Options of {@link testStoreContract}. */
export interface StoreContractOptions {
  /**
   * Another instance of the store on the same data, as a second machine would open it (a second pool on the same
   * database). Without it the two-machine cases share one instance, which is what a process-local store offers.
   */
  openAgain?(store: Store): Store | Promise<Store>;
}

/**
 * The conformance suite every {@link Store} implementation must pass. Call it from a test file with a factory
 * that returns a fresh, empty store.
 * @example
 * testStoreContract('memory', () => createMemoryStore());
 * testStoreContract('postgres', () => create(), { openAgain: (store) => create({ schema: store.schema }) });
 */
export function testStoreContract(
  name: string,
  createStore: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`store contract: ${name}`, () => {
    it('two hubs on two machines resuming one crashed outbox at once send each message once', async () => {
      const storeA = await createStore();
      const storeB = options.openAgain ? await options.openAgain(storeA) : storeA;
      const start = Date.parse('2026-03-01T09:00:00Z');
      const clock = createManualClock(start + 600_000);
      const ids = await crashedOutbox(storeA, 8, start);
      const retry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };
      const channelA = slowChannel();
      const channelB = slowChannel();
      const hubA = createOmnidealer({ channels: [channelA], store: storeA, clock, retry });
      const hubB = createOmnidealer({ channels: [channelB], store: storeB, clock, retry });

      const [resumedA, resumedB] = await Promise.all([hubA.resumeOutbox(), hubB.resumeOutbox()]);
      const sent = [...channelA.sent, ...channelB.sent].map((message) => message.id);
      expect(sent.toSorted()).toEqual(ids);
      expect([...resumedA, ...resumedB].map((message) => message.id).toSorted()).toEqual(ids);
      expect([...resumedA, ...resumedB].every((message) => message.status === 'sent')).toBe(true);
      expect(await storeB.listQueuedMessages()).toEqual([]);
      // Claims are released once their message is finished.
      expect(await storeA.listRecords(storeNamespaces.outboxClaim)).toEqual([]);
      expect(await hubA.resumeOutbox()).toEqual([]);
      expect(await hubB.resumeOutbox()).toEqual([]);
      if (storeB !== storeA) await storeB.close?.();
      await storeA.close?.();
    });

    it('saves and finds contacts by id and by every address', async () => {
      const store = await createStore();
      await store.saveContact({
        id: 'c1',
        phone: '+79161234567',
        email: 'Ivan@Example.ru',
        identities: { whatsapp: '79161234567', avitoChatIds: ['u2i-1'] },
      });
      expect((await store.getContact('c1'))?.phone).toBe('+79161234567');
      expect((await store.findContactByAddress('+79161234567'))?.id).toBe('c1');
      expect((await store.findContactByAddress('79161234567'))?.id).toBe('c1');
      expect((await store.findContactByAddress('u2i-1'))?.id).toBe('c1');
      expect((await store.findContactByAddress('ivan@example.ru'))?.id).toBe('c1');
      expect(await store.findContactByAddress('+70000000000')).toBeUndefined();
      await store.close?.();
    });

    it('returns copies, so callers cannot mutate stored state', async () => {
      const store = await createStore();
      await store.saveConversation(conversation('conv-1'));
      const loaded = await store.getConversation('conv-1');
      loaded!.unreadCount = 99;
      expect((await store.getConversation('conv-1'))?.unreadCount).toBe(0);
      await store.close?.();
    });

    it('finds the newest conversation per contact and channel, optionally by external id, and lists with filters', async () => {
      const store = await createStore();
      await store.saveConversation(conversation('conv-1', { externalId: 'u2i-1', channel: 'avito', updatedAt: 5 }));
      await store.saveConversation(
        conversation('conv-2', { externalId: 'u2i-2', channel: 'avito', updatedAt: 6, assignee: 'anna', handler: 'operator' }),
      );
      await store.saveConversation(conversation('conv-3', { channel: 'whatsapp', updatedAt: 7, status: 'closed' }));
      expect((await store.findConversation('contact-1', 'avito'))?.id).toBe('conv-2');
      expect((await store.findConversation('contact-1', 'avito', 'u2i-1'))?.id).toBe('conv-1');
      expect(await store.findConversation('contact-1', 'sms')).toBeUndefined();
      expect((await store.listConversations({ status: 'open' })).map((c) => c.id)).toEqual(['conv-2', 'conv-1']);
      expect((await store.listConversations({ assignee: 'anna' })).map((c) => c.id)).toEqual(['conv-2']);
      expect((await store.listConversations({ handler: 'operator' })).map((c) => c.id)).toEqual(['conv-2']);
      expect((await store.listConversations({ limit: 1 })).map((c) => c.id)).toEqual(['conv-3']);
      await store.close?.();
    });

    it('keeps a contact’s home branch and a conversation’s branch and hand-offs', async () => {
      const store = await createStore();
      await store.saveContact({ id: 'c1', phone: '+79161234567', branchId: 'north' });
      await store.saveConversation(conversation('conv-1', { branchId: 'north' }));
      expect((await store.getContact('c1'))?.branchId).toBe('north');
      expect((await store.findContactByAddress('+79161234567'))?.branchId).toBe('north');
      expect((await store.getConversation('conv-1'))?.branchId).toBe('north');
      const handOffs = [{ at: 2, from: 'north', to: 'south', operatorId: 'oleg', note: 'service' }];
      const moved = { ...conversation('conv-1'), branchId: 'south', handOffs, updatedAt: 2 };
      if (store.updateConversation) await store.updateConversation('conv-1', () => moved);
      else await store.saveConversation(moved);
      expect(await store.getConversation('conv-1')).toMatchObject({ branchId: 'south', handOffs });
      expect((await store.findConversation('contact-1', 'whatsapp'))?.branchId).toBe('south');
      expect((await store.listConversations({ status: 'open' }))[0]).toMatchObject({ branchId: 'south', handOffs });
      await store.saveConversation(conversation('conv-2', { channel: 'sms', branchId: 'north', updatedAt: 3 }));
      await store.saveConversation(conversation('conv-3', { channel: 'email', updatedAt: 4 }));
      expect((await store.listConversations({ branchId: 'south' })).map((c) => c.id)).toEqual(['conv-1']);
      expect((await store.listConversations({ branchId: 'north', status: 'open' })).map((c) => c.id)).toEqual(['conv-2']);
      expect(await store.listConversations({ branchId: 'west' })).toEqual([]);
      await store.close?.();
    });

    it('stores messages in order, finds them by provider id per channel, and tracks the outbox', async () => {
      const store = await createStore();
      await store.saveMessage(message('m1'));
      await store.saveMessage(message('m2', { status: 'sent', providerMessageId: 'wamid.2' }));
      await store.saveMessage(message('m3', { direction: 'inbound', status: 'delivered', providerMessageId: 'wamid.3' }));
      expect((await store.listMessages('conv-1')).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
      expect((await store.listMessages('conv-1', { limit: 2 })).map((m) => m.id)).toEqual(['m2', 'm3']);
      expect((await store.findMessageByProviderId('whatsapp', 'wamid.2'))?.id).toBe('m2');
      expect(await store.findMessageByProviderId('sms', 'wamid.2')).toBeUndefined();
      expect((await store.listQueuedMessages()).map((m) => m.id)).toEqual(['m1']);
      await store.saveMessage({ ...message('m1'), status: 'sent', providerMessageId: 'wamid.1' });
      expect(await store.listQueuedMessages()).toEqual([]);
      expect((await store.getMessage('m1'))?.content).toEqual({ type: 'text', text: 'Здравствуйте!' });
      await store.close?.();
    });

    it('updates a contact atomically (when the store supports it): concurrent updates lose nothing', async () => {
      const store = await createStore();
      if (!store.updateContact) return void (await store.close?.());
      await store.saveContact({ id: 'c1', phone: '+79161234567' });
      // Thirty changes at once, each adding what it knows: every one sees the one before it.
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          store.updateContact!('c1', (current) => ({
            ...(current ?? { id: 'c1' }),
            identities: { ...current?.identities, [`avitoUser${index}`]: `avito-user:${index}` },
          })),
        ),
      );
      const stored = await store.getContact('c1');
      expect(Object.keys(stored?.identities ?? {})).toHaveLength(30);
      expect((await store.findContactByAddress('avito-user:29'))?.id).toBe('c1');
      // Returning undefined writes nothing and resolves with the contact as it is.
      expect(await store.updateContact('c1', () => undefined)).toEqual(stored);
      // A contact that did not exist is created; what the caller gets back is a copy.
      const created = await store.updateContact('c2', (current) => current ?? { id: 'c2', phone: '+79035550101' });
      expect(created).toEqual({ id: 'c2', phone: '+79035550101' });
      created!.phone = '+70000000000';
      expect((await store.findContactByAddress('+79035550101'))?.phone).toBe('+79035550101');
      await store.close?.();
    });

    it('opens and updates conversations atomically (when the store supports it): one opened, no change lost', async () => {
      const store = await createStore();
      if (!store.openConversation || !store.updateConversation) return void (await store.close?.());
      // Ten callers open a conversation for one contact at once: the first opens it, the others find it.
      const opened = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          store.openConversation!('contact-1', 'whatsapp', undefined, (newest) => newest ?? conversation(`conv-${index}`)),
        ),
      );
      expect(new Set(opened.map((found) => found?.id))).toEqual(new Set(['conv-0']));
      expect(await store.listConversations({ contactId: 'contact-1' })).toHaveLength(1);
      // Twenty changes at once, each counting one more unread message: none is lost.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.updateConversation!('conv-0', (current) => current && { ...current, unreadCount: current.unreadCount + 1 }),
        ),
      );
      expect((await store.getConversation('conv-0'))?.unreadCount).toBe(20);
      // By thread id: another thread of the same contact is another conversation.
      const thread = await store.openConversation('contact-1', 'whatsapp', 'u2i-7', (newest) =>
        newest ? undefined : conversation('conv-thread', { externalId: 'u2i-7', updatedAt: 2 }),
      );
      expect(thread?.id).toBe('conv-thread');
      expect((await store.findConversation('contact-1', 'whatsapp', 'u2i-7'))?.id).toBe('conv-thread');
      // Undefined saves nothing and resolves with what is stored; what the caller gets back is a copy.
      const unchanged = await store.updateConversation('conv-0', () => undefined);
      expect(unchanged?.unreadCount).toBe(20);
      unchanged!.unreadCount = 0;
      expect((await store.getConversation('conv-0'))?.unreadCount).toBe(20);
      expect(await store.updateConversation('conv-missing', (current) => current)).toBeUndefined();
      await store.close?.();
    });

    it('merges two contacts atomically (when the store supports it): conversations, messages and addresses move', async () => {
      const store = await createStore();
      if (!store.mergeContacts) return;
      await store.saveContact({ id: 'crm-42', phone: '+79161234567' });
      await store.saveContact({ id: 'contact-x', identities: { whatsapp: '79161234567', avitoChatIds: ['u2i-9'] } });
      await store.saveConversation(conversation('conv-keep', { contactId: 'crm-42', channel: 'whatsapp', updatedAt: 5 }));
      await store.saveConversation(conversation('conv-fold', { contactId: 'contact-x', channel: 'whatsapp', unreadCount: 2 }));
      await store.saveConversation(conversation('conv-move', { contactId: 'contact-x', channel: 'avito', externalId: 'u2i-9' }));
      await store.saveMessage(message('m-keep', { conversationId: 'conv-keep', contactId: 'crm-42', createdAt: 3 }));
      await store.saveMessage(message('m-fold', { conversationId: 'conv-fold', contactId: 'contact-x', createdAt: 2 }));
      await store.saveMessage(message('m-move', { conversationId: 'conv-move', contactId: 'contact-x', channel: 'avito' }));
      let seen: string[] = [];
      const result = await store.mergeContacts('crm-42', 'contact-x', (keep, merged, conversations) => {
        seen = conversations.map((each) => each.id).sort();
        const kept = conversations.find((each) => each.id === 'conv-keep') as Conversation;
        const moved = conversations.find((each) => each.id === 'conv-move') as Conversation;
        return {
          contact: { ...merged, ...keep, identities: { ...merged.identities } },
          conversations: [
            { ...kept, unreadCount: 2 },
            { ...moved, contactId: 'crm-42' },
          ],
          folded: [{ from: 'conv-fold', into: 'conv-keep' }],
        };
      });
      expect(seen).toEqual(['conv-fold', 'conv-keep', 'conv-move']);
      expect(result?.contact.id).toBe('crm-42');
      expect(await store.getContact('contact-x')).toBeUndefined();
      expect((await store.findContactByAddress('79161234567'))?.id).toBe('crm-42');
      expect((await store.findContactByAddress('u2i-9'))?.id).toBe('crm-42');
      expect(await store.getConversation('conv-fold')).toBeUndefined();
      expect((await store.getConversation('conv-keep'))?.unreadCount).toBe(2);
      expect((await store.findConversation('crm-42', 'avito', 'u2i-9'))?.id).toBe('conv-move');
      expect(await store.findConversation('contact-x', 'whatsapp')).toBeUndefined();
      // Folded messages join the kept conversation; every message now belongs to the kept contact.
      expect((await store.listMessages('conv-keep')).map((each) => each.id).sort()).toEqual(['m-fold', 'm-keep']);
      expect((await store.getMessage('m-fold'))?.contactId).toBe('crm-42');
      expect(await store.getMessage('m-move')).toMatchObject({ contactId: 'crm-42', conversationId: 'conv-move' });
      expect((await store.listConversations({ contactId: 'crm-42' })).map((each) => each.id).sort()).toEqual([
        'conv-keep',
        'conv-move',
      ]);
      // An unknown contact merges nothing.
      let called = false;
      expect(
        await store.mergeContacts('crm-42', 'nobody', () => {
          called = true;
          throw new Error('not called');
        }),
      ).toBeUndefined();
      expect(called).toBe(false);
      await store.close?.();
    });

    it('claims an idempotency key once', async () => {
      const store = await createStore();
      expect(await store.claimIdempotencyKey('k1', 'm1')).toBeUndefined();
      expect(await store.claimIdempotencyKey('k1', 'm2')).toBe('m1');
      expect(await store.claimIdempotencyKey('k2', 'm2')).toBeUndefined();
      await store.close?.();
    });

    it('remembers webhook keys (dedupe)', async () => {
      const store = await createStore();
      expect(await store.markWebhookSeen('wa:wamid.1:read', 1)).toBe(true);
      expect(await store.markWebhookSeen('wa:wamid.1:read', 2)).toBe(false);
      expect(await store.markWebhookSeen('wa:wamid.1:delivered', 2)).toBe(true);
      await store.close?.();
    });

    it('forgets a webhook key on request, so its redelivery counts as new (when the store supports it)', async () => {
      const store = await createStore();
      if (!store.forgetWebhookKey) return void (await store.close?.());
      expect(await store.markWebhookSeen('wa:wamid.9:read', 1)).toBe(true);
      await store.forgetWebhookKey('wa:wamid.9:read');
      await store.forgetWebhookKey('wa:never-seen');
      expect(await store.markWebhookSeen('wa:wamid.9:read', 2)).toBe(true);
      expect(await store.markWebhookSeen('wa:wamid.9:read', 3)).toBe(false);
      await store.close?.();
    });

    it('leases due jobs once, re-offers them after the lease expires, and never offers done or cancelled jobs', async () => {
      const store = await createStore();
      await store.scheduleJob({
        id: 'j1',
        kind: 'cascade.step',
        runAt: 100,
        payload: { step: 1 },
        status: 'pending',
        attempts: 0,
      });
      await store.scheduleJob({ id: 'j2', kind: 'cascade.step', runAt: 50, payload: {}, status: 'pending', attempts: 0 });
      await store.scheduleJob({ id: 'j3', kind: 'cascade.step', runAt: 500, payload: {}, status: 'pending', attempts: 0 });
      expect(await store.claimDueJobs(10, 10, 1000)).toEqual([]);
      const first = await store.claimDueJobs(100, 10, 1000);
      expect(first.map((job) => job.id)).toEqual(['j2', 'j1']);
      expect(first[1]?.payload).toEqual({ step: 1 });
      expect(first[1]?.attempts).toBe(1);
      expect(await store.claimDueJobs(200, 10, 1000)).toEqual([]);
      await store.completeJob('j2');
      const again = await store.claimDueJobs(1200, 10, 1000);
      expect(again.map((job) => job.id)).toEqual(['j1', 'j3']);
      expect(again[0]?.attempts).toBe(2);
      await store.cancelJob('j3');
      await store.completeJob('j1');
      expect(await store.claimDueJobs(99_999, 10, 1000)).toEqual([]);
      expect((await store.getJob('j3'))?.status).toBe('cancelled');
      await store.close?.();
    });

    it('leases only the kinds asked for, so several runners can share one job table', async () => {
      const store = await createStore();
      await store.scheduleJob({ id: 'c1', kind: 'cascade.step', runAt: 10, payload: {}, status: 'pending', attempts: 0 });
      await store.scheduleJob({ id: 't1', kind: 'trigger.idle', runAt: 5, payload: {}, status: 'pending', attempts: 0 });
      expect((await store.claimDueJobs(100, 10, 1000, ['cascade.step'])).map((job) => job.id)).toEqual(['c1']);
      expect((await store.getJob('t1'))?.status).toBe('pending');
      expect(await store.claimDueJobs(100, 10, 1000, [])).toEqual([]);
      expect((await store.claimDueJobs(100, 10, 1000, ['trigger.idle', 'other'])).map((job) => job.id)).toEqual(['t1']);
      await store.close?.();
    });

    it('tells job watchers (when the store has watchJobs) the run time and kind of each pending job scheduled', async () => {
      const store = await createStore();
      if (!store.watchJobs) return void (await store.close?.());
      const told: string[] = [];
      const unwatch = store.watchJobs((runAt, kind) => told.push(`${kind}@${runAt}`));
      await store.scheduleJob({ id: 'c1', kind: 'cascade.step', runAt: 10, payload: {}, status: 'pending', attempts: 0 });
      await store.scheduleJob({ id: 't1', kind: 'trigger.idle', runAt: 20, payload: {}, status: 'pending', attempts: 0 });
      await store.scheduleJob({ id: 'x1', kind: 'cascade.step', runAt: 30, payload: {}, status: 'cancelled', attempts: 0 });
      // Told soon after (a store across processes delivers asynchronously), possibly twice, never a cancelled job.
      await vi.waitFor(() => expect(new Set(told)).toEqual(new Set(['cascade.step@10', 'trigger.idle@20'])), { timeout: 10_000 });
      unwatch();
      await store.scheduleJob({ id: 'c2', kind: 'cascade.step', runAt: 40, payload: {}, status: 'pending', attempts: 0 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(told).not.toContain('cascade.step@40');
      await store.close?.();
    });

    it('keeps generic records by namespace and prefix', async () => {
      const store = await createStore();
      await store.putRecord('cascade', 'run-1', { step: 1 });
      await store.putRecord('cascade', 'run-2', { step: 2 });
      await store.putRecord('caps', 'run-1', { other: true });
      expect(await store.getRecord('cascade', 'run-1')).toEqual({ step: 1 });
      expect(await store.getRecord('cascade', 'missing')).toBeUndefined();
      expect((await store.listRecords('cascade', 'run-')).map((record) => record.key).sort()).toEqual(['run-1', 'run-2']);
      await store.putRecord('cascade', 'run-1', { step: 3 });
      expect(await store.getRecord('cascade', 'run-1')).toEqual({ step: 3 });
      // Putting undefined deletes: the record is gone from reads and from listings.
      await store.putRecord('cascade', 'run-2', undefined);
      expect(await store.getRecord('cascade', 'run-2')).toBeUndefined();
      expect((await store.listRecords('cascade')).map((record) => record.key)).toEqual(['run-1']);
      await store.close?.();
    });

    it('updates a record atomically: concurrent updates lose nothing, undefined deletes, and callers get copies', async () => {
      const store = await createStore();
      const increment = () =>
        store.updateRecord<{ count: number; seen: number[] }>('counters', 'sent', (current) => ({
          count: (current?.count ?? 0) + 1,
          seen: [...(current?.seen ?? []), current?.count ?? 0],
        }));
      const results = await Promise.all(Array.from({ length: 50 }, increment));
      // Each update saw the one before it: every count from 1 to 50 was handed out once.
      expect(results.map((result) => result?.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      const stored = await store.getRecord<{ count: number; seen: number[] }>('counters', 'sent');
      expect(stored?.count).toBe(50);
      expect(stored?.seen).toEqual(Array.from({ length: 50 }, (_, index) => index));
      // What the caller got back is a copy: changing it changes nothing stored.
      (results[0] as { count: number }).count = 999;
      expect((await store.getRecord<{ count: number }>('counters', 'sent'))?.count).toBe(50);
      // Take and delete in one step.
      let taken: { count: number } | undefined;
      expect(
        await store.updateRecord<{ count: number }>('counters', 'sent', (current) => {
          taken = current;
          return undefined;
        }),
      ).toBeUndefined();
      expect(taken?.count).toBe(50);
      expect(await store.getRecord('counters', 'sent')).toBeUndefined();
      expect(await store.listRecords('counters')).toEqual([]);
      await store.close?.();
    });
  });
}
